#!/bin/bash
# viewfs-mem.sh [N] [ROUNDS] - daemon memory with 1 vs N (default 100) containers, cellfs beside
# LXCFS in one run: each container (cgroups of its own: 256 MiB, cpuset 0-1, 0.5 cpu, own pid
# namespace) reads every view of both once per round; a round after the first uses N new
# containers (the old ones removed), so growth with churn shows too. Prints RSS (kB) of cellfs's
# server and holder, the tmpfs its backing files use, and LXCFS's RSS, with the ratio N:1; and
# the same once cellfs has dropped idle backing content (CELLFS_IDLE_SECONDS=1 here, 60 by default).
set -eu
cd "$(dirname "$0")/.."
N=${1:-100}
ROUNDS=${2:-3}
BUILD=${BUILD:-build}
CELLFS=$BUILD/src/viewfs/cellfs
[ "$(id -u)" = 0 ] || { echo "viewfs-mem.sh: needs root" >&2; exit 1; }
[ -x "$CELLFS" ] || { echo "viewfs-mem.sh: build first (scripts/build.sh)" >&2; exit 1; }
command -v lxcfs >/dev/null || { echo "viewfs-mem.sh: lxcfs missing (scripts/setup.sh --test)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/cellfs-mem.XXXXXX)
export BATS_FILE_TMPDIR=$tmp CELL_BUILD_ROOT=$PWD/$BUILD
# shellcheck source=../tests/integration/viewfs/ctr.bash
. tests/integration/viewfs/ctr.bash
pids=() ctrs=()
cleanup() {
  for c in "${ctrs[@]}"; do ctr_destroy "$c" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  umount "$tmp/lxcfs" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

mkdir -p "$tmp/lxcfs" "$tmp/cellfs"
lxcfs -f -l --enable-cfs -p "$tmp/lxcfs.pid" "$tmp/lxcfs" >"$tmp/lxcfs.log" 2>&1 &
pids+=($!)
lxcfs_pid=$!
CELLFS_IDLE_SECONDS=1 "$CELLFS" "$tmp/cellfs" 2>"$tmp/cellfs.log" &
pids+=($!)
holder=$!
for _ in $(seq 100); do
  [ -e "$tmp/lxcfs/proc/meminfo" ] && [ "$(cat "$tmp/cellfs/probe/.floor" 2>/dev/null)" = cellfs ] && break
  sleep 0.1
done
server=$(pgrep -P "$holder")

views="proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg proc/diskstats proc/swaps sys/devices/system/cpu/online"
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
# read_all NAME: every view of both daemons, from inside container NAME
read_all() {
  local script="" v
  for v in $views; do script="$script cat $tmp/cellfs/$1/$v $tmp/lxcfs/$v;"; done
  ctr_exec "$1" "$script" >/dev/null
}
row() {
  printf '%-28s %10s %10s %10s %10s\n' "$1" "$(rss "$server")" "$(rss "$holder")" \
    "$(du -sk "/dev/shm/cellfs.$holder" | cut -f1)" "$(rss "$lxcfs_pid")"
}

echo "kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); RSS and tmpfs in kB"
printf '%-28s %10s %10s %10s %10s\n' containers cellfs-srv holder backing lxcfs
row "0 (started)"
c=mem$$-1
ctr_create "$c" 268435456 0-1 50000
ctrs+=("$c")
read_all "$c"
row "1"
base_srv=$(rss "$server") base_lxcfs=$(rss "$lxcfs_pid")
ctr_destroy "$c"
ctrs=()
for round in $(seq "$ROUNDS"); do
  for i in $(seq "$N"); do
    c=mem$$-r$round-$i
    ctr_create "$c" 268435456 0-1 50000
    ctrs+=("$c")
    read_all "$c"
  done
  row "$N (round $round)"
  for c in "${ctrs[@]}"; do ctr_destroy "$c"; done
  ctrs=()
  sleep 7 # a sampler tick after the idle time
  row "  and idle"
done
awk -v a="$(rss "$server")" -v b="$base_srv" -v c="$(rss "$lxcfs_pid")" -v d="$base_lxcfs" -v n="$N" \
  'BEGIN { printf "RSS after the last round / with 1 container: cellfs %.2f, lxcfs %.2f (n=%d)\n", a / b, c / d, n }'
