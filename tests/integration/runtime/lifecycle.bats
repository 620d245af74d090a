#!/usr/bin/env bats
# lifecycle.bats - create/start/state/kill/delete/list/run/exec/spec as a user drives them.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

# gone PID: the process no longer runs (a zombie awaiting the host's init counts as gone)
gone() {
  [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status"
}

# freezer_dump PID: after a resume the loop of PID's container did not write: say what
# the freezer and each of the container's tasks are doing (state, wait channel, syscall, signals,
# kernel stack), and whether the loop moves on later. Tasks come and go meanwhile: nothing here
# may fail the test before the dump is complete.
freezer_dump() (
  set +e
  trap - ERR
  pid=$1
  cg=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$pid/cgroup")
  if [ -n "$cg" ]; then
    cg=/sys/fs/cgroup/freezer$cg
    echo "freezer.state=$(cat "$cg/freezer.state") self=$(cat "$cg/freezer.self_freezing") parent=$(cat "$cg/freezer.parent_freezing")"
  else
    cg=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")
    echo "cgroup.freeze=$(cat "$cg/cgroup.freeze") cgroup.events: $(tr '\n' ' ' <"$cg/cgroup.events")"
  fi
  procs=$(cat "$cg/cgroup.procs")
  echo "procs: $(echo $procs)"
  for t in $procs; do
    for th in /proc/$t/task/*; do
      [ -d "$th" ] || continue
      echo "task ${th##*/} ($(tr '\0' ' ' <"/proc/$t/cmdline")): $(grep -E '^State' "$th/status")" \
        "wchan=$(cat "$th/wchan") syscall=$(cat "$th/syscall")" \
        "$(grep -E '^(SigPnd|ShdPnd|SigBlk)' "$th/status" | tr '\n\t' '  ')"
      sed 's/^/  stack: /' "$th/stack"
    done 2>/dev/null
  done
  sleep 2
  echo "2 s later: count $(cat "/proc/$pid/root/dev/shm/t"), procs: $(cat "$cg/cgroup.procs" | tr '\n' ' ')"
) >&2

# wait_status ID STATUS: state says STATUS within 2 s.
wait_status() {
  for _ in $(seq 100); do
    [ "$(status_of "$1")" = "$2" ] && return 0
    sleep 0.02
  done
  [ "$(status_of "$1")" = "$2" ]
}

@test "run prints from PID 1 and returns the process's exit status" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "echo pid=$$; exit 3"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 3 ]
  [ "$output" = "pid=1" ]
  # run leaves nothing: the state is gone
  run cellrt state "$ID"
  [ "$status" -ne 0 ]
}

@test "run reports 128+signal when the process dies of a signal" {
  # not PID 1 of a pid namespace, which the kernel shields from unhandled signals
  b=$(cell_bundle '.process.args = ["sh", "-c", "kill -USR1 $$; sleep 1"] | .linux.namespaces |= map(select(.type != "pid"))')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq $((128 + 10)) ]
}

