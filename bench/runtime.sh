#!/bin/bash
# runtime.sh [RUNS] - `run /bin/true` in the built-in bundle: cellrt beside Debian's crun and runc,
# in one run, interleaved blocks, medians; back to back and with 50 ms idle before each run; then
# 100 sequential runs and peak RSS. Prints a table with ratios to crun.
#
# crun and runc run inside a private mount namespace where /dev/null covers
# /sys/fs/cgroup/unified/cgroup.controllers, so that on this hybrid host they use the v1
# controllers as cellrt does (the host's mounts are untouched).
set -eu
cd "$(dirname "$0")/.."
runs=${1:-100}
build=${CELL_BENCH_BUILD:-build}
if [ "${CELL_BENCH_INNER:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "runtime.sh: run as root" >&2; exit 1; }
  scripts/build.sh "$build"
  cc -O2 -o "$build/runtime-bench" bench/runtime-bench.c
  export CELL_BENCH_INNER=1
  exec unshare -m --propagation private "$0" "$@"
fi

if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
  mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
fi
# State on tmpfs, where each runtime keeps it by default (/run/cellrt, /run/crun, /run/runc).
work=$(mktemp -d /run/cell-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
mkdir -p "$bundle" "$work/state"
jq --arg r "$PWD/$build/image/busybox/rootfs" \
  '.process.terminal = false | .process.args = ["/bin/true"] | .root.path = $r' \
  "$build/image/busybox/config.json" \
  >"$bundle/config.json"

cellrt="$PWD/$build/src/oci/cellrt --root $work/state/cellrt run --bundle $bundle \$ID"
crun="crun --root $work/state/crun run --bundle $bundle \$ID"
runc="runc --root $work/state/runc run --bundle $bundle \$ID"
peers=(cellrt "$cellrt")
command -v crun >/dev/null && peers+=(crun "$crun")
command -v runc >/dev/null && peers+=(runc "$runc")

echo "== $(date -u +%FT%TZ) $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $runs runs each, interleaved blocks of 10; times in ms (median [p10..p90])"
b2b=$("$build/runtime-bench" "$runs" 10 0 "${peers[@]}")
idle=$("$build/runtime-bench" "$runs" 10 50 "${peers[@]}")
seq100() { # NAME CMD: wall time of 100 back-to-back runs, in ms
  local t0 t1
  t0=$(date +%s%N)
  for i in $(seq 100); do
    ID=seq-$$-$1-$i
    eval "$2" >/dev/null || return 1
  done
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
crun_b2b=$(echo "$b2b" | awk '$1 == "crun" {print $2}')
crun_idle=$(echo "$idle" | awk '$1 == "crun" {print $2}')
printf '%-8s %22s %8s %22s %8s %10s %9s\n' runtime "back-to-back" ratio "idle-first(50ms)" ratio \
  "100 seq" "peak RSS"
for ((i = 0; i < ${#peers[@]}; i += 2)); do
  name=${peers[i]}
  read -r _ m1 lo1 hi1 rss < <(echo "$b2b" | awk -v n="$name" '$1 == n')
  read -r _ m2 lo2 hi2 _ < <(echo "$idle" | awk -v n="$name" '$1 == n')
  s=$(seq100 "$name" "${peers[i + 1]}")
  r1=$(awk -v a="$m1" -v b="${crun_b2b:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
  r2=$(awk -v a="$m2" -v b="${crun_idle:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
  printf '%-8s %7s [%5s..%6s] %8s %7s [%5s..%6s] %8s %8s ms %6.1f MiB\n' "$name" "$m1" "$lo1" "$hi1" \
    "$r1" "$m2" "$lo2" "$hi2" "$r2" "$s" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
done
