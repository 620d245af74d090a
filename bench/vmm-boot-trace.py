#!/usr/bin/env python3
"""vmm-boot-trace.py KERNEL INITRD CELLVM [VMM...] - inside the lab: where a guest's boot spends its
time under each VMM. Boots the same kernel and initramfs with `initcall_debug` added to the benchmark's
command line, has the init print the kernel log after its marker, and prints side by side the
kernel's own timestamps of boot milestones and the slowest initcalls. Diagnostic only (the extra
option changes the boot a little); the benchmark itself is vmm-boot.py."""
from vmm_commands import vmm_commands
import os, re, select, statistics, subprocess, sys, time

kernel, initrd, cellvm = sys.argv[1:4]
want = sys.argv[4:] or ["cellvm", "qemu-microvm"]
save = os.environ.get("CELL_TRACE_SAVE")  # a directory for each VMM's whole console output
MEM_MB = 128
# CELL_TRACE_CMDLINE replaces the command line (e.g. without quiet, to time the console too)
cmdline = os.environ.get("CELL_TRACE_CMDLINE",
                         "console=ttyS0 quiet initcall_debug cell.action=dmesg")


VMMS = vmm_commands(kernel, initrd, cellvm, cmdline, MEM_MB)
if os.environ.get("CELL_TRACE_VMLINUX"):  # the same kernel, uncompressed: cellvm's PVH entry
    VMMS["cellvm-pvh"] = [cellvm, "--kernel", os.environ["CELL_TRACE_VMLINUX"], "--initrd", initrd,
                          "--memory", f"{MEM_MB}M", "--cpus", "1", "--cmdline", cmdline]
MILESTONES = [
    ("Linux version", "first message"),
    ("tsc: Detected", "TSC frequency known"),
    ("Calibrating delay", "delay loop"),
    ("smp: Bringing up", "SMP bring-up"),
    ("PCI: Using", "PCI"),
    ("clocksource: Switched to", "clocksource switch"),
    ("Trying to unpack rootfs", "initramfs unpack"),
    ("Freeing unused kernel", "kernel init done"),
    ("Run /init", "run /init"),
]


