#!/bin/bash
# manager.sh [ITERATIONS] [CONCURRENT] - cell vs LXC, side by side in one run, on the same rootfs:
#   cycle:  `cell launch busybox c` until `cell exec c -- true` works, then `cell delete -f c`
#           vs `lxc-start -d` + `lxc-attach -- true` (until it works) + `lxc-stop -k`
#   memory: host-side RSS per running instance (cell: monitor + celld's growth; LXC: its monitor)
#   scale:  CONCURRENT instances launched at once through the API, none lost, nothing leaked
# Needs root, a build in build/, and Debian's lxc (scripts/setup.sh --test). Prints ratios.
# BASE=OTHER-BUILD-DIR (e.g. a build of an older commit) adds that build's celld and cell as a
# third column, its cycles interleaved with the others: before/after in one run.
set -eu
cd "$(dirname "$0")/.."
N=${1:-20}
CONC=${2:-100}
B=${BUILD:-build}
CELLD=$B/src/manager/celld
CELL=$B/src/cli/cell
RUNTIME=${CELL_MANAGER_RUNTIME:-}
if [ -z "$RUNTIME" ]; then
  if [ -x "$B/src/oci/cellrt" ]; then RUNTIME=$PWD/$B/src/oci/cellrt; else RUNTIME=$(command -v runc); fi
fi
command -v lxc-start >/dev/null || { echo "bench: lxc is not installed (scripts/setup.sh --test)" >&2; exit 1; }

