#!/usr/bin/env bats
# userns-lifecycle.bats - create/start/state/exec/kill/delete of a container whose root is an
# unprivileged host uid (user namespace mapping 0 to 1000000, 65536 ids), as celld runs them.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

setup() {
  runtime_setup
  # the mapped root must be able to reach the built-in rootfs through the bundle's directories
  local d=$BATS_TEST_TMPDIR
  while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
}

teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
}

MAPS='.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}]'

@test "userns: create waits on exec.fifo owned by the mapped root, start releases it" {
  b=$(cell_bundle "$MAPS"' | .process.args = ["sh", "-c", "echo started > /dev/shm/x; exec sleep 100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  [ "$(status_of "$ID")" = created ]
  # the init, already the mapped root, can write the fifo; the state dir stays root's
  [ "$(stat -c '%a %u %g' "$CELL_TEST_ROOT/$ID/exec.fifo")" = "622 1000000 1000000" ]
  [ "$(stat -c '%a %u' "$CELL_TEST_ROOT/$ID")" = "711 0" ]
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  [ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 1000000 ]
  cellrt start "$ID"
  [ "$(status_of "$ID")" = running ]
  [ ! -e "$CELL_TEST_ROOT/$ID/exec.fifo" ]
  [ "$(cellrt exec "$ID" cat /dev/shm/x)" = started ]
}

@test "userns: exec runs as the container's root in the container's user namespace" {
  b=$(cell_bundle "$MAPS"' | .process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  run cellrt exec "$ID" sh -c 'id -u; id -g; cat /proc/self/uid_map; readlink /proc/self/ns/user'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [[ "$(echo ${lines[2]})" == "0 1000000 65536" ]]
  [ "${lines[3]}" = "$(readlink "/proc/$pid/ns/user")" ]
  run cellrt exec --user 1000:1000 "$ID" id -u
  [ "$output" = 1000 ]
  run cellrt exec "$ID" sh -c 'exit 7'
  [ "$status" -eq 7 ]
  # exec forks later children (LeakSanitizer's tracer in the ASan build) in its own pid
  # namespace, not the container's, so its exit does not hang (celld runs it with leak checks)
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 timeout 30 "$CELLRT" --root "$CELL_TEST_ROOT" \
    exec "$ID" true
}

@test "userns: kill stops it, delete removes state, and delete --force a created one" {
  b=$(cell_bundle "$MAPS"' | .process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  cellrt kill "$ID" KILL
  for _ in $(seq 100); do [ "$(status_of "$ID")" = stopped ] && break; sleep 0.05; done
  [ "$(status_of "$ID")" = stopped ]
  cellrt delete "$ID"
  run cellrt state "$ID"
  [ "$status" -ne 0 ]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
  # a created container never started: delete --force releases and removes it
  cellrt create --bundle "$b" "$ID"
  cellrt delete --force "$ID"
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "userns: oomScoreAdj and sysctls reach the container's own procfs files, for exec too" {
  b=$(cell_bundle "$MAPS"' | .process.oomScoreAdj = 222 | .linux.sysctl = {"kernel.shm_rmid_forced": "1"} | .process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  [ "$(cat /proc/"$(cat "$BATS_TEST_TMPDIR/pid")"/oom_score_adj)" = 222 ]
  run cellrt exec "$ID" sh -c 'cat /proc/self/oom_score_adj /proc/sys/kernel/shm_rmid_forced'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '222\n1')" ]
}