def boot(name):
    """Run until the init says it is done (QEMU's microvm does not always power off), then kill."""
    t0 = time.monotonic()
    p = subprocess.Popen(VMMS[name], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    wall, hists = None, {}
    while b"CELL-GUEST-DONE" not in buf and time.monotonic() - t0 < 600:
        if not select.select([p.stdout], [], [], 10)[0]:
            continue
        chunk = p.stdout.read1(65536)
        if not chunk:
            break
        buf += chunk
        if wall is None and b"CELL-GUEST-INIT-OK" in buf:
            wall = time.monotonic() - t0
            hists = hist_read()  # exits up to the marker, not those of printing the log
    p.kill()
    p.wait()
    out = buf.decode(errors="replace").replace("\r", "")
    return wall, out, hists


def parse(out):
    log = []
    for line in out.splitlines():
        m = re.match(r"^\[\s*(\d+\.\d+)\] (.*)", line)
        if m:
            log.append((float(m.group(1)), m.group(2)))
    return log


# KVM's exits counted by the host kernel (tracefs histogram triggers), when it lets us.
TRACEFS = "/sys/kernel/tracing"
HISTS = [("kvm/kvm_exit", "exit_reason"), ("kvm/kvm_userspace_exit", "reason"),
         ("kvm/kvm_pio", "port,rw"), ("kvm/kvm_mmio", "gpa,type")]


def hist_set(on):
    ok = True
    for ev, keys in HISTS:
        try:
            with open(f"{TRACEFS}/events/{ev}/trigger", "w") as f:
                f.write(("" if on else "!") + f"hist:keys={keys}:sort=hitcount.descending:size=256\n")
        except OSError:
            ok = False
    return ok


def hist_read():
    out = {}
    for ev, _ in HISTS:
        try:
            with open(f"{TRACEFS}/events/{ev}/hist") as f:
                out[ev] = f.read()
        except OSError:
            pass
    return out


if not os.path.exists(f"{TRACEFS}/events"):
    subprocess.run(["mount", "-t", "tracefs", "nodev", TRACEFS], stderr=subprocess.DEVNULL)

res, uptime, steps, machine = {}, {}, {}, {}
# CELL_TRACE_ROUNDS=N: N interleaved boots per VMM; the tables below are of the last one, the init's
# steps (cell.steps on the command line) are medians over all.
rounds = int(os.environ.get("CELL_TRACE_ROUNDS", "1"))
for name in [n for r in range(rounds) for n in want]:
    hist_set(False)
    hist_set(True)
    wall, out, hists = boot(name)
    hist_set(False)
    res[name] = log = parse(out)
    if save:
        with open(f"{save}/{name}.log", "a") as f:
            f.write(out)
    st = re.search(r"STEPS init (.*)", out)
    if st:
        print(f"# {name} init steps: {st.group(1)}")
        steps.setdefault(name, []).append(dict(kv.split("=") for kv in st.group(1).split()))
    machine[name] = []
    for l in out.splitlines():
        m = re.match(r"^CPU: (flags|bugs)\s*: (.*)", l)
        if m:  # one line per flag, so that the difference is readable
            machine[name] += [f"CPU: {m.group(1)} {f}" for f in m.group(2).split()]
        elif re.match(r"^(CPU|VULN|CLOCK|CLOCKEVENT|DMESG): ", l):
            machine[name].append(re.sub(r"^DMESG: \[[ \d.]+\] ", "DMESG: ", l))
    up = re.search(r"UPTIME=([\d.]+)", out)
    uptime[name] = float(up.group(1)) if up else None
    print(f"# {name}: marker " + (f"after {wall:.2f} s" if wall else "MISSING") +
          (f", guest uptime there {up.group(1)} s" if up else "") +
          f", {len(log)} log lines", flush=True)
    for ev, text in hists.items():
        lines = [l for l in text.splitlines() if l.startswith("{")]
        total = [l for l in text.splitlines() if "Hits:" in l and "Entries" not in l]
        print(f"## {name} {ev}: {' '.join(total).strip()}")
        for l in lines[:20]:
            print("   " + " ".join(l.split()))

print("\n| milestone | " + " | ".join(want) + " |")
print("|---|" + "---|" * len(want))
for pat, what in MILESTONES:
    row = []
    for name in want:
        t = next((t for t, msg in res[name] if pat in msg), None)
        row.append(f"{t:.3f}" if t is not None else "-")
    print(f"| {what} | " + " | ".join(row) + " |")
# The init's own phase (module loading, shell) ends at the marker: the guest's uptime there.
print("| marker (guest uptime) | " + " | ".join(f"{uptime[n]:.3f}" if uptime.get(n) else "-"
                                              for n in want) + " |")

# Slowest initcalls per VMM, and gaps between consecutive log lines (waits outside initcalls).
for name in want:
    calls = []
    for t, msg in res[name]:
        m = re.match(r"initcall (\S+) returned \S+ after (\d+) usecs", msg)
        if m:
            calls.append((int(m.group(2)), m.group(1)))
    calls.sort(reverse=True)
    print(f"\n## {name}: slowest initcalls (ms)")
    for us, fn in calls[:15]:
        print(f"  {us / 1000:9.1f}  {fn}")
    gaps = sorted(((b[0] - a[0], a[1][:70], b[1][:70]) for a, b in zip(res[name], res[name][1:])),
                  reverse=True)
    print(f"## {name}: largest gaps between log lines (ms)")
    for g, a, b in gaps[:12]:
        print(f"  {g * 1000:9.1f}  after: {a}\n             before: {b}")

# The init's phase step by step (guest uptime deltas, medians over the rounds).
if steps:
    names = [k for k in next(iter(steps.values()))[0]]
    print("\n| init step (ms, median) | " + " | ".join(steps) + " |")
    print("|---|" + "---|" * len(steps))
    for a, b in zip(names, names[1:]):
        row = [statistics.median((float(d[b]) - float(d[a])) * 1000 for d in steps[n]) for n in steps]
        print(f"| {b} | " + " | ".join(f"{x:.0f}" for x in row) + " |")
    row = [statistics.median((float(d[names[-1]]) - float(d[names[0]])) * 1000 for d in steps[n])
           for n in steps]
    print("| total | " + " | ".join(f"{x:.0f}" for x in row) + " |")
# What the guest saw of the machine (cell.action=machine), where the VMMs differ.
if len(machine) > 1 and any(machine.values()):
    a, b = list(machine)[:2]
    print(f"\n## machine: lines only under {a} (-) or only under {b} (+)")
    for l in machine[a]:
        if l not in machine[b]:
            print("- " + l)
    for l in machine[b]:
        if l not in machine[a]:
            print("+ " + l)
