#!/usr/bin/env bats
# v2.bats - cellfs on a cgroup2-only host (run in the lab by tests/lab): the views of a container
# limited to 256 MiB, cpuset 0-1 and 0.5 cpu, its load average, and an unlimited one. Few tests:
# each costs seconds under TCG; cellfs.bats covers the rest on the host.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load "$CELL_SOURCE_ROOT/tests/integration/viewfs/ctr"

setup_file() {
  fuse_ready || return 0
  limited_pair_start
}

teardown_file() {
  limited_pair_stop
}

setup() {
  need_cellfs
  cgroup_v2 || cell_skip "not a cgroup2 host (this suite runs in the lab)"
}

@test "v2: meminfo, cpuinfo, cpu/online, stat and uptime of a 256 MiB, 0.5 cpu container" {
  cat "$DUMP"
  [ "$(view "$DUMP" proc/meminfo | grep MemTotal)" = "MemTotal:         262144 kB" ]
  [ "$(view "$DUMP" proc/cpuinfo | grep -c ^processor)" = 1 ]
  [ "$(view "$DUMP" sys/devices/system/cpu/online)" = 0 ]
  [ "$(view "$DUMP" proc/stat | grep -c '^cpu[0-9]')" = 1 ]
  local up
  up=$(view "$DUMP" proc/uptime | cut -d. -f1)
  [ "$up" -lt 10 ]
  [[ "$(view "$DUMP" proc/pressure/cpu)" == *"some avg10="* ]]
}

@test "v2: the load average rises with a busy loop inside that container only" {
  ctr_exec "$C1" "cat $MNT/$C1/proc/loadavg" >/dev/null
  ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg" >/dev/null
  ctr_exec "$C1" "timeout 12 sh -c 'while :; do :; done' & sleep 11; cat $MNT/$C1/proc/loadavg" >"$BATS_TEST_TMPDIR/l1" &
  local busy=$!
  sleep 11
  run ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg"
  wait $busy
  echo "busy: $(cat "$BATS_TEST_TMPDIR/l1") idle: $output"
  # The idle container's only task is the slow (TCG) reader itself, which a sample may catch.
  awk -v b="$(cut -d' ' -f1 "$BATS_TEST_TMPDIR/l1")" -v i="${output%% *}" 'BEGIN { exit !(b >= i + 0.05) }'
}

@test "v2: max limits show the host's memory; the root cgroup sees the host" {
  local n=$CELL_TEST_PREFIX-free
  ctr_create "$n" max 0-1 max
  run ctr_exec "$n" "grep MemTotal $MNT/$n/proc/meminfo; cat $MNT/$n/sys/devices/system/cpu/online"
  ctr_destroy "$n"
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | awk '{print $2}')" = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" ]
  [ "${lines[1]}" = 0-1 ]
  run cat "$MNT/$C1/proc/meminfo"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '/^MemTotal/ {print $2}')" = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" ]
}
