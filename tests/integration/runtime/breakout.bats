#!/usr/bin/env bats
# breakout.bats - the runc advisories' classes, each against a rootfs or config built to exploit it:
# mount targets that are (or race to become) symlinks out of the rootfs (CVE-2021-30465), a
# /dev/null or /dev/console that is a symlink to something else (CVE-2025-31133, CVE-2025-52565),
# and /proc writes redirected by mounts over the procfs files (CVE-2025-52881).

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

# own_rootfs [jq-filter]: a bundle with a private, writable copy of the rootfs in $R.
own_rootfs() {
  B=$(cell_bundle "$@")
  rm -f "$B/rootfs"
  cp -a "$CELL_IMAGE/rootfs" "$B/rootfs"
  R=$B/rootfs
}

# set_config FILTER: apply a jq filter to $B/config.json.
set_config() {
  jq "$1" "$B/config.json" >"$B/c" && mv "$B/c" "$B/config.json"
}

# A createContainer hook that runs in the container's mount namespace before pivot_root and
# records "escaped" if anything is mounted on the host path $1.
mkspy() {
  SPY=$BATS_TEST_TMPDIR/spy.sh
  cat >"$SPY" <<'SH'
#!/bin/sh
if grep -q " $1 " /proc/self/mountinfo; then echo escaped >>"$2"; fi
echo ran >>"$2"
SH
  chmod +x "$SPY"
  echo ".hooks.createContainer = [{\"path\": \"$SPY\", \"args\": [\"spy\", \"$1\", \"$BATS_TEST_TMPDIR/spy.log\"]}]"
}

@test "CVE-2021-30465: a bind target that is a symlink out of the rootfs lands inside it" {
  own_rootfs '.process.args = ["sh", "-c", "cat /abs/marker /rel/marker"]'
  host=$BATS_TEST_TMPDIR/outside
  vol=$BATS_TEST_TMPDIR/vol
  mkdir -p "$host" "$vol"
  echo inside >"$vol/marker"
  ln -s "$host" "$R/abs"
  ln -s "../../../../../../../../..$host/../outside" "$R/rel"
  set_config "$(mkspy "$host") | .mounts = [{\"destination\": \"/abs\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}, {\"destination\": \"/rel\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}] + .mounts"
  run cellrt run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'inside\ninside')" ]
  # the host's directory got nothing, neither in the container's mount namespace nor here
  [ "$(cat "$BATS_TEST_TMPDIR/spy.log")" = ran ]
  [ -z "$(ls -A "$host")" ]
  # and the rootfs got the directories the links point to, inside it
  [ -d "$R$host" ]
}

@test "CVE-2021-30465: a bind target swapped with a symlink out of the rootfs while containers start" {
  need python3
  own_rootfs '.process.args = ["true"]'
  host=$BATS_TEST_TMPDIR/outside
  vol=$BATS_TEST_TMPDIR/vol
  mkdir -p "$host" "$vol" "$R/race"
  ln -s "$host" "$R/race.lnk"
  set_config "$(mkspy "$host") | .mounts = [{\"destination\": \"/race\", \"type\": \"bind\", \"source\": \"$vol\", \"options\": [\"bind\"]}] + .mounts"
  # the swapper: exchange the directory and the symlink as fast as it can
  python3 - "$R" <<'PY' &
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = (os.path.join(sys.argv[1], n).encode() for n in ("race", "race.lnk"))
while os.path.exists(sys.argv[1]):
    libc.renameat2(-100, a, -100, b, 2)  # RENAME_EXCHANGE
PY
  swapper=$!
  for i in $(seq 1 25); do
    cellrt create --bundle "$B" "$ID" >/dev/null 2>&1 || true
    cellrt delete --force "$ID" >/dev/null 2>&1 || true
  done
  kill "$swapper"
  wait "$swapper" || true
  cat "$BATS_TEST_TMPDIR/spy.log"
  [ "$(grep -c ran "$BATS_TEST_TMPDIR/spy.log")" -ge 20 ]
  ! grep -q escaped "$BATS_TEST_TMPDIR/spy.log"
  [ -z "$(ls -A "$host")" ]
}

@test "CVE-2025-31133: a /dev/null symlinked elsewhere is neither bound over masked paths nor kept" {
  own_rootfs '.mounts |= map(select(.destination != "/dev")) | .linux.maskedPaths += ["/masked"] | .process.args = ["sh", "-c", "cat /masked; stat -c %F:%t:%T /masked /dev/null"]'
  echo secret >"$R/secret"
  echo visible >"$R/masked"
  mkdir -p "$R/dev"
  ln -s /secret "$R/dev/null"
  run cellrt run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *secret* && "$output" != *visible* ]]
  [ "$output" = "$(printf 'character special file:1:3\ncharacter special file:1:3')" ]
}

