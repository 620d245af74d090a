#!/usr/bin/env bats
# cellrt.bats - the runtime binds cellfs's views into containers annotated cell.viewfs=true.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load "$CELL_SOURCE_ROOT/tests/integration/viewfs/ctr"

setup_file() {
  fuse_ready || return 0
  [ -x "$CELLRT" ] || return 0
  [ -z "${CELL_LAB:-}" ] || return 0 # host only (see host_only)
  leak_snapshot
  export MNT=$BATS_FILE_TMPDIR/mnt-$CELL_TEST_PREFIX
  cellfs_start "$MNT"
}

teardown_file() {
  [ -n "${MNT:-}" ] || return 0
  cellfs_stop
  rmdir "$MNT" 2>/dev/null || true
  leak_check
}

setup() {
  need_root
  need jq
  [ -x "$CELLRT" ] || cell_skip "cellrt is not built"
  [ -n "${MNT:-}" ] || cell_skip "cellfs did not start"
  ID=$(cell_id)
  host_only
}

# limited_bundle ANNOTATION CMD: 256 MiB, cpuset 0-1, 0.5 cpu, running sh -c CMD.
limited_bundle() {
  cell_bundle ".annotations = {\"cell.viewfs\": \"$1\"}
    | .linux.resources = {memory: {limit: 268435456}, cpu: {quota: 50000, period: 100000, cpus: \"0-1\"}}
    | .process.args = [\"sh\", \"-c\", \"$2\"]"
}

@test "an annotated container reads its limits from /proc and /sys" {
  local b
  b=$(limited_bundle true 'grep MemTotal /proc/meminfo; grep -c ^processor /proc/cpuinfo; cat /sys/devices/system/cpu/online; grep -c ^cpu[0-9] /proc/stat; cut -d. -f1 /proc/uptime; cat /proc/loadavg; stat -c %d /proc/loadavg')
  CELL_VIEWFS_MOUNT=$MNT run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MemTotal:         262144 kB" ]
  [ "${lines[1]}" = 1 ]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" = 1 ]
  [ "${lines[4]}" -lt 5 ]
  # loadavg comes from the sampled mount, for the container's cgroup (a few tasks at most)
  [[ "${lines[5]}" =~ ^[0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+/([0-9]+)\ [0-9]+$ ]]
  [ "${BASH_REMATCH[1]}" -lt 20 ]
  [ "${lines[6]}" = "$(stat -c %d "$MNT.cache")" ]
}

@test "without the annotation the container sees the host's /proc" {
  local b
  b=$(limited_bundle false 'grep MemTotal /proc/meminfo')
  CELL_VIEWFS_MOUNT=$MNT run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | awk '{print $2}')" = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" ]
}

@test "with no cellfs running the container starts and the runtime warns once" {
  local b empty=$BATS_TEST_TMPDIR/none
  mkdir -p "$empty"
  b=$(limited_bundle true 'echo started')
  CELL_VIEWFS_MOUNT=$empty run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *started* ]]
  [ "$(grep -c 'no cellfs mounted' <<<"$output")" = 1 ]
}

# claim_run FILTER: a process of another cgroup reads the sampled loadavg of two containers
# before they start (without the init's claim it would keep them bound to its own, idle cgroup);
# then the first runs 4 busy loops and the second sleeps, both for 11 s (two load ticks at least),
# and print their /proc/loadavg, busy first. FILTER is applied to both bundles.
claim_run() {
  local filter=$1 h=$CELL_TEST_PREFIX-h id2 busy idle
  id2=$(cell_id)
  ctr_create "$h" 268435456 0-1 50000
  ctr_exec "$h" "cat $MNT.cache/$ID/proc/loadavg $MNT.cache/$id2/proc/loadavg" >/dev/null
  idle=$BATS_TEST_TMPDIR/idle
  cp -r "$(limited_bundle true 'sleep 11; cat /proc/loadavg')" "$idle"
  jq "$filter" "$idle/config.json" >"$idle/c" && mv "$idle/c" "$idle/config.json"
  busy=$(limited_bundle true "for i in 1 2 3 4; do timeout 12 sh -c 'while :; do :; done' & done; sleep 11; cat /proc/loadavg")
  jq "$filter" "$busy/config.json" >"$busy/c" && mv "$busy/c" "$busy/config.json"
  CELL_VIEWFS_MOUNT=$MNT cellrt run --bundle "$idle" "$id2" >"$BATS_TEST_TMPDIR/idle.out" 2>&1 &
  CELL_VIEWFS_MOUNT=$MNT cellrt run --bundle "$busy" "$ID" >"$BATS_TEST_TMPDIR/busy.out" 2>&1 || true
  wait
  ctr_destroy "$h"
  cat "$BATS_TEST_TMPDIR/busy.out" "$BATS_TEST_TMPDIR/idle.out"
}

@test "the init claims its sampled loadavg: a reader in another cgroup before the start does not keep it" {
  local setattr
  setattr=$(sampled_op SETATTR)
  run claim_run .
  claimed_loads "$output"
  # one claim per container: a SETATTR (a touch of the times)
  [ "$(sampled_op SETATTR)" = $((setattr + 2)) ]
}

@test "userns: the init's claim (a getxattr, as it may not touch the host root's file) works too" {
  # the mapped root must reach the rootfs and cellfs's mount through the test's directories
  local d
  for d in "$BATS_TEST_TMPDIR" "$(dirname "$MNT")"; do
    while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
  done
  local setattr getxattr
  setattr=$(sampled_op SETATTR)
  getxattr=$(sampled_op GETXATTR)
  run claim_run '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 1000000, "size": 65536}]'
  claimed_loads "$output"
  # the touch is refused by the kernel (EACCES, no request): each init claims with a GETXATTR
  [ "$(sampled_op SETATTR)" = "$setattr" ]
  [ "$(sampled_op GETXATTR)" = $((getxattr + 2)) ]
}
