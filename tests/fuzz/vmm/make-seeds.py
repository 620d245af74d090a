#!/usr/bin/env python3
# make-seeds.py - write the tiny seed corpora of the virtio fuzzers (layout: fuzz-layout.h).
import os
import struct

BASE = 0x100000
DATA = 0x1A000  # FUZZ_DATA relative to RAM start


def desc(addr, length, flags=0, nxt=0):
    return struct.pack('<QIHH', addr, length, flags, nxt)


NEXT, WRITE, INDIRECT = 1, 2, 4


def queue(qsize, descs, heads=(0,)):
    ring = b''.join(struct.pack('<H', h) for h in heads).ljust(2 * qsize, b'\0')
    table = b''.join(descs).ljust(16 * qsize, b'\0')
    return struct.pack('<H', len(heads)) + ring + table


def write(name, blob):
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus-' + name.split('/')[0])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name.split('/')[1]), 'wb') as f:
        f.write(blob)


# virtqueue: ctl (size 16, relocate), last_avail byte, queue, data.
rw_chain = [desc(DATA, 16, NEXT, 1), desc(DATA + 16, 512, WRITE | NEXT, 2), desc(DATA + 528, 1, WRITE)]
write('virtqueue/direct', bytes([0x14, 0]) + queue(16, rw_chain))
table = desc(BASE + DATA + 0x100, 16, NEXT, 1) + desc(BASE + DATA + 0x200, 64, WRITE)
write('virtqueue/indirect', bytes([0x1C, 3]) + queue(16, [desc(DATA, 32, INDIRECT)]) + table)

# virtio-blk: ctl (relocate), queue, then the data area holding the request header.
for name, typ in (('read', 0), ('write', 1), ('flush', 4), ('get-id', 8)):
    data_flag = WRITE if typ in (0, 8) else 0
    chain = [desc(DATA, 16, NEXT, 1), desc(DATA + 16, 512 if typ != 8 else 20, data_flag | NEXT, 2),
             desc(DATA + 600, 1, WRITE)]
    write('virtio-blk/' + name, bytes([1]) + queue(16, chain) + struct.pack('<IIQ', typ, 0, 3))

# virtio-net: tx of one frame (header + 60 bytes); rx of a 72-byte frame into a 1526-byte buffer.
frame = bytes(12) + bytes(range(60))
write('virtio-net/tx', bytes([1]) + queue(16, [desc(DATA, len(frame))]) + frame)
write('virtio-net/tx-split', bytes([1]) + queue(16, [desc(DATA, 12, NEXT, 1), desc(DATA + 12, 60)]) + frame)
write('virtio-net/rx', bytes([3]) + struct.pack('<H', 72) + queue(16, [desc(DATA, 1526, WRITE)]))

# virtio-mmio: register accesses (op: bit0 device, 0x40 write; offset; 8-byte value) that start the
# block device with its rings at RAM start + 0, 0x100, 0x200, then a read request, and kick.
def reg(off, val, write=True, dev=0):
    return bytes([dev | (0x40 if write else 0)]) + struct.pack('<HQ', off, val) + b'\0'


regs = [(0x70, 3), (0x24, 1), (0x20, 1), (0x70, 11), (0x30, 0), (0x38, 16), (0x80, BASE),
        (0x90, BASE + 0x100), (0xA0, BASE + 0x200), (0x44, 1), (0x70, 15), (0x50, 0)]
ops = b''.join(reg(o, v) for o, v in regs) + reg(0x60, 0, False)
ram = bytearray(0x800)
ram[0:48] = desc(BASE + 0x400, 16, NEXT, 1) + desc(BASE + 0x500, 512, WRITE | NEXT, 2) + \
    desc(BASE + 0x7F0, 1, WRITE)
ram[0x100:0x106] = struct.pack('<HHH', 0, 1, 0)
ram[0x400:0x410] = struct.pack('<IIQ', 0, 0, 2)
write('virtio-mmio/start-and-read', bytes([len(regs) + 1]) + ops + bytes(ram))
