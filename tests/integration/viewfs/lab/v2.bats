#!/usr/bin/env bats
# v2.bats - cellfs on a cgroup2-only host (run in the lab by tests/lab): the views of a container
# limited to 256 MiB, cpuset 0-1 and 0.5 cpu, load averages (of the views mount, and of the
# sampled mount in runtime containers, with the init's claim), and an unlimited one. Few tests:
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

# sampled_bundle DIR CMD: a runtime bundle at DIR with cellfs's views (cell.viewfs), 256 MiB and
# 0.5 cpu, running sh -c CMD.
sampled_bundle() {
  local b
  b=$(cell_bundle ".annotations = {\"cell.viewfs\": \"true\"}
    | .linux.resources = {memory: {limit: 268435456}, cpu: {quota: 50000, period: 100000}}
    | .process.args = [\"sh\", \"-c\", \"$2\"]")
  mv "$b" "$1"
}

# One 11 s window (two load ticks at least) for every load check, as each costs seconds under
# TCG: two runtime containers, whose /proc/loadavg the runtime binds from the sampled mount and
# their inits claim, though the host read both files before they started (which, without the
# claim, would keep them bound to the host's cgroup); and the views mount's loadavg of C1 and C2.
@test "v2: loadavg rises with busy loops in that container only (sampled mount, claimed; views mount)" {
  [ -x "$CELLRT" ] || cell_skip "cellrt is not built"
  need jq
  local busy idle tmp=$BATS_TEST_TMPDIR setattr pids
  busy=$(cell_id)
  idle=$busy-idle
  cat "$MNT.cache/$busy/proc/loadavg" "$MNT.cache/$idle/proc/loadavg" >/dev/null
  ctr_exec "$C1" "cat $MNT/$C1/proc/loadavg" >/dev/null
  ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg" >/dev/null
  sampled_bundle "$tmp/idle" 'sleep 11; stat -c %d /proc/loadavg; cat /proc/loadavg'
  sampled_bundle "$tmp/busy" "for i in 1 2 3 4; do timeout 12 sh -c 'while :; do :; done' & done; sleep 11; stat -c %d /proc/loadavg; cat /proc/loadavg"
  setattr=$(sampled_op SETATTR)
  ctr_exec "$C1" "timeout 12 sh -c 'while :; do :; done' & sleep 11; cat $MNT/$C1/proc/loadavg" >"$tmp/l1" &
  pids=$!
  CELL_VIEWFS_MOUNT=$MNT cellrt run --bundle "$tmp/idle" "$idle" >"$tmp/idle.out" 2>&1 &
  pids="$pids $!"
  CELL_VIEWFS_MOUNT=$MNT cellrt run --bundle "$tmp/busy" "$busy" >"$tmp/busy.out" 2>&1 || true
  wait $pids || true
  run ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg"
  echo "sampled busy: $(cat "$tmp/busy.out")"
  echo "sampled idle: $(cat "$tmp/idle.out")"
  echo "views busy: $(cat "$tmp/l1") idle: $output"
  # The idle container's only task is the slow (TCG) reader itself, which a sample may catch.
  awk -v b="$(cut -d' ' -f1 "$tmp/l1")" -v i="${output%% *}" 'BEGIN { exit !(b >= i + 0.05) }'
  # Both runtime containers read the sampled mount; a claim lost to the host's read would show
  # the host's load in both.
  [ "$(sed -n 1p "$tmp/busy.out")" = "$(stat -c %d "$MNT.cache")" ]
  [ "$(sed -n 1p "$tmp/idle.out")" = "$(stat -c %d "$MNT.cache")" ]
  claimed_loads "$(sed -n 2p "$tmp/busy.out"; sed -n 2p "$tmp/idle.out")"
  # one claim per container, a touch of the times
  [ "$(sampled_op SETATTR)" = $((setattr + 2)) ]
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