@test "CVE-2025-31133: masking refuses a /dev/null that is not the null device" {
  # A userns container binds the host's nodes over plain files; make /dev one the runtime does
  # not manage by mounting it from the rootfs, with a plain file as null, then mask a path.
  own_rootfs '.mounts |= map(select(.destination != "/dev")) | .linux.maskedPaths += ["/masked"]'
  echo visible >"$R/masked"
  mkdir -p "$R/dev/null"
  run cellrt run --bundle "$B" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/dev/null"* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "CVE-2025-52565: a /dev/console symlinked to a procfs file does not get the pty bound over it" {
  need script
  own_rootfs '.process.terminal = true | .mounts |= map(select(.destination != "/dev")) | .process.args = ["sh", "-c", "stat -c %F /proc/sys/kernel/core_pattern; stat -c %F:%t /dev/console"]'
  mkdir -p "$R/dev"
  ln -s /proc/sys/kernel/core_pattern "$R/dev/console"
  run script -qefc "$CELLRT --root $CELL_TEST_ROOT run --bundle $B $ID" /dev/null </dev/null
  out=$(echo "$output" | tr -d '\r' | sed 's/\^@//g')
  echo "$out"
  [ "$status" -eq 0 ]
  [[ "$out" == *"regular empty file"* ]]
  # the pty itself (unix98 pty majors are 136-143, 0x88-0x8f)
  [[ "$out" == *"character special file:8"[89a-f]* ]]
}

@test "CVE-2025-52881: a sysctl whose procfs file is overmounted by a host file is not written there" {
  fake=$BATS_TEST_TMPDIR/fake
  echo orig >"$fake"
  own_rootfs ".linux.sysctl = {\"kernel.shm_rmid_forced\": \"1\"} | .mounts += [{\"destination\": \"/proc/sys/kernel/shm_rmid_forced\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"bind\"]}, {\"destination\": \"/proc2\", \"type\": \"proc\", \"source\": \"proc\"}] | .process.args = [\"cat\", \"/proc2/sys/kernel/shm_rmid_forced\"]"
  run cellrt run --bundle "$B" "$ID"
  echo "$output"
  [ "$(cat "$fake")" = orig ]
  # either written to the real file (a private procfs) or refused with the reason
  if [ "$status" -eq 0 ]; then
    [ "$output" = 1 ]
  else
    [[ "$output" == *"mounted over"* ]]
  fi
}

@test "CVE-2025-52881: a sysctl redirected to another procfs file by a bind writes neither" {
  own_rootfs '.linux.sysctl = {"kernel.shm_rmid_forced": "1"} | .mounts += [{"destination": "/proc/sys/kernel/shm_rmid_forced", "type": "bind", "source": "/proc/sys/kernel/shmmni", "options": ["bind"]}, {"destination": "/proc2", "type": "proc", "source": "proc"}] | .process.args = ["cat", "/proc2/sys/kernel/shmmni", "/proc2/sys/kernel/shm_rmid_forced"]'
  run cellrt run --bundle "$B" "$ID"
  echo "$output"
  [ "${lines[0]}" != 1 ] # shmmni, in the container's ipc namespace, untouched
  if [ "$status" -eq 0 ]; then
    [ "${lines[1]}" = 1 ]
  else
    [[ "$output" == *"mounted over"* ]]
  fi
}

@test "CVE-2025-52881: oomScoreAdj is written to the init's procfs file, not to a file bound over it" {
  fake=$BATS_TEST_TMPDIR/fake
  echo orig >"$fake"
  own_rootfs ".process.oomScoreAdj = 345 | .mounts += [{\"destination\": \"/proc/1/oom_score_adj\", \"type\": \"bind\", \"source\": \"$fake\", \"options\": [\"bind\"]}] | .process.args = [\"sleep\", \"100\"]"
  # (not through `run`: the waiting init keeps the output open)
  status=0
  cellrt create --bundle "$B" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1 || status=$?
  output=$(cat "$BATS_TEST_TMPDIR/out")
  echo "$output"
  [ "$(cat "$fake")" = orig ]
  if [ "$status" -eq 0 ]; then
    [ "$(cat /proc/"$(cat "$BATS_TEST_TMPDIR/pid")"/oom_score_adj)" = 345 ]
  else
    [[ "$output" == *"mounted over"* ]]
  fi
}