@test "create leaves the process waiting, start releases it, state follows" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "echo started > /dev/shm/x; sleep 100"] | .annotations = {"org.example/k": "v"}')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  [ "$(status_of "$ID")" = created ]
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$(cellrt state "$ID" | jq -r .pid)" = "$pid" ]
  [ "$(cellrt state "$ID" | jq -r .bundle)" = "$b" ]
  [ "$(cellrt state "$ID" | jq -r '.annotations["org.example/k"]')" = v ]
  [ "$(cellrt state "$ID" | jq -r .ociVersion)" = 1.1.0 ]
  # not started yet: the user's program has not run
  [ ! -e "/proc/$pid/root/dev/shm/x" ]
  cellrt start "$ID"
  [ "$(status_of "$ID")" = running ]
  for _ in $(seq 50); do [ -e "/proc/$pid/root/dev/shm/x" ] && break; sleep 0.1; done
  [ -e "/proc/$pid/root/dev/shm/x" ]
  run cellrt start "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"running"* ]]
  cellrt kill "$ID" KILL
  for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
  [ "$(status_of "$ID")" = stopped ]
  # state stays after the process died, until delete
  [ "$(cellrt state "$ID" | jq -r .id)" = "$ID" ]
  cellrt delete "$ID"
  run cellrt state "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "kill sends SIGTERM by default and accepts names and numbers" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "trap \"exit 0\" TERM; while :; do sleep 0.1; done"]')
  cellrt create --bundle "$b" "$ID"
  cellrt start "$ID"
  sleep 0.3
  cellrt kill "$ID"
  for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
  [ "$(status_of "$ID")" = stopped ]
  run cellrt kill "$ID" KILL
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]]
  cellrt delete "$ID"
  # Numbers and names parse alike anywhere: the lab, where each container costs seconds of TCG,
  # tries one.
  sigs=(9 SIGKILL KILL)
  [ -z "${CELL_LAB:-}" ] || sigs=(KILL)
  for sig in "${sigs[@]}"; do
    cellrt create --bundle "$b" "$ID"
    cellrt start "$ID"
    cellrt kill "$ID" "$sig"
    for _ in $(seq 50); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.1; done
    [ "$(status_of "$ID")" = stopped ]
    cellrt delete "$ID"
  done
  cellrt create --bundle "$b" "$ID"
  run cellrt kill "$ID" NOSUCHSIG
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown signal"* ]]
}

@test "delete refuses a running container without --force, and removes it with" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  run cellrt delete "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"running"* ]]
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  cellrt delete --force "$ID"
  run cellrt state "$ID"
  [ "$status" -ne 0 ]
  gone "$pid"
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$ID" 2>/dev/null)" ]
}

@test "delete of a created (never started) container kills its waiting process" {
  b=$(cell_bundle '.process.args = ["true"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  cellrt delete "$ID"
  gone "$pid"
}

@test "list prints runc's table and JSON" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" "$ID"
  run cellrt list
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "ID"*"PID"*"STATUS"*"BUNDLE"*"CREATED"*"OWNER" ]]
  [[ "$output" == *"$ID"*created*"$b"* ]]
  cellrt list --format json | jq -e --arg id "$ID" '.[] | select(.id == $id) | .status == "created"'
  cellrt list -q | grep -qx "$ID"
}

