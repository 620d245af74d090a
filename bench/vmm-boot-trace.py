#!/usr/bin/env python3
"""vmm-boot-trace.py KERNEL INITRD CELLVM [VMM...] - inside the lab: where a guest's boot spends its
time under each VMM. Boots the same kernel and initramfs with `initcall_debug` added to the benchmark's
command line, has the init print the kernel log after its marker, and prints side by side the
kernel's own timestamps of boot milestones and the slowest initcalls. Diagnostic only (the extra
option changes the boot a little); the benchmark itself is vmm-boot.py."""
import re, subprocess, sys, time

kernel, initrd, cellvm = sys.argv[1:4]
want = sys.argv[4:] or ["cellvm", "qemu-microvm"]
MEM_MB = 128
cmdline = "console=ttyS0 quiet initcall_debug cell.action=dmesg"


def qemu(machine):
    return ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-M", machine,
            "-m", f"{MEM_MB}M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
            "-serial", "stdio", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
            "-no-reboot"]


VMMS = {
    "cellvm": [cellvm, "--kernel", kernel, "--initrd", initrd, "--memory", f"{MEM_MB}M",
               "--cpus", "1", "--cmdline", cmdline],
    "qemu-microvm": qemu("microvm,x-option-roms=off,pit=off,pic=off,rtc=on"),
    "qemu-pc": qemu("pc"),
}
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
    t0 = time.monotonic()
    p = subprocess.run(VMMS[name], stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    wall = time.monotonic() - t0
    out = p.stdout.decode(errors="replace").replace("\r", "")
    log = []
    for line in out.splitlines():
        m = re.match(r"^\[\s*(\d+\.\d+)\] (.*)", line)
        if m:
            log.append((float(m.group(1)), m.group(2)))
    marker = out.find("CELL-GUEST-INIT-OK")
    return wall, log, marker >= 0


res = {}
for name in want:
    wall, log, ok = boot(name)
    res[name] = log
    print(f"# {name}: {wall:.2f} s wall to power-off, marker {'seen' if ok else 'MISSING'}, "
          f"{len(log)} log lines", flush=True)

print("\n| milestone | " + " | ".join(want) + " |")
print("|---|" + "---|" * len(want))
for pat, what in MILESTONES:
    row = []
    for name in want:
        t = next((t for t, msg in res[name] if pat in msg), None)
        row.append(f"{t:.3f}" if t is not None else "-")
    print(f"| {what} | " + " | ".join(row) + " |")

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
