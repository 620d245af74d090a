#!/usr/bin/env python3
"""vmm-boot.py KERNEL INITRD CELLVM [RUNS] - inside the lab: boot the same kernel, initramfs and
command line with cellvm and with QEMU (-accel kvm, -M microvm minimal with rtc=on, and -M pc
-nodefaults), interleaved, RUNS rounds (each
starting with the next VMM); time from spawn to the init's marker on the console, and the
VMM's resident memory beyond guest RAM while the guest idles after the marker.

Memory method: from /proc/PID/smaps, Rss and Pss of every mapping except guest RAM (the one mapping
at least as large as --memory: anonymous for cellvm, the "pc.ram"/memfd backing for QEMU), summed.
Pss splits shared library pages among their users; Rss counts them whole (an upper bound)."""
from vmm_commands import vmm_commands
import os, re, select, statistics, subprocess, sys, time

kernel, initrd, cellvm = sys.argv[1:4]
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 7
MEM_MB = 128
MARKER = b"CELL-GUEST-INIT-OK"
# A VMM that never shows the marker (a hung guest on an overloaded machine) is killed after this.
BOOT_TIMEOUT = float(os.environ.get("CELL_BENCH_TIMEOUT", "300"))
cmdline = "console=ttyS0 quiet cell.sleep=2"
# CELL_BENCH_STEPS=1: the init also prints the guest's uptime at its steps (cell.steps: builtins
# only, no forks), to split each boot into "before the guest's clock" (VMM start, firmware,
# decompressor, early kernel) and the guest's own time to the marker.
steps = os.environ.get("CELL_BENCH_STEPS") == "1"
if steps:
    cmdline += " cell.steps"

VMMS = vmm_commands(kernel, initrd, cellvm, cmdline, MEM_MB)

# CELL_BENCH_VMMS=cellvm,qemu-microvm: only those (quick checks); the default is all.
if os.environ.get("CELL_BENCH_VMMS"):
    VMMS = {n: VMMS[n] for n in os.environ["CELL_BENCH_VMMS"].split(",")}


def overhead_kib(pid):
    rss = pss = 0
    cur_size = 0
    cur = {}
    def flush():
        nonlocal rss, pss
        if cur and cur_size < MEM_MB * 1024:
            rss += cur.get("Rss", 0)
            pss += cur.get("Pss", 0)
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                flush()
                a, b = line.split()[0].split("-")
                cur_size = (int(b, 16) - int(a, 16)) // 1024
                cur = {}
            else:
                m = re.match(r"^(\w+):\s+(\d+) kB", line)
                if m:
                    cur[m.group(1)] = int(m.group(2))
    flush()
    return rss, pss

def one(name):
    t0 = time.monotonic()
    p = subprocess.Popen(VMMS[name], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    t = None
    while time.monotonic() - t0 < BOOT_TIMEOUT:
        if not select.select([p.stdout], [], [], 5)[0]:
            continue
        chunk = p.stdout.read1(4096)
        if not chunk:
            break
        buf += chunk
        if MARKER in buf and t is None:
            t = time.monotonic() - t0
        if t is not None and (not steps or re.search(rb"STEPS .*\n", buf)):
            break
    mem = overhead_kib(p.pid) if t is not None else (0, 0)
    m = re.search(rb"STEPS init start=([\d.]+) .*=([\d.]+)\s*\n", buf)
    up = (float(m.group(1)), float(m.group(2))) if m else None
    if t is None:
        p.kill()
    try:
        p.stdout.read()
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    return t, mem, p.returncode, up

res = {n: [] for n in VMMS}
guest = {}
rounds = []
# Each round starts with a different VMM and every boot waits for the lab to settle: the boot right
# after QEMU's exit ran 0.2-0.5 s slower (two cellvm builds swapped places in two runs, 2026-12-02
# 08:00-08:05; the lab has one vCPU, so whatever QEMU's exit leaves behind delays the next boot),
# which a fixed order charges to the VMM that always follows QEMU.
SETTLE = float(os.environ.get("CELL_BENCH_SETTLE", "3"))
names = list(VMMS)
for r in range(runs):
    rounds.append({})
    for pos, name in enumerate(names[r % len(names):] + names[:r % len(names)]):  # rotated
        time.sleep(SETTLE)
        t, mem, rc, up = one(name)
        if t is None:
            print(f"# {name} round {r}: no marker (exit {rc})", flush=True)
            continue
        res[name].append((t, mem))
        rounds[-1][name] = t
        if up:
            guest.setdefault(name, []).append((t - up[1], up[0], up[1] - up[0]))
        print(f"# round {r} {name} (boot {pos + 1} of the round): {t:.2f} s, "
              f"overhead Rss {mem[0]} KiB Pss {mem[1]} KiB, exit {rc}"
              + (f"; guest uptime at /init {up[0]:.2f} s, at the marker {up[1]:.2f} s" if up else ""),
              flush=True)

fastest_qemu = min((statistics.median([x[0] for x in res[n]]) for n in res
                    if n.startswith("qemu") and res[n]), default=None)
print(f"\n| VMM | boot to init marker, median of {runs} (s) | ratio to fastest QEMU | "
      "memory beyond guest RAM, Rss / Pss (MiB) |")
print("|---|---|---|---|")
for n in VMMS:
    if not res[n]:
        print(f"| {n} | failed | | |")
        continue
    med = statistics.median([x[0] for x in res[n]])
    rss = statistics.median([x[1][0] for x in res[n]]) / 1024
    pss = statistics.median([x[1][1] for x in res[n]]) / 1024
    ratio = f"{med / fastest_qemu:.2f}" if fastest_qemu else "-"
    print(f"| {n} | {med:.2f} | {ratio} | {rss:.1f} / {pss:.1f} |")
# Ratios within each round (the same load for both): spread of cellvm against microvm.
for n in (x for x in VMMS if x.startswith("cellvm")):
    rr = sorted(rd[n] / rd["qemu-microvm"] for rd in rounds if n in rd and "qemu-microvm" in rd)
    if rr:
        print(f"\nper-round {n} / qemu-microvm: median {statistics.median(rr):.2f}, "
              f"range {rr[0]:.2f}-{rr[-1]:.2f} ({len(rr)} rounds)")
if guest:
    print("\n| VMM | wall minus guest uptime at the marker (VMM, firmware, decompressor, kernel before its ticks) | "
          "guest uptime at /init | /init to the marker |  (medians, s)")
    print("|---|---|---|---|")
    for n, g in guest.items():
        print(f"| {n} | " + " | ".join(f"{statistics.median(x[i] for x in g):.2f}" for i in range(3))
              + " |")
