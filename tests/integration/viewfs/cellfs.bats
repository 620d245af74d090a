#!/usr/bin/env bats
# cellfs.bats - the views inside limited containers (256 MiB, cpuset 0-1, 0.5 cpu), restarts,
# bad input, and the daemon's command line.

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
}

@test "cellfs --help prints the usage, bad arguments fail with one line" {
  host_only
  run "$CELLFS" --help
  [ "$status" -eq 0 ]
  [[ "$output" == *SYNOPSIS* ]]
  [[ "$output" == *"--check PID"* ]]
  run "$CELLFS" --check notapid
  [ "$status" -eq 1 ]
  [ "$output" = "cellfs: --check: 'notapid' is not a pid" ]
  run "$CELLFS" --bogus
  [ "$status" -eq 1 ]
  run "$CELLFS" a b
  [ "$status" -eq 1 ]
  [[ "$output" == *"one mountpoint expected"* ]]
}

@test "--check of a pid that has exited is a clean error" {
  host_only
  sh -c 'exit 0' &
  local pid=$!
  wait $pid
  run "$CELLFS" --check "$pid"
  [ "$status" -eq 1 ]
  [ "$output" = "cellfs: --check: no process $pid" ]
}

@test "MemTotal in /proc/meminfo is the 256 MiB limit" {
  run view "$DUMP" proc/meminfo
  [[ "$output" == *"MemTotal:         262144 kB"* ]]
  # MemFree and MemAvailable stay within the limit
  local free
  free=$(echo "$output" | awk '/^MemFree:/ {print $2}')
  [ "$free" -le 262144 ]
}

@test "/proc/cpuinfo lists one processor for a 0.5 cpu quota on cpuset 0-1" {
  run view "$DUMP" proc/cpuinfo
  [ "$(grep -c ^processor <<<"$output")" = 1 ]
  [[ "$(grep ^processor <<<"$output")" == processor*": 0" ]]
}

@test "sys/devices/system/cpu/online reads 0" {
  run view "$DUMP" sys/devices/system/cpu/online
  [ "$output" = 0 ]
}

@test "node0's cpulist and cpumap hold the view's one cpu, in the host's mask shape" {
  run view "$DUMP" sys/devices/system/node/node0/cpulist
  [ "$output" = 0 ]
  run view "$DUMP" sys/devices/system/node/node0/cpumap
  echo "$output"
  if [ ! -e /sys/devices/system/node/node0/cpumap ]; then
    [ -z "$output" ] # a kernel without NUMA: no shape to follow, the read fails
    return 0
  fi
  [ "$(tr -d , <<<"$output" | sed 's/^0*//')" = 1 ]
  [ "${#output}" = "$(wc -L </sys/devices/system/node/node0/cpumap)" ]
}

@test "/proc/stat has one cpuN line" {
  run view "$DUMP" proc/stat
  [ "$(grep -c '^cpu[0-9]' <<<"$output")" = 1 ]
  [[ "${lines[0]}" == "cpu  "* ]]
}

@test "/proc/uptime starts near 0 in a new container" {
  run view "$DUMP" proc/uptime
  local up=${output%% *}
  [ "${up%.*}" -lt 5 ]
  # while the host has been up longer than that
  [ "$(cut -d. -f1 /proc/uptime)" -gt "${up%.*}" ]
}

@test "/proc/swaps, diskstats and pressure answer" {
  run view "$DUMP" proc/swaps
  [[ "${lines[0]}" == Filename* ]]
  run view "$DUMP" proc/pressure/cpu
  [[ "$output" == *"some avg10="* ]]
}

@test "the views bind-mounted over the container's /proc read as the container's" {
  host_only
  run ctr_exec "$C1" "mount --bind $MNT/$C1/proc/meminfo /proc/meminfo && mount --bind $MNT/$C1/proc/cpuinfo /proc/cpuinfo && grep MemTotal /proc/meminfo && grep -c ^processor /proc/cpuinfo"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MemTotal:         262144 kB" ]
  [ "${lines[1]}" = 1 ]
  # and the host's own files are untouched
  [ "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" -gt 262144 ]
}

@test "a reader outside any limit sees the host" {
  run cat "$MNT/$C1/proc/meminfo"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | awk '/^MemTotal/ {print $2}')" = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" ]
}

@test "a quota smaller than one period still shows one cpu" {
  host_only
  local n=$CELL_TEST_PREFIX-tiny
  ctr_create "$n" 268435456 0-1 1000
  run ctr_exec "$n" "cat $MNT/$n/sys/devices/system/cpu/online; grep -c ^processor $MNT/$n/proc/cpuinfo"
  ctr_destroy "$n"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 1 ]
}