@test "exec joins the container: its pid namespace, hostname, root and cgroup" {
  b=$(cell_bundle '.process.args = ["sleep", "100"] | .hostname = "exechost" | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdirat", "mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  run cellrt exec "$ID" sh -c 'echo $$ $(hostname); cat /etc/os-release | head -1'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "2 exechost" || "${lines[0]}" =~ ^[0-9]+" exechost"$ ]]
  [[ "${lines[1]}" == *"cell busybox"* ]]
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$(cellrt exec "$ID" cat /proc/self/cgroup)" = "$(cellrt exec "$ID" cat /proc/1/cgroup)" ]
  [ "$(cellrt exec "$ID" readlink /proc/self/ns/net)" = "$(readlink "/proc/$pid/ns/net")" ]
  run cellrt exec --env FOO=bar --cwd /etc "$ID" sh -c 'echo $FOO $(pwd)'
  [ "$output" = "bar /etc" ]
  run cellrt exec --user 1:1 "$ID" id -u
  [ "$output" = 1 ]
  run cellrt exec "$ID" sh -c 'exit 5'
  [ "$status" -eq 5 ]
  # the config's capabilities and no_new_privs hold for exec'd processes too
  run cellrt exec "$ID" grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status
  [[ "$output" == *"CapEff:"*"0000000020000420"* ]]
  [[ "$output" == *"CapBnd:"*"0000000020000420"* ]]
  [[ "$output" == *"NoNewPrivs:"*"1"* ]]
  run cellrt exec "$ID" mkdir /dev/shm/nope
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
  run cellrt exec "$ID" /nonexistent
  [ "$status" -ne 0 ]
  [[ "$output" == *"/nonexistent"* ]]
}

@test "spec writes the default config.json, and refuses to overwrite it" {
  cd "$BATS_TEST_TMPDIR"
  cellrt spec
  jq -e '.ociVersion == "1.1.0" and .process.terminal == true and .root.path == "rootfs"' config.json
  run cellrt spec
  [ "$status" -ne 0 ]
  [[ "$output" == *"exists"* ]]
  mkdir b2
  cellrt spec --bundle b2
  [ -f b2/config.json ]
}

@test "global flags: --log with --log-format json records the error as JSON" {
  run "$CELLRT" --root "$CELL_TEST_ROOT" --log "$BATS_TEST_TMPDIR/log" --log-format json state nosuch-$ID
  [ "$status" -eq 1 ]
  [[ "$output" == "cellrt: container nosuch-$ID does not exist" ]]
  tail -1 "$BATS_TEST_TMPDIR/log" | jq -e '.level == "error" and (.msg | contains("does not exist"))'
  run "$CELLRT" --root "$CELL_TEST_ROOT" bogus
  [ "$status" -eq 1 ]
  [[ "$output" == *"unknown command"* ]]
}

@test "delete --force clears a state directory that a crashed create left without state" {
  mkdir -p "$CELL_TEST_ROOT/$ID"
  run cellrt delete "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no state yet"* ]]
  cellrt delete --force "$ID"
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "pause and resume: paused in state, exec refused while paused, delete --force works" {
  # A counter, so that every write differs from the last (busybox date has no %N: its
  # `date +%s%N` changed once a second). `echo $i >t` truncates before it writes: a reader may
  # see the file empty for a moment, which is no write.
  b=$(cell_bundle '.process.args = ["sh", "-c", "i=0; while :; do i=$((i + 1)); echo $i > /dev/shm/t; sleep 0.05; done"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  # the loop has written once (a pause right after start may come before its first write)
  for _ in $(seq 100); do
    [ -s "/proc/$pid/root/dev/shm/t" ] && break
    sleep 0.05
  done
  cellrt pause "$ID"
  [ "$(status_of "$ID")" = paused ]
  a=$(cat "/proc/$pid/root/dev/shm/t")
  sleep 0.3
  [ "$(cat "/proc/$pid/root/dev/shm/t")" = "$a" ]
  run cellrt exec "$ID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"paused"* ]]
  run cellrt pause "$ID"
  [ "$status" -ne 0 ]
  resumed=$(date +%s%N)
  cellrt resume "$ID"
  [ "$(status_of "$ID")" = running ]
  # thawed: the loop counts on (poll up to 20 s: under the lab's TCG one turn of the loop takes
  # ~1 s), and if it does not, say what the freezer and the tasks were doing
  moved= polls=0
  for _ in $(seq 400); do
    polls=$((polls + 1))
    n=$(cat "/proc/$pid/root/dev/shm/t")
    [ -n "$n" ] && [ "$n" -gt "${a:-0}" ] && moved=1 && break
    sleep 0.05
  done
  if [ -z "$moved" ]; then
    echo "count $a at pause, $n $((($(date +%s%N) - resumed) / 1000000)) ms after resume ($polls polls)" >&2
    freezer_dump "$pid"
    false
  fi
  # The freezer is the one word on paused: frozen from outside, state says paused too.
  cg=$(awk -F: '$2 == "freezer" {print $3}' "/proc/$pid/cgroup")
  if [ -n "$cg" ]; then
    f=/sys/fs/cgroup/freezer$cg/freezer.state on=FROZEN off=THAWED
  else
    f=/sys/fs/cgroup$(awk -F: '$1 == 0 {print $3}' "/proc/$pid/cgroup")/cgroup.freeze on=1 off=0
  fi
  echo "$on" >"$f"
  wait_status "$ID" paused
  echo "$off" >"$f"
  wait_status "$ID" running
  cellrt pause "$ID"
  cellrt delete --force "$ID"
  gone "$pid"
}
