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
