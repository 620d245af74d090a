#!/usr/bin/env python3
"""vmm-exit-timeline.py KERNEL INITRD CELLVM [VMM...] - inside the lab (diagnostic): one boot per VMM
with L1's KVM tracepoints on (kvm_exit, kvm_entry, kvm_page_fault, kvm_msr), then where the time
went: spawn to the guest's first exit, to its first exit at a kernel-proper RIP (the end of the
kernel's decompressor), to the init's marker; time the guest ran against time L1's KVM spent
handling exits, by exit reason; nested page faults by region; the busiest MSRs. Same command lines
as vmm-boot.py, plus cell.action=dmesg. Tracing slows every exit a little."""
from vmm_commands import vmm_commands
import collections, os, re, select, subprocess, sys, time

kernel, initrd, cellvm = sys.argv[1:4]
want = sys.argv[4:] or ["cellvm", "qemu-microvm"]
VMMS = vmm_commands(kernel, initrd, cellvm, "console=ttyS0 quiet cell.action=dmesg", 128)
T = "/sys/kernel/tracing"
EVENTS = ["kvm/kvm_exit", "kvm/kvm_entry", "kvm/kvm_page_fault", "kvm/kvm_msr"]


def tw(path, text):
    with open(f"{T}/{path}", "w") as f:
        f.write(text)


def boot(name):
    tw("trace", "")
    tw("tracing_on", "1")
    tw("trace_marker", "SPAWN")
    t0 = time.monotonic()
    p = subprocess.Popen(VMMS[name], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    buf = b""
    while time.monotonic() - t0 < 300:
        if not select.select([p.stdout], [], [], 5)[0]:
            continue
        chunk = p.stdout.read1(65536)
        if not chunk:
            break
        buf += chunk
        if b"CELL-GUEST-INIT-OK" in buf:
            tw("trace_marker", "MARKER")
            break
    tw("tracing_on", "0")
    p.kill()
    p.wait()
    with open(f"{T}/trace") as f:
        return [(float(m.group(1)), m.group(2), m.group(3)) for m in
                (re.search(r" (\d+\.\d+): (\w+): (.*)", l) for l in f) if m]


def report(name, ev):
    spawn = next(t for t, e, a in ev if "SPAWN" in a)
    mark = next((t for t, e, a in ev if "MARKER" in a), None)
    first = kern = None
    guest = 0.0
    handle, count, npf, msr, npf_time = (collections.Counter() for _ in range(5))
    last_exit = last_entry = reason = region = None
    for t, e, a in ev:
        if e == "kvm_exit":
            reason = re.search(r"reason (\S+)", a).group(1)
            rip = int(re.search(r"rip 0x([0-9a-f]+)", a).group(1), 16)
            first = first or t
            if kern is None and rip >= 0xffffffff80000000:
                kern = t
            if last_entry is not None:
                guest += t - last_entry
            last_exit = t
            count[reason] += 1
        elif e == "kvm_entry":
            if last_exit is not None:
                handle[reason] += t - last_exit
                if region:
                    npf_time[region] += t - last_exit
            last_entry, last_exit, region = t, None, None
        elif e == "kvm_page_fault":
            gpa = int(re.search(r"address 0x([0-9a-f]+)", a).group(1), 16)
            region = ("first 2 MiB" if gpa < 2 << 20 else "IOAPIC" if gpa >> 12 == 0xfec00
                      else "LAPIC" if gpa >> 12 == 0xfee00 else "MMIO" if gpa >= 0xc0000000
                      else "RAM")
            npf[region] += 1
        elif e == "kvm_msr":
            m = re.search(r"(msr_\w+) (\w+)", a)
            if m:
                msr[f"{m.group(1)} 0x{m.group(2)}"] += 1
    at = lambda t: f"{t - spawn:.3f} s" if t else "-"
    print(f"## {name}: first exit {at(first)}, kernel proper {at(kern)}, marker {at(mark)}; "
          f"guest ran {guest:.3f} s, L1 handled {sum(count.values())} exits in "
          f"{sum(handle.values()):.3f} s")
    for r, s in handle.most_common(10):
        print(f"   {r:16s} {count[r]:6d} exits {s * 1000:8.1f} ms ({s / count[r] * 1e6:6.1f} us each)")
    print("   nested page faults: " + ", ".join(f"{k} {v} ({npf_time[k] * 1000:.1f} ms)"
                                              for k, v in npf.most_common()))
    print("   MSRs: " + ", ".join(f"{k} {v}" for k, v in msr.most_common(5)))


if not os.path.exists(f"{T}/events"):
    subprocess.run(["mount", "-t", "tracefs", "nodev", T], stderr=subprocess.DEVNULL)
tw("buffer_size_kb", "20000")
for ev in EVENTS:
    tw(f"events/{ev}/enable", "1")
try:
    for name in want:
        report(name, boot(name))
finally:
    for ev in EVENTS:
        tw(f"events/{ev}/enable", "0")
    tw("trace", "")
