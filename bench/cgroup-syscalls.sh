#!/bin/bash
# cgroup-syscalls.sh [CELLRT] - syscalls of cgroup setup for cellrt, runc and crun on the same
# bundle, counted with strace over `run` of /bin/true: every call naming a host cgroup path or an
# fd on one, plus reads of /proc/self/cgroup, up to the container's execve (setup) and after it
# (teardown). Prints the counts, the cgroup directories made, and cellrt's ratio to each peer.
set -eu
cd "$(dirname "$0")/.."
CELLRT=${1:-build/src/oci/cellrt}
image=build/image/busybox
work=$(mktemp -d /tmp/cell-bench-cg-XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -n "${KEEP:-}" ] && trap - EXIT && echo "logs in $work"

# Counts only the runtime's own view of the host's cgroups, not mounts inside the rootfs.
count() { # STRACE-LOG setup|teardown
  local mark
  mark=$(grep -nE 'execve\("[^"]*/true"' "$1" | head -1 | cut -d: -f1)
  if [ "$2" = setup ]; then head -n "$((mark - 1))" "$1"; else tail -n "+$mark" "$1"; fi |
    grep -E '("|<)(/sys/fs/cgroup|/proc/self/cgroup)' | grep -v -e 'rootfs/' -e 'resumed>' -c || true
}
hierarchies() {
  grep -E '^[0-9]+ +mkdir(at)?\(.*"/sys/fs/cgroup/' "$1" | grep -v 'rootfs/' | wc -l
}

one() { # NAME CONFIG-FILTER
  local name=$1 filter=$2 id rt out
  jq ".process.terminal = false | .process.args = [\"true\"] |
      .root.path = \"$PWD/$image/rootfs\" | $filter" \
    "$image/config.json" >"$work/config.json"
  printf '%-24s' "$name"
  for rt in cellrt runc crun; do
    id=bench-cg-$rt-$$
    out=$work/$rt.strace
    case $rt in
    cellrt) cmd=("$CELLRT" --root "$work/state-cellrt") ;;
    *) command -v $rt >/dev/null || { printf '%-22s' "$rt: absent"; continue; }
       cmd=("$rt" --root "$work/state-$rt") ;;
    esac
    if timeout 30 strace -f -y -qq -o "$out" "${cmd[@]}" run --bundle "$work" "$id" \
      >/dev/null 2>"$work/err" </dev/null; then
      printf '%-30s' "$rt: $(count "$out" setup)+$(count "$out" teardown) ($(hierarchies "$out") dirs)"
      eval "n_$rt=$(count "$out" setup)"
    else
      printf '%-30s' "$rt: refused"
      eval "n_$rt="
    fi
    "${cmd[@]}" delete --force "$id" >/dev/null 2>&1 || true
  done
  for peer in runc crun; do
    local p=n_$peer
    if [ -n "${!p:-}" ]; then
      printf ' cellrt/%s %.2f' "$peer" "$(awk "BEGIN {print $n_cellrt / ${!p}}")"
    fi
  done
  echo
}

echo "cgroup syscalls of run, setup+teardown (layout: $(stat -f -c %T /sys/fs/cgroup)," \
  "unified: $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null || echo none))"
one "devices only (default)" .
one "memory+cpu+pids" '.linux.resources += {"memory": {"limit": 67108864, "swap": 134217728},
  "cpu": {"shares": 512, "quota": 50000, "period": 100000}, "pids": {"limit": 64}}'
one "all v1 limits" '.linux.resources += {"memory": {"limit": 67108864, "reservation": 33554432},
  "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"},
  "pids": {"limit": 64}, "blockIO": {"weight": 500}}'
