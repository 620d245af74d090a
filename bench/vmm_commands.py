"""The VMMs the lab benchmarks compare, as command lines: cellvm (both decompression paths) and
QEMU (-accel kvm, -M microvm minimal with rtc=on, and -M pc -nodefaults), all booting the same
kernel, initramfs and command line with 1 vCPU. Shared by vmm-boot.py and vmm-boot-trace.py."""
import os


def vmm_commands(kernel, initrd, cellvm, cmdline, mem_mb):
    def qemu(machine):
        return ["qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-M", machine,
                "-m", f"{mem_mb}M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
                "-serial", "stdio", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
                "-no-reboot"]

    cell = [cellvm, "--kernel", kernel, "--initrd", initrd, "--memory", f"{mem_mb}M",
            "--cpus", "1", "--cmdline", cmdline]
    vmms = {
        # the default: cellvm unpacks the LZ4 payload into guest RAM and randomizes it (in the
        # lab cellvm runs under TCG, so that unpacking is emulated too)
        "cellvm": cell,
        # the kernel's own decompressor in the guest, through the 64-bit entry
        "cellvm-guest-decompress": cell + ["--decompress", "guest"],
        "qemu-microvm": qemu("microvm,x-option-roms=off,pit=off,pic=off,rtc=on"),
        "qemu-pc": qemu("pc"),
    }
    # CELL_BENCH_CELLVM_BASE=PATH: a second cellvm binary (e.g. a build of main) as "cellvm-base",
    # to compare a change side by side in the same run (select it with CELL_BENCH_VMMS).
    base = os.environ.get("CELL_BENCH_CELLVM_BASE")
    if base:
        vmms["cellvm-base"] = [base] + cell[1:]
    return vmms
