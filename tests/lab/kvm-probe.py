#!/usr/bin/env python3
"""kvm-probe.py - prove /dev/kvm runs guest code: a real-mode 'out 0x10, 42; hlt' in a fresh VM.

Exits 0 and prints the exits seen when KVM reports the port write and then the halt; 1 otherwise.
"""
import ctypes
import fcntl
import mmap
import os
import struct
import sys

KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01
KVM_GET_VCPU_MMAP_SIZE = 0xAE04
KVM_CREATE_VCPU = 0xAE41
KVM_SET_USER_MEMORY_REGION = 0x4020AE46
KVM_RUN = 0xAE80
KVM_SET_REGS = 0x4090AE82
KVM_GET_SREGS = 0x8138AE83
KVM_SET_SREGS = 0x4138AE84
KVM_EXIT_IO, KVM_EXIT_HLT = 2, 5

CODE = bytes([0xB0, 0x2A, 0xE6, 0x10, 0xF4])  # mov al, 42; out 0x10, al; hlt


def main():
    kvm = os.open('/dev/kvm', os.O_RDWR | os.O_CLOEXEC)
    api = fcntl.ioctl(kvm, KVM_GET_API_VERSION)
    if api != 12:
        sys.exit(f'KVM API version {api}, expected 12')
    vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)

    mem = mmap.mmap(-1, 0x1000)
    mem[0:len(CODE)] = CODE
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    fcntl.ioctl(vm, KVM_SET_USER_MEMORY_REGION, struct.pack('IIQQQ', 0, 0, 0x1000, 0x1000, addr))

    vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
    size = fcntl.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE)
    run = mmap.mmap(vcpu, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    # CS base 0, selector 0 (struct kvm_segment: base u64, limit u32, selector u16, ...).
    sregs = bytearray(fcntl.ioctl(vcpu, KVM_GET_SREGS, bytes(312)))
    struct.pack_into('Q', sregs, 0, 0)
    struct.pack_into('H', sregs, 12, 0)
    fcntl.ioctl(vcpu, KVM_SET_SREGS, bytes(sregs))
    regs = [0] * 18
    regs[16], regs[17] = 0x1000, 0x2  # rip, rflags
    fcntl.ioctl(vcpu, KVM_SET_REGS, struct.pack('18Q', *regs))

    seen = []
    for _ in range(2):
        fcntl.ioctl(vcpu, KVM_RUN, 0)
        reason = struct.unpack_from('I', run, 8)[0]
        if reason == KVM_EXIT_IO:
            direction, width, port, count, off = struct.unpack_from('BBHIQ', run, 32)
            seen.append(f'io port {port:#x} value {run[off]}')
        else:
            seen.append(f'exit {reason}')
            if reason == KVM_EXIT_HLT:
                break
    print('; '.join(seen))
    ok = seen == ['io port 0x10 value 42', f'exit {KVM_EXIT_HLT}']
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
