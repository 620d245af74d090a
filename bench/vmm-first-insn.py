#!/usr/bin/env python3
"""vmm-first-insn.py CELLVM [RUNS] - process start to the first guest instruction, on this machine's
own /dev/kvm: a real-mode guest whose first instruction writes a byte to the serial port; the time
from just before fork/exec to reading that byte from cellvm's stdout. Prints the median and range."""
import os, statistics, subprocess, sys, tempfile, time

cellvm = sys.argv[1]
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 21
# mov dx,0x3f8; mov al,'!'; out dx,al; then power off: mov dx,0x600; mov al,0x34; out dx,al; hlt
code = bytes.fromhex("baf803b021ee" "ba0006b034eef4")
with tempfile.NamedTemporaryFile(delete=False) as f:
    f.write(code)
    img = f.name
times = []
for i in range(runs):
    t0 = time.perf_counter_ns()
    p = subprocess.Popen([cellvm, "--kernel", img, "--raw-real-mode", "--memory", "16M"],
                         stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    b = p.stdout.read(1)
    t1 = time.perf_counter_ns()
    p.wait()
    if b != b"!" or p.returncode != 0:
        sys.exit(f"run {i}: got {b!r}, exit {p.returncode}")
    times.append((t1 - t0) / 1e6)
os.unlink(img)
# The same for /bin/true-like baseline: fork/exec cost of the harness itself.
base = []
for i in range(runs):
    t0 = time.perf_counter_ns()
    subprocess.run(["/bin/echo", "-n", "!"], stdout=subprocess.PIPE)
    base.append((time.perf_counter_ns() - t0) / 1e6)
print(f"first guest instruction: median {statistics.median(times):.2f} ms "
      f"(min {min(times):.2f}, max {max(times):.2f}, {runs} runs); "
      f"harness fork/exec of /bin/echo: median {statistics.median(base):.2f} ms")
