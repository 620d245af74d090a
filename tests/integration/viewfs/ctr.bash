# ctr.bash - "containers" for the cellfs tests: cgroups made by the test (v1 or v2) plus
# unshare'd pid and mount namespaces, without the runtime.

CELLFS=${CELLFS:-$CELL_BUILD_ROOT/src/viewfs/cellfs}
CELLFS_READER=${CELLFS_READER:-$CELL_BUILD_ROOT/tests/integration/viewfs/cellfs-test-reader}
CELLFS_BIND=${CELLFS_BIND:-$CELL_BUILD_ROOT/tests/integration/viewfs/cellfs-test-bind-views}

cgroup_v2() { [ -f /sys/fs/cgroup/cgroup.controllers ]; }

# fuse_ready: root and /dev/fuse (loading the module if need be); a suite's setup_file returns
# early without them, and its setup() skips with the reason.
fuse_ready() {
  [ "$(id -u)" = 0 ] || return 1
  [ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
  [ -e /dev/fuse ]
}

# limited_pair_start: cellfs at $MNT and two containers C1, C2 limited to 256 MiB, cpuset 0-1
# and 0.5 cpu; C1's fresh views dumped once to $DUMP (a container start is slow in the lab).
limited_pair_start() {
  leak_snapshot
  export MNT=$BATS_FILE_TMPDIR/mnt-$CELL_TEST_PREFIX
  export C1=$CELL_TEST_PREFIX-c1 C2=$CELL_TEST_PREFIX-c2
  cellfs_start "$MNT"
  ctr_create "$C1" 268435456 0-1 50000
  ctr_create "$C2" 268435456 0-1 50000
  export DUMP=$BATS_FILE_TMPDIR/dump-c1
  ctr_dump "$C1" "$DUMP"
}

limited_pair_stop() {
  [ -n "${MNT:-}" ] || return 0
  ctr_destroy "$C1"
  ctr_destroy "$C2"
  cellfs_stop
  rmdir "$MNT" 2>/dev/null || true
  leak_check
}

# need_cellfs: the per-test checks of a suite that runs cellfs.
need_cellfs() {
  need_root
  [ -e /dev/fuse ] || cell_skip "no /dev/fuse"
  [ -n "${MNT:-}" ] || cell_skip "cellfs did not start"
}

# In the lab (TCG, slow) only what differs on cgroup v2 runs; the rest is covered on the host.
host_only() {
  [ -z "${CELL_LAB:-}" ] || skip "covered by the host run (the lab checks what differs on v2)"
}

# ctr_dump NAME FILE: every view as NAME sees it, in one container start, "==> view <==" headed.
ctr_dump() {
  local name=$1 v script=""
  for v in proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/swaps proc/diskstats \
    proc/pressure/cpu sys/devices/system/cpu/online sys/devices/system/node/node0/cpulist \
    sys/devices/system/node/node0/cpumap; do
    script="$script echo '==> $v <=='; cat $MNT/$name/$v;"
  done
  ctr_exec "$name" "$script" >"$2"
}

# view FILE VIEW: one view out of a dump
view() {
  awk -v h="==> $2 <==" '$0 == h { on = 1; next } /^==> / { on = 0 } on' "$1"
}

# kernel_at_least MAJOR MINOR
kernel_at_least() {
  local v=${1}.${2} k
  k=$(uname -r | cut -d- -f1 | cut -d. -f1-2)
  [ "$(printf '%s\n%s\n' "$v" "$k" | sort -V | head -1)" = "$v" ]
}

# ctr_create NAME MEM_BYTES CPUSET QUOTA_US: make the cgroups, record them for ctr_destroy.
ctr_create() {
  local name=$1 mem=$2 cpus=$3 quota=$4 dirs=""
  if cgroup_v2; then
    local d=/sys/fs/cgroup/$name
    echo "+memory +cpu +cpuset +io" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
    mkdir "$d"
    echo "$mem" >"$d/memory.max"
    echo "$cpus" >"$d/cpuset.cpus"
    echo "$quota 100000" >"$d/cpu.max"
    dirs=$d
  else
    local c base
    for c in memory cpu cpuacct cpuset blkio; do
      # Under the test's own cgroup in each hierarchy, never beside someone else's.
      base=/sys/fs/cgroup/$c$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)
      base=${base%/}
      mkdir "$base/$name"
      dirs="$dirs $base/$name"
      case $c in
      memory) echo "$mem" >"$base/$name/memory.limit_in_bytes" ;;
      cpu) echo "$quota" >"$base/$name/cpu.cfs_quota_us" ;;
      cpuset)
        echo "$cpus" >"$base/$name/cpuset.cpus"
        cat "$base/cpuset.mems" >"$base/$name/cpuset.mems"
        ;;
      esac
    done
  fi
  echo "$dirs" >"$BATS_FILE_TMPDIR/ctr.$name"
  # A sleeper keeps each cgroup busy: on a shared machine another job's sweep of empty cgroups
  # must not remove it between two of the test's readers (ctr_destroy kills it).
  CTR_DIRS=$dirs setsid sh -c 'for d in $CTR_DIRS; do echo $$ >"$d/cgroup.procs"; done; exec sleep 100000' \
    </dev/null >/dev/null 2>&1 &
  disown $! # no job notice when ctr_destroy kills it
  local i last
  for last in $dirs; do :; done
  for i in $(seq 50); do
    [ -n "$(cat "$last/cgroup.procs" 2>/dev/null)" ] && break
    sleep 0.02
  done
}

