#!/usr/bin/env python3
"""vmm-first-insn.py CELLVM [RUNS] - process start to the first guest instruction, on this machine's
own /dev/kvm: a real-mode guest whose first instruction writes a byte to the serial port. Measured
from just before spawning cellvm (its CLOCK_MONOTONIC time goes to cellvm in CELLVM_TRACE_T0) to
(a) vCPU 0's first exit, which that instruction causes, as cellvm records it, and (b) the byte
arriving on the launcher's end of the pipe (adds the launcher's own wake-up). Also the launcher's
cost for a static program that writes one byte, and the median of each of cellvm's set-up phases
(CELLVM_TRACE_START=1, kept in memory and printed at exit)."""
import collections, os, re, shutil, statistics, subprocess, sys, tempfile, time

cellvm = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 31
# mov dx,0x3f8; mov al,'!'; out dx,al; then power off: mov dx,0x600; mov al,0x34; out dx,al; hlt
code = bytes.fromhex("baf803b021ee" "ba0006b034eef4")
with tempfile.NamedTemporaryFile(delete=False) as f:
    f.write(code)
    img = f.name


def spawn_to_byte(argv, env=None):
    """ms from just before spawn to the first byte on stdout; then wait for the exit."""
    r, w = os.pipe()
    t0 = time.monotonic_ns()
    if env is not None:
        env = dict(env, CELLVM_TRACE_T0=str(t0))
    errr, errw = os.pipe()
    pid = os.posix_spawn(argv[0], argv, env if env is not None else os.environ,
                         file_actions=[(os.POSIX_SPAWN_DUP2, w, 1), (os.POSIX_SPAWN_DUP2, errw, 2),
                                       (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0)])
    os.close(w)
    os.close(errw)
    b = os.read(r, 1)
    t1 = time.monotonic_ns()
    rest = b""
    while True:
        chunk = os.read(errr, 65536)
        if not chunk:
            break
        rest += chunk
    os.close(r)
    os.close(errr)
    _, status = os.waitpid(pid, 0)
    return (t1 - t0) / 1e6, b, os.waitstatus_to_exitcode(status), rest.decode(errors="replace")


times = []
phases = collections.defaultdict(list)
at = collections.defaultdict(list)
env = dict(os.environ, CELLVM_TRACE_START="1")
for i in range(runs):
    ms, b, rc, err = spawn_to_byte([cellvm, "--kernel", img, "--raw-real-mode", "--memory", "16M"],
                                   env)
    if b != b"!" or rc != 0:
        sys.exit(f"run {i}: got {b!r}, exit {rc}: {err}")
    times.append(ms)
    for m in re.finditer(r"cellvm: (\S+)\s+(?:([\d.]+) ms)?\s+\(at\s+([\d.]+) ms\)", err):
        if m.group(2):
            phases[m.group(1)].append(float(m.group(2)))
        at[m.group(1)].append(float(m.group(3)))
    time.sleep(0.02)
os.unlink(img)
# The harness's own cost: spawning a static program that writes one byte at once.
busybox = shutil.which("busybox")
base = []
for i in range(runs if busybox else 0):
    ms, b, rc, _ = spawn_to_byte([busybox, "echo", "-n", "!"])
    base.append(ms)
def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


first = at.get("1st-exit", [])
if first:
    print(f"process start to the first guest instruction (its exit, as cellvm saw it): median "
          f"{statistics.median(first):.2f} ms (p10 {pct(first, .1):.2f}, p90 {pct(first, .9):.2f}, "
          f"{len(first)} runs)")
print(f"process start to its byte read by the launcher: median {statistics.median(times):.2f} ms "
      f"(p10 {pct(times, .1):.2f}, p90 {pct(times, .9):.2f}, min {min(times):.2f}, max {max(times):.2f})")
if base:
    print(f"the launcher's own spawn of a static busybox echo to its byte: median "
          f"{statistics.median(base):.2f} ms")
print("phases (median ms): " + ", ".join(f"{k} {statistics.median(v):.3f}"
                                          for k, v in phases.items()))
print("reached at (median ms since spawn): " + ", ".join(f"{k} {statistics.median(v):.2f}"
                                                         for k, v in at.items()))
