#!/bin/bash
# podman.sh [N] - `podman run --rm IMAGE /bin/true` end to end with cellrt and with crun (and runc,
# for reference), interleaved, N rounds (default 30): medians and ratios to crun. Podman and conmon
# are the same for every runtime; only --runtime differs. Private podman state; nothing kept.
#
# Env: CELLRT (default build/src/oci/cellrt), RUNTIMES (default "cellrt crun runc", full paths or
# names on PATH), CELL_IMAGE (default build/image/busybox).
#
# crun 1.8 refuses a cgroup v1 host with a cgroup2 mount beside it ("hybrid mode not supported"), so
# on such a host every runtime runs inside one private mount namespace where
# /sys/fs/cgroup/unified/cgroup.controllers reads empty: the same view for all, nothing else changed.
set -eu
cd "$(dirname "$0")/.."
n=${1:-30}
CELLRT=${CELLRT:-$PWD/build/src/oci/cellrt}
CELL_IMAGE=${CELL_IMAGE:-$PWD/build/image/busybox}
RUNTIMES=${RUNTIMES:-"$CELLRT crun runc"}

if [ -z "${CELL_BENCH_INNER:-}" ]; then
	for t in podman conmon; do
		command -v $t >/dev/null || { echo "podman.sh: $t is missing (scripts/setup.sh --test)" >&2; exit 1; }
	done
	[ -d "$CELL_IMAGE/rootfs" ] || { echo "podman.sh: no image at $CELL_IMAGE (build first)" >&2; exit 1; }
	export CELL_BENCH_INNER=1 CELLRT CELL_IMAGE RUNTIMES
	exec unshare -m --propagation private "$0" "$n"
fi

ctl=/sys/fs/cgroup/unified/cgroup.controllers
if [ -f "$ctl" ] && [ -d /sys/fs/cgroup/memory ]; then
	mount --bind /dev/null "$ctl"
	echo "hybrid cgroups: $ctl masked in this mount namespace (for crun)"
fi

dir=$(mktemp -d /tmp/cell-bench-podman.XXXXXX)
cgparent=/$(basename "$dir")
cleanup() {
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	for c in /sys/fs/cgroup/*"$cgparent"; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	awk -v d="$dir/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$dir"
}
trap cleanup EXIT

nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
nproc=$(ulimit -Hu)
[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
mkdir -p "$dir/tmp"
cat >"$dir/containers.conf" <<CONF
[containers]
cgroupns = "host"
netns = "none"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
lock_type = "file"
runtime_supports_json = ["crun", "runc", "cellrt"]
CONF
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/root"\nrunroot = "%s/runroot"\n' "$dir" "$dir" \
	>"$dir/storage.conf"
echo 'unqualified-search-registries = []' >"$dir/registries.conf"

pm() {
	CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf \
		CONTAINERS_REGISTRIES_CONF=$dir/registries.conf \
		podman --root "$dir/root" --runroot "$dir/runroot" --tmpdir "$dir/tmp" \
		--cgroup-manager cgroupfs "$@"
}

tar -C "$CELL_IMAGE/rootfs" -c . | pm import --quiet - localhost/cell-bench:latest >/dev/null

paths=()
for rt in $RUNTIMES; do
	p=$(command -v "$rt" || true)
	if [ -z "$p" ] || ! [ -x "$p" ]; then
		echo "podman.sh: runtime $rt not found, left out" >&2
		continue
	fi
	paths+=("$p")
done

one() { # RUNTIME -> elapsed ns on stdout; fails if the run did
	local t0 t1
	t0=$(date +%s%N)
	pm --runtime "$1" run --rm --pull never --network none --cgroup-parent "$cgparent" \
		localhost/cell-bench:latest /bin/true >/dev/null 2>"$dir/err" || {
		echo "podman.sh: podman run with $1 failed: $(tail -1 "$dir/err")" >&2
		return 1
	}
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

ok=()
for p in "${paths[@]}"; do
	# warm-up (page cache, podman's first-run work) and a check that the runtime works at all
	if one "$p" >/dev/null && one "$p" >/dev/null && one "$p" >/dev/null; then
		ok+=("$p")
		: >"$dir/times.$(basename "$p")"
	fi
done
[ ${#ok[@]} -gt 0 ] || exit 1

for ((i = 0; i < n; i++)); do
	for p in "${ok[@]}"; do
		one "$p" >>"$dir/times.$(basename "$p")" || true
	done
done

median() { sort -n "$1" | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
base=""
[ -s "$dir/times.crun" ] && base=$(median "$dir/times.crun")
echo "podman run --rm /bin/true, $n interleaved rounds ($(podman --version), conmon $(conmon --version | head -1 | awk '{print $3}'))"
printf '%-10s %6s %12s %12s %10s\n' runtime runs median_ms p90_ms vs_crun
for p in "${ok[@]}"; do
	f=$dir/times.$(basename "$p")
	m=$(median "$f")
	p90=$(sort -n "$f" | awk '{ a[NR] = $1 } END { i = int(NR * 0.9); if (i < 1) i = 1; print a[i] }')
	ratio=-
	[ -n "$base" ] && ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2fx", a / b }')
	printf '%-10s %6d %12.1f %12.1f %10s\n' "$(basename "$p")" "$(wc -l <"$f")" \
		"$(awk -v v="$m" 'BEGIN { print v / 1e6 }')" "$(awk -v v="$p90" 'BEGIN { print v / 1e6 }')" "$ratio"
done
echo "target: cellrt at most 0.90x crun"