W=$(mktemp -d /run/cell-bench.XXXXXX)
chmod 711 "$W"
export CELL_SOCKET=$W/state/unix.socket
# The /proc views' cellfs that celld starts is the bench's own, stopped at the end.
export CELL_VIEWFS_MOUNT=$W/viewfs
BASE=${BASE:-}
BASE_SOCKET=$W/base/unix.socket
celld_pid=
base_pid=
stop_celld() { # PID STATE-DIR
  [ -n "$1" ] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
  [ -f "$2/cellfs.pid" ] && kill "$(cat "$2/cellfs.pid")" 2>/dev/null
  return 0
}
cleanup() {
  for n in $("$CELL" list --format csv 2>/dev/null | cut -d, -f1); do "$CELL" delete -f "$n" >/dev/null 2>&1 || true; done
  stop_celld "$celld_pid" "$W/state"
  if [ -n "$base_pid" ]; then
    for n in $(CELL_SOCKET=$BASE_SOCKET "$BASE/src/cli/cell" list --format csv 2>/dev/null | cut -d, -f1); do
      CELL_SOCKET=$BASE_SOCKET "$BASE/src/cli/cell" delete -f "$n" >/dev/null 2>&1 || true
    done
    CELL_VIEWFS_MOUNT=$W/base-viewfs stop_celld "$base_pid" "$W/base"
  fi
  for c in $(lxc-ls -P "$W/lxc" 2>/dev/null); do lxc-stop -P "$W/lxc" -n "$c" -k >/dev/null 2>&1 || true; done
  sleep 0.2
  rm -rf "$W"
  for d in /sys/fs/cgroup/*/cell-bench /sys/fs/cgroup/*/cell-bench-base; do rmdir "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
trap "exit 1" INT TERM

"$CELLD" --state-dir "$W/state" --runtime "$RUNTIME" --image-dir "$B/image/busybox" \
  --cgroup-parent cell-bench &
celld_pid=$!
for _ in $(seq 100); do "$CELL" list >/dev/null 2>&1 && break; sleep 0.05; done
if [ -n "$BASE" ]; then
  CELL_VIEWFS_MOUNT=$W/base-viewfs "$BASE/src/manager/celld" --state-dir "$W/base" \
    --runtime "$RUNTIME" --image-dir "$BASE/image/busybox" --cgroup-parent cell-bench-base &
  base_pid=$!
  for _ in $(seq 100); do
    CELL_SOCKET=$BASE_SOCKET "$BASE/src/cli/cell" list >/dev/null 2>&1 && break
    sleep 0.05
  done
fi

# LXC runs the very tree celld stores for the busybox image (same files, same inittab).
fp=$(curl -s --unix-socket "$CELL_SOCKET" http://cell/1.0/images/aliases/busybox | jq -r .metadata.target)
ROOTFS=$W/state/images/$fp/rootfs
lxc_conf() { # NAME
  mkdir -p "$W/lxc/$1"
  cat >"$W/lxc/$1/config" <<CONF
lxc.uts.name = $1
lxc.rootfs.path = dir:$ROOTFS
lxc.net.0.type = empty
lxc.init.cmd = /sbin/init
lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
lxc.apparmor.profile = unconfined
lxc.tty.max = 0
lxc.pty.max = 16
lxc.console.path = none
lxc.autodev = 1
CONF
}

now_ms() { date +%s%3N; }

# LXC runs privileged here (no idmap configured), so cell does too by default, for the same work.
CELL_BENCH_CONFIG=${CELL_BENCH_CONFIG:-security.privileged=true}

# Each cycle also records its three phases (start, exec, stop+delete) in $W/<tool>.phases.
cell_cycle() { # NAME [CELL-BINARY PHASES-FILE]
  local t0 t1 t2 cell=${2:-$CELL}
  t0=$(now_ms)
  "$cell" launch busybox "$1" -c "$CELL_BENCH_CONFIG" >/dev/null
  t1=$(now_ms)
  until "$cell" exec "$1" -- true 2>/dev/null; do :; done
  t2=$(now_ms)
  "$cell" delete -f "$1"
  echo "$((t1 - t0)) $((t2 - t1)) $(($(now_ms) - t2))" >>"$W/${3:-cell}.phases"
}

base_cycle() { # NAME
  CELL_SOCKET=$BASE_SOCKET cell_cycle "$1" "$BASE/src/cli/cell" base
}

lxc_cycle() { # NAME
  local t0 t1 t2
  t0=$(now_ms)
  lxc-start -P "$W/lxc" -n "$1" -d
  t1=$(now_ms)
  until lxc-attach -P "$W/lxc" -n "$1" -- true 2>/dev/null; do :; done
  t2=$(now_ms)
  lxc-stop -P "$W/lxc" -n "$1" -k
  echo "$((t1 - t0)) $((t2 - t1)) $(($(now_ms) - t2))" >>"$W/lxc.phases"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

for f in cell lxc base; do : >"$W/$f.ms"; : >"$W/$f.phases"; done
for i in $(seq "$N"); do
  lxc_conf "l$i"
  t=$(now_ms); cell_cycle "bench$i"; echo $(($(now_ms) - t)) >>"$W/cell.ms"
  t=$(now_ms); lxc_cycle "l$i"; echo $(($(now_ms) - t)) >>"$W/lxc.ms"
  if [ -n "$BASE" ]; then
    t=$(now_ms); base_cycle "base$i"; echo $(($(now_ms) - t)) >>"$W/base.ms"
  fi
done
cm=$(median <"$W/cell.ms")
lm=$(median <"$W/lxc.ms")
phase() { awk -v k="$2" '{print $k}' "$W/$1.phases" | median; } # TOOL FIELD

# Memory: 20 running instances each; host-side RSS per instance.
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }
before=$(rss_kib "$celld_pid")
for i in $(seq 20); do "$CELL" launch busybox "mem$i" -c "$CELL_BENCH_CONFIG" >/dev/null; done
after=$(rss_kib "$celld_pid")
mon=0
for p in $(pgrep -f "cell-monitor .* mem[0-9]+ "); do mon=$((mon + $(rss_kib "$p"))); done
cell_per=$(( (mon + after - before) / 20 ))
mon_one=$(( mon / 20 ))
for i in $(seq 20); do "$CELL" delete -f "mem$i"; done
for i in $(seq 20); do lxc_conf "m$i"; lxc-start -P "$W/lxc" -n "m$i" -d; done
lmon=0
for p in $(pgrep -f "\[lxc monitor\] $W/lxc m"); do lmon=$((lmon + $(rss_kib "$p"))); done
lxc_per=$((lmon / 20))
for i in $(seq 20); do lxc-stop -P "$W/lxc" -n "m$i" -k; done

# Scale: CONC launches at once through the API.
t=$(now_ms)
pids=()
for i in $(seq "$CONC"); do
  "$CELL" launch busybox "many$i" -c "$CELL_BENCH_CONFIG" >/dev/null 2>"$W/err.$i" &
  pids+=($!)
done
wait "${pids[@]}" || true
conc_ms=$(($(now_ms) - t))
running=$("$CELL" list --format csv | grep -c ',Running,' || true)
for i in $(seq "$CONC"); do "$CELL" delete -f "many$i" >/dev/null 2>&1 || true; done
# Deleted instances' layers are removed by celld in the background: give it up to 10 s.
for _ in $(seq 200); do [ -z "$(ls -A "$W/state/instances/.trash" 2>/dev/null)" ] && break; sleep 0.05; done
left_dirs=$(ls -A "$W/state/instances" | grep -vcx .trash || true)
left_dirs=$((left_dirs + $(ls -A "$W/state/instances/.trash" 2>/dev/null | wc -l)))
left_mounts=$(grep -c "$W/state/instances" /proc/self/mountinfo || true)
left_cg=$(find /sys/fs/cgroup/*/cell-bench -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)
left_mon=$(pgrep -fc "cell-monitor .*$W" || true)

echo "runtime: $RUNTIME; cell instances: $CELL_BENCH_CONFIG"
# One table row: LABEL A B and the ratio A/B.
row() {
  printf '%-46s %10s %10s %8s\n' "$1" "$2" "$3" \
    "$(awk -v a="$2" -v b="$3" 'BEGIN {printf "%.2fx", b ? a / b : 0}')"
}
# The cycle and its three phases for TOOL (cell or base) against LXC.
cycle_rows() { # TOOL LABEL MEDIAN PHASE-LABELS
  row "$2" "$3" "$lm"
  for f in 1 2 3; do
    row "$(echo "$4" | cut -d'|' -f$f) (ms)" "$(phase "$1" $f)" "$(phase lxc $f)"
  done
}
printf '%-46s %10s %10s %8s\n' "measure" "cell" "LXC" "ratio"
cycle_rows cell "launch+exec+delete cycle, median of $N (ms)" "$cm" \
  "  launch / lxc-start|  exec / lxc-attach (until it works)|  delete -f / lxc-stop -k"
if [ -n "$BASE" ]; then
  cycle_rows base "BASE cycle ($BASE), interleaved (ms)" "$(median <"$W/base.ms")" \
    "  launch|  exec|  delete -f"
fi
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
row "host RSS per running instance (KiB)" "$cell_per" "$lxc_per"
printf '%-46s %10s\n' "  of which cell-monitor (KiB)" "$mon_one"
printf '%-46s %10s\n' "$CONC concurrent launches: running / wall ms" "$running / $conc_ms"
printf '%-46s %10s\n' "  left after deleting all (dirs mounts cgroups monitors)" \
  "$left_dirs $left_mounts $left_cg $left_mon"
