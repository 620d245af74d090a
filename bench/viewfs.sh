#!/bin/bash
# viewfs.sh [N] - cellfs vs LXCFS, side by side in one run: open + read-to-EOF + close of each
# view from inside a container (256 MiB, cpuset 0-1, 0.5 cpu, own pid namespace), medians of N
# (default 3000) samples taken in interleaved blocks of 100. Also: cellfs without passthrough
# (the path for kernels before 6.9: 3 round trips), a constant file served by the same cellfs
# code (the FUSE floor), and the host's own file. Prints a table with ratios to LXCFS.
# CPUS=0 takes cpuset 0 instead of 0-1 (a one-cpu machine, e.g. the lab with --smp 1).
# BASE=/path/to/other/cellfs adds a column for that binary, read in the same interleaved blocks
# (before/after a change in one run).
set -eu
cd "$(dirname "$0")/.."
N=${1:-3000}
BUILD=${BUILD:-build}
CELLFS=$BUILD/src/viewfs/cellfs
[ "$(id -u)" = 0 ] || { echo "viewfs.sh: needs root" >&2; exit 1; }
[ -x "$CELLFS" ] || { echo "viewfs.sh: build first (scripts/build.sh)" >&2; exit 1; }
command -v lxcfs >/dev/null || { echo "viewfs.sh: lxcfs missing (scripts/setup.sh --test)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/cellfs-bench.XXXXXX)
id=bench$$
export BATS_FILE_TMPDIR=$tmp CELL_BUILD_ROOT=$PWD/$BUILD
# shellcheck source=../tests/integration/viewfs/ctr.bash
. tests/integration/viewfs/ctr.bash
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for m in "$tmp"/lxcfs; do umount "$m" 2>/dev/null || true; done
  ctr_destroy "$id" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

cc -O2 -o "$tmp/bench" bench/viewfs-bench.c
mkdir -p "$tmp/lxcfs" "$tmp/cellfs" "$tmp/direct"
lxcfs -f -l --enable-cfs -p "$tmp/lxcfs.pid" "$tmp/lxcfs" >"$tmp/lxcfs.log" 2>&1 &
pids+=($!)
"$CELLFS" "$tmp/cellfs" 2>"$tmp/cellfs.log" &
pids+=($!)
"$CELLFS" --no-passthrough "$tmp/direct" 2>"$tmp/direct.log" &
pids+=($!)
BASE=${BASE:-}
if [ -n "$BASE" ]; then
  mkdir -p "$tmp/base"
  "$BASE" "$tmp/base" 2>"$tmp/base.log" &
  pids+=($!)
fi
for _ in $(seq 100); do
  [ -e "$tmp/lxcfs/proc/meminfo" ] && [ "$(cat "$tmp/cellfs/$id/.floor" 2>/dev/null)" = cellfs ] &&
    [ "$(cat "$tmp/direct/$id/.floor" 2>/dev/null)" = cellfs ] &&
    { [ -z "$BASE" ] || [ "$(cat "$tmp/base/$id/.floor" 2>/dev/null)" = cellfs ]; } && break
  sleep 0.1
done
ctr_create "$id" 268435456 "${CPUS:-0-1}" 50000

files="proc/meminfo proc/cpuinfo proc/stat proc/uptime proc/loadavg proc/diskstats proc/swaps sys/devices/system/cpu/online"
# The file a container reads, as the runtime binds it: proc/loadavg from the sampled mount
# ("MNT.cache", served from the page cache) where that cellfs has one.
view() { # view DAEMON-DIR FILE
  if [ "$2" = proc/loadavg ] && [ -d "$1.cache" ] && grep -q " $1.cache " /proc/self/mountinfo; then
    echo "$1.cache/$id/$2"
  else
    echo "$1/$id/$2"
  fi
}
args=()
for f in $files; do
  args+=("$tmp/lxcfs/$f" "$(view "$tmp/cellfs" "$f")" "$(view "$tmp/direct" "$f")" "/$f")
  [ -z "$BASE" ] || args+=("$(view "$tmp/base" "$f")")
done
# loadavg through the views mount too: one OPEN round trip, fresh at every open; containers
# read the sampled mount's (the proc/loadavg row), this one only shows what that saves
args+=("$tmp/cellfs/$id/proc/loadavg" "$tmp/direct/$id/proc/loadavg")
args+=("$tmp/cellfs/$id/.floor" "$tmp/direct/$id/.floor")
[ -z "$BASE" ] || args+=("$tmp/base/$id/.floor")
# The reader runs in the container so that every tool computes the container's view.
ctr_exec "$id" "$tmp/bench $N 100 ${args[*]}" >"$tmp/out"

us() { awk -v f="$1" '$1 == f { print $2 }' "$tmp/out"; }
echo "kernel $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg); medians of $N, us"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", a/b}'; }
printf '%-32s %9s %9s %7s %12s %7s %7s' file lxcfs cellfs ratio cellfs-direct ratio host
[ -z "$BASE" ] && echo || printf ' %9s %7s\n' base ratio
for f in $files; do
  l=$(us "$tmp/lxcfs/$f") c=$(us "$(view "$tmp/cellfs" "$f")") d=$(us "$(view "$tmp/direct" "$f")") h=$(us "/$f")
  printf '%-32s %9s %9s %7s %12s %7s %7s' "$f" "$l" "$c" "$(ratio "$c" "$l")" "$d" "$(ratio "$d" "$l")" "$h"
  [ -z "$BASE" ] && echo || { b=$(us "$(view "$tmp/base" "$f")"); printf ' %9s %7s\n' "$b" "$(ratio "$b" "$l")"; }
done
l=$(us "$tmp/lxcfs/proc/loadavg") c=$(us "$tmp/cellfs/$id/proc/loadavg") d=$(us "$tmp/direct/$id/proc/loadavg")
printf '%-32s %9s %9s %7s %12s %7s %7s\n' "(proc/loadavg, fresh each open)" "$l" "$c" "$(ratio "$c" "$l")" "$d" "$(ratio "$d" "$l")" -
printf '%-32s %9s %9s %7s %12s %7s %7s' "floor (constant file)" - "$(us "$tmp/cellfs/$id/.floor")" - "$(us "$tmp/direct/$id/.floor")" - -
[ -z "$BASE" ] && echo || printf ' %9s\n' "$(us "$tmp/base/$id/.floor")"
