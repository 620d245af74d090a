#!/bin/bash
# runtime-gp.sh [RUNS] - count the RCU grace periods that `run /bin/true` waits for, idle-first
# (50 ms before each run): cellrt and crun, each run traced with tracefs (sched_switch with a stack
# trace on every sleep of the runtime's process tree). Prints per runtime: runs, normal grace
# periods (synchronize_rcu, e.g. rcu_sync_enter of the cgroup threadgroup rwsem) and expedited
# ones (synchronize_rcu_expedited, e.g. namespace_unlock), with their total wait. The counts do not
# depend on the machine's load; the waits do.
#
# Runs inside a private mount namespace (tracefs mounted there, /dev/null over the cgroup2
# cgroup.controllers for crun, as in runtime.sh) and in its own tracing instance, removed at exit.
set -eu
cd "$(dirname "$0")/.."
runs=${1:-20}
build=${CELL_BENCH_BUILD:-build}
if [ "${CELL_BENCH_INNER:-}" != 1 ]; then
  [ "$(id -u)" = 0 ] || { echo "runtime-gp.sh: run as root" >&2; exit 1; }
  command -v python3 >/dev/null || { echo "runtime-gp.sh: needs python3" >&2; exit 1; }
  scripts/build.sh "$build"
  export CELL_BENCH_INNER=1
  exec unshare -m --propagation private "$0" "$@"
fi
if [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
  mount --bind /dev/null /sys/fs/cgroup/unified/cgroup.controllers
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
work=$(mktemp -d /run/cell-bench-gp.XXXXXX)
T=/sys/kernel/tracing/instances/cell-bench-gp-$$
cleanup() {
  if [ -d "$T" ]; then
    echo 0 >"$T/tracing_on"
    echo '!stacktrace if prev_state & 3' >"$T/events/sched/sched_switch/trigger" || true
    echo 0 >"$T/events/enable"
    rmdir "$T"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bundle" "$work/state"
jq --arg r "$PWD/$build/image/busybox/rootfs" \
  '.process.terminal = false | .process.args = ["/bin/true"] | .root.path = $r' \
  "$build/image/busybox/config.json" >"$work/bundle/config.json"

mkdir "$T"
echo 0 >"$T/tracing_on"
echo 8192 >"$T/buffer_size_kb"
echo 1 >"$T/options/event-fork"
echo 'stacktrace if prev_state & 3' >"$T/events/sched/sched_switch/trigger"
for e in sched_switch sched_process_fork sched_process_exec; do
  echo 1 >"$T/events/sched/$e/enable"
done

trace_runtime() { # NAME CMD...: one trace file of RUNS idle-first runs
  local name=$1 i
  shift
  for i in 1 2 3; do "$@" "warm-$$-$name-$i" >/dev/null; done
  : >"$work/$name.trace"
  for i in $(seq "$runs"); do
    echo >"$T/trace"
    sleep 0.05
    echo 1 >"$T/tracing_on"
    # The traced tree starts at this shell, which then becomes the runtime.
    sh -c 'echo $$ >"$1/set_event_pid"; echo RUN >"$1/trace_marker"; shift; exec "$@"' \
      sh "$T" "$@" "gp-$$-$name-$i" >/dev/null
    echo 0 >"$T/tracing_on"
    echo >"$T/set_event_pid"
    cat "$T/trace" >>"$work/$name.trace"
  done
}
trace_runtime cellrt "$build/src/oci/cellrt" --root "$work/state/cellrt" run --bundle "$work/bundle"
command -v crun >/dev/null &&
  trace_runtime crun crun --root "$work/state/crun" run --bundle "$work/bundle"

echo "== $(date -u +%FT%TZ) $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg), $runs idle-first runs each"
printf '%-8s %6s %12s %14s %14s %16s\n' runtime runs "normal GPs" "their wait" "expedited GPs" \
  "their wait"
for f in "$work"/*.trace; do
  python3 - "$f" <<'PY'
import os, re, sys
ev = re.compile(r'^\s*\S.*?-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (\S+): (.*)$')
lines = open(sys.argv[1]).read().split('\n')
runs, pids, asleep = 0, set(), {}
count = {'normal': [0, 0.0], 'expedited': [0, 0.0]}
for i, line in enumerate(lines):
    m = ev.match(line)
    if not m:
        continue
    pid, ts, name, rest = int(m.group(1)), float(m.group(2)), m.group(3), m.group(4)
    if name == 'tracing_mark_write' and rest.startswith('RUN'):
        runs, pids, asleep = runs + 1, {pid}, {}
    elif name == 'sched_process_fork':
        pids.add(int(re.search(r'child_pid=(\d+)', rest).group(1)))
    elif name == 'sched_switch':
        f = dict(kv.split('=', 1) for kv in re.findall(r'(\w+=\S+)', rest))
        prev, nxt = int(f['prev_pid']), int(f['next_pid'])
        if prev in pids and f['prev_state'][0] == 'D':
            # Its stack trace: the next '<stack trace>' record of the same task.
            stack, inside = [], False
            for l in lines[i + 1:i + 60]:
                if inside and l.strip().startswith('=>'):
                    stack.append(l.strip()[3:])
                elif inside:
                    break
                elif re.match(rf'^\s*\S.*?-{prev}\s+\[\d+\].*: <stack trace>$', l):
                    inside = True
            kind = None
            if 'synchronize_rcu_expedited' in stack:
                kind = 'expedited'
            elif {'synchronize_rcu', 'synchronize_rcu_normal', 'rcu_sync_enter'} & set(stack):
                kind = 'normal'
            if kind:
                asleep[prev] = (ts, kind)
        if nxt in asleep:
            t0, kind = asleep.pop(nxt)
            count[kind][0] += 1
            count[kind][1] += ts - t0
name = os.path.basename(sys.argv[1]).rsplit('.', 1)[0]
n, e = count['normal'], count['expedited']
print(f"{name:8} {runs:6} {n[0]:12} {n[1] * 1e3:11.1f} ms {e[0]:14} {e[1] * 1e3:13.1f} ms")
PY
done