@test "no limit (-1/max) shows the host's memory and every cpu of the cpuset" {
  local n=$CELL_TEST_PREFIX-free
  if cgroup_v2; then ctr_create "$n" max 0-1 max; else ctr_create "$n" -1 0-1 -1; fi
  run ctr_exec "$n" "grep MemTotal $MNT/$n/proc/meminfo; cat $MNT/$n/sys/devices/system/cpu/online"
  ctr_destroy "$n"
  [ "$status" -eq 0 ]
  [ "$(echo "${lines[0]}" | awk '{print $2}')" = "$(awk '/^MemTotal/ {print $2}' /proc/meminfo)" ]
  local ncpu
  ncpu=$(grep -c ^processor /proc/cpuinfo)
  if [ "$ncpu" -ge 2 ]; then [ "${lines[1]}" = 0-1 ]; else [ "${lines[1]}" = 0 ]; fi
}

@test "the load average rises with a busy loop inside that container only, and survives a server restart" {
  # the first read starts the sampling of each container
  # (and of the sampled mount's file, which the container's first reader binds to its cgroup)
  ctr_exec "$C1" "cat $MNT/$C1/proc/loadavg $MNT.cache/$C1/proc/loadavg" >/dev/null
  ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg $MNT.cache/$C2/proc/loadavg" >/dev/null
  ctr_exec "$C1" "timeout 12 sh -c 'while :; do :; done' & sleep 11; cat $MNT/$C1/proc/loadavg $MNT.cache/$C1/proc/loadavg" >"$BATS_TEST_TMPDIR/l1" &
  local busy=$!
  sleep 11
  run ctr_exec "$C2" "cat $MNT/$C2/proc/loadavg $MNT.cache/$C2/proc/loadavg"
  wait $busy
  echo "busy: $(cat "$BATS_TEST_TMPDIR/l1") idle: $output"
  local l_busy l_idle
  [ "$(wc -l <"$BATS_TEST_TMPDIR/l1")" = 2 ]
  [ "${#lines[@]}" = 2 ]
  for l_idle in "${lines[0]%% *}" "${lines[1]%% *}"; do [ "$l_idle" = 0.00 ]; done
  for l_busy in $(cut -d' ' -f1 "$BATS_TEST_TMPDIR/l1"); do
    awk -v l="$l_busy" 'BEGIN { exit !(l >= 0.05) }'
  done
  # The load state lives in the holder's memfd: a new server carries on from it.
  local holder server next
  holder=$(cat "$BATS_FILE_TMPDIR/cellfs.pid")
  server=$(pgrep -P "$holder")
  kill -KILL "$server"
  for _ in $(seq 100); do
    next=$(pgrep -P "$holder" || true)
    [ -n "$next" ] && [ "$next" != "$server" ] && break
    sleep 0.02
  done
  run ctr_exec "$C1" "cat $MNT/$C1/proc/loadavg $MNT.cache/$C1/proc/loadavg"
  echo "after a server restart: $output"
  [ "$status" -eq 0 ]
  awk -v l="${lines[0]%% *}" 'BEGIN { exit !(l >= 0.05) }'
  awk -v l="${lines[1]%% *}" 'BEGIN { exit !(l >= 0.05) }'
}

# Requests the sampled connection was sent, all opcodes (from <mnt>/.stats).
sampled_requests() {
  awk '$1 == "sampled" { n += $3 } END { print n + 0 }' "$MNT/.stats"
}

@test "proc/loadavg of the sampled mount: open, read and close send cellfs no request" {
  local f=$MNT.cache/$C1/proc/loadavg stop=$BATS_TEST_TMPDIR/stop out=$BATS_TEST_TMPDIR/reader.out
  run ctr_exec "$C1" "cat $f"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" =~ ^[0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+\.[0-9]{2}\ [0-9]+/[0-9]+\ [0-9]+$ ]]
  local before after reads
  before=$(sampled_requests)
  (sleep 1.5 && touch "$stop") &
  ctr_exec "$C1" "$CELLFS_READER $f $stop /" >"$out" 2>&1
  after=$(sampled_requests)
  cat "$out" "$MNT/.stats"
  echo "sampled requests: $before before, $after after"
  grep -q "errors=0$" "$out"
  reads=$(sed -n 's/^reads=\([0-9]*\).*/\1/p' "$out")
  [ "$reads" -gt 1000 ]
  # At most one 5-second update fell into the loop: its GETATTR, and a READ if it got shorter.
  [ $((after - before)) -le 3 ]
}