# ctr_exec NAME SCRIPT: run SCRIPT with sh inside NAME's cgroups, in new pid + mount namespaces.
ctr_exec() {
  local name=$1 script=$2
  CTR_DIRS=$(cat "$BATS_FILE_TMPDIR/ctr.$name") sh -c '
    for d in $CTR_DIRS; do echo $$ >"$d/cgroup.procs" || exit 1; done
    exec unshare --pid --fork --mount-proc sh -c "$1"' _ "$script"
}

# ctr_destroy NAME: remove its cgroups once their processes are gone.
ctr_destroy() {
  local name=$1 d i
  [ -f "$BATS_FILE_TMPDIR/ctr.$name" ] || return 0
  for d in $(cat "$BATS_FILE_TMPDIR/ctr.$name"); do
    for i in $(seq 50); do
      [ -d "$d" ] || break
      if [ -f "$d/cgroup.kill" ]; then echo 1 >"$d/cgroup.kill"; else xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null; fi
      rmdir "$d" 2>/dev/null && break
      sleep 0.1
    done
  done
  rm -f "$BATS_FILE_TMPDIR/ctr.$name"
}

# cellfs_start MNT: run the holder in the background, wait until it answers.
cellfs_start() {
  local mnt=$1 i
  mkdir -p "$mnt"
  "$CELLFS" "${@:2}" "$mnt" >>"$BATS_FILE_TMPDIR/cellfs.log" 2>&1 &
  echo $! >"$BATS_FILE_TMPDIR/cellfs.pid"
  for i in $(seq 100); do
    [ "$(cat "$mnt/probe/.floor" 2>/dev/null)" = cellfs ] && return 0
    sleep 0.05
  done
  cat "$BATS_FILE_TMPDIR/cellfs.log" >&2
  return 1
}

cellfs_stop() {
  local pid i
  pid=$(cat "$BATS_FILE_TMPDIR/cellfs.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  rm -f "$BATS_FILE_TMPDIR/cellfs.pid"
}

# sampled_op OP: how many OP requests the sampled connection was sent (from <mnt>/.stats).
sampled_op() {
  awk -v op="$1" '$1 == "sampled" && $2 == op { n = $3 } END { print n + 0 }' "$MNT/.stats"
}

# claimed_loads OUTPUT: the busy container's load rose (its own cgroup's: 4 running tasks give
# 0.32 at the first tick, 0.61 at the second), the idle one's did not (on a loaded machine one of
# its processes may be caught running by a tick while it starts or ends: 0.08 each time).
claimed_loads() {
  echo "$1"
  local re='^([0-9]+\.[0-9]{2}) [0-9]+\.[0-9]{2} [0-9]+\.[0-9]{2} [0-9]+/[0-9]+ [0-9]+$'
  [ "$(wc -l <<<"$1")" = 2 ]
  [[ "$(sed -n 1p <<<"$1")" =~ $re ]]
  awk -v l="${BASH_REMATCH[1]}" 'BEGIN { exit !(l >= 0.30) }'
  [[ "$(sed -n 2p <<<"$1")" =~ $re ]]
  awk -v l="${BASH_REMATCH[1]}" 'BEGIN { exit !(l < 0.20) }'
}