# tasks_of LOADAVG_LINE: the task count (after the slash) of a loadavg line
tasks_of() {
  [[ "$1" =~ /([0-9]+)\ [0-9]+$ ]] && echo "${BASH_REMATCH[1]}"
}

@test "a touch of the sampled loadavg claims it for the toucher's cgroup at once; no other change is taken" {
  local f=$MNT.cache/$CELL_TEST_PREFIX-claim/proc/loadavg first claimed n=0
  # C1 gets 8 more tasks, counted at the next load tick (they end by themselves)
  ctr_exec "$C1" "for i in 1 2 3 4 5 6 7 8; do sleep 12 & done; wait" &
  until [ "$(tasks_of "$(ctr_exec "$C1" "cat $MNT/$C1/proc/loadavg")")" -ge 9 ]; do
    [ $((n += 1)) -lt 40 ]
    sleep 0.25
  done
  # bound by its first reader, in C2
  run ctr_exec "$C2" "cat $f"
  [ "$status" -eq 0 ]
  first=$(tasks_of "$output")
  # C1 claims it: its text is C1's at once, not at the next tick
  run ctr_exec "$C1" "touch $f && cat $f"
  echo "first reader (C2): $first tasks; claimed by C1: $output"
  [ "$status" -eq 0 ]
  claimed=$(tasks_of "$output")
  [ "$first" -lt 9 ]
  [ "$claimed" -ge 9 ]
  # only the times may be "set" (and are not): mode and size stay
  run chmod 600 "$f"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Operation not permitted"* ]]
  run truncate -s 0 "$f"
  [ "$status" -ne 0 ]
  [ "$(stat -c %a "$f")" = 444 ]
  [ "$(tasks_of "$(cat "$f")")" -gt 0 ]
  wait
}

@test "readers loop over /proc/meminfo and the sampled /proc/loadavg while the server is SIGKILLed and restarted 10 times: zero errors" {
  # Requests in flight at a crash are answered again only with FUSE_NOTIFY_RESEND (6.9+).
  kernel_at_least 6 9 || cell_skip "kernel $(uname -r) has no FUSE_NOTIFY_RESEND (6.9+)"
  local holder stop=$BATS_TEST_TMPDIR/stop out=$BATS_TEST_TMPDIR/reader.out
  holder=$(cat "$BATS_FILE_TMPDIR/cellfs.pid")
  ctr_exec "$C1" "mount --bind $MNT/$C1/proc/meminfo /proc/meminfo && $CELLFS_READER /proc/meminfo $stop 'MemTotal:         262144 kB'" >"$out" 2>&1 &
  local reader=$!
  # proc/loadavg as the runtime binds it: from the sampled connection, also held by the holder.
  ctr_exec "$C1" "mount --bind $MNT.cache/$C1/proc/loadavg /proc/loadavg && $CELLFS_READER /proc/loadavg $stop /" >"$out.load" 2>&1 &
  local loadreader=$!
  sleep 0.5
  local i server next
  for i in $(seq 10); do
    server=$(pgrep -P "$holder")
    [ -n "$server" ]
    kill -KILL "$server"
    for _ in $(seq 100); do
      next=$(pgrep -P "$holder" || true)
      [ -n "$next" ] && [ "$next" != "$server" ] && break
      sleep 0.02
    done
    [ "$next" != "$server" ]
    sleep 0.2
  done
  touch "$stop"
  wait "$reader"
  wait "$loadreader"
  cat "$out" "$out.load"
  grep -q "errors=0$" "$out"
  grep -q "errors=0$" "$out.load"
  local reads
  reads=$(sed -n 's/^reads=\([0-9]*\).*/\1/p' "$out")
  [ "$reads" -gt 100 ]
  reads=$(sed -n 's/^reads=\([0-9]*\).*/\1/p' "$out.load")
  [ "$reads" -gt 100 ]
}

@test "SIGTERM unmounts cleanly and removes the backing files" {
  host_only
  local holder mnt2=$BATS_FILE_TMPDIR/mnt2-$CELL_TEST_PREFIX
  "$CELLFS" "$mnt2" 2>/dev/null &
  holder=$!
  for _ in $(seq 100); do [ "$(cat "$mnt2/x/.floor" 2>/dev/null)" = cellfs ] && break; sleep 0.05; done
  [ -d "/dev/shm/cellfs.$holder" ]
  kill -TERM "$holder"
  wait "$holder"
  ! grep -q " $mnt2 " /proc/self/mountinfo
  ! grep -q " $mnt2.cache " /proc/self/mountinfo
  [ ! -e "$mnt2.cache" ]
  [ ! -e "/dev/shm/cellfs.$holder" ]
  rmdir "$mnt2"
}

@test "idle container directories are dropped; bound views keep working; a gone container's slot is freed" {
  host_only
  local holder m=$BATS_FILE_TMPDIR/mnt3-$CELL_TEST_PREFIX gone=$CELL_TEST_PREFIX-gone i
  mkdir -p "$m"
  CELLFS_IDLE_SECONDS=1 "$CELLFS" "$m" 2>/dev/null &
  holder=$!
  for _ in $(seq 100); do [ "$(cat "$m/$gone/.floor" 2>/dev/null)" = cellfs ] && break; sleep 0.05; done
  [ "$(cat "$m/$gone/proc/loadavg" | wc -l)" = 1 ]
  [ "$(cat "$m.cache/$gone/proc/loadavg" | wc -l)" = 1 ]
  ls "$m" | grep -qx "$gone"
  ls "$m.cache" | grep -qx "$gone"
  # C1's views stay bound across the sampler's rounds (every 5 s) that invalidate idle entries;
  # its slot lives while the mounts do.
  # (the same for the sampled mount, which the hook binds /proc/loadavg from)
  run ctr_exec "$C1" "mount --make-rprivate / && $CELLFS_BIND / $C1 $m && grep MemTotal /proc/meminfo && grep -c / /proc/loadavg && sleep 8 && grep MemTotal /proc/meminfo && grep -c / /proc/loadavg && cat /sys/devices/system/cpu/online && ls $m && ls $m.cache"
  echo "$output"
  # Once C1's mounts are gone, nothing holds its entries either.
  for i in $(seq 40); do
    ls "$m" "$m.cache" | grep -qx -e "$gone" -e "$C1" || break
    sleep 0.25
  done
  local left left_cache
  left=$(ls "$m")
  left_cache=$(ls "$m.cache")
  kill -TERM "$holder"
  wait "$holder"
  rmdir "$m"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MemTotal:         262144 kB" ]
  [ "${lines[1]}" = 1 ]
  [ "${lines[2]}" = "MemTotal:         262144 kB" ]
  [ "${lines[3]}" = 1 ]
  [ "${lines[4]}" = 0 ]
  [ "${lines[5]}" = "$C1" ] # the directory nobody held was gone already
  [ "${lines[6]}" = "$C1" ]
  [ -z "$left" ]
  [ -z "$left_cache" ]
}

@test "the request thread runs as SCHED_BATCH (a RELEASE's wake-up does not preempt readers)" {
  host_only
  local holder server
  holder=$(cat "$BATS_FILE_TMPDIR/cellfs.pid")
  server=$(pgrep -P "$holder" | head -1)
  [ -n "$server" ]
  run chrt -p "$server"
  echo "$output"
  [[ "${lines[0]}" == *SCHED_BATCH ]]
}

@test "the runtime's hook binds every view into a container rootfs" {
  run ctr_exec "$C1" "mount --make-rprivate / && $CELLFS_BIND / $C1 $MNT && grep MemTotal /proc/meminfo && cat /sys/devices/system/cpu/online && grep -c '^cpu[0-9]' /proc/stat && stat -c %d /proc/loadavg $MNT.cache && cat /proc/loadavg"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "MemTotal:         262144 kB" ]
  [ "${lines[1]}" = 0 ]
  [ "${lines[2]}" = 1 ]
  # loadavg is bound from the sampled mount
  [ "${lines[3]}" = "${lines[4]}" ]
  [[ "${lines[5]}" == *" "*/*" "* ]]
}

@test "lscpu in a container with the views bound counts the view's one cpu" {
  host_only
  command -v lscpu >/dev/null || cell_skip "no lscpu (util-linux)"
  run ctr_exec "$C1" "mount --make-rprivate / && $CELLFS_BIND / $C1 $MNT && cat /sys/devices/system/cpu/possible /sys/devices/system/cpu/present && lscpu"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  echo "$output" | grep -Eq '^CPU\(s\): +1$'
  echo "$output" | grep -Eq '^On-line CPU\(s\) list: +0$'
  if [ -e /sys/devices/system/node/node0/cpumap ]; then
    echo "$output" | grep -Eq '^NUMA node0 CPU\(s\): +0$'
  fi
}

@test "without a cellfs the hook warns once and the container starts" {
  host_only
  local empty=$BATS_TEST_TMPDIR/none
  mkdir -p "$empty"
  run ctr_exec "$C1" "mount --make-rprivate / && $CELLFS_BIND / $C1 $empty && grep -c . /proc/meminfo >/dev/null && echo started"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | grep -c 'no cellfs mounted')" = 1 ]
  [ "${lines[-1]}" = started ]
}
