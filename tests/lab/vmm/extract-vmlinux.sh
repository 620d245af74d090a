#!/bin/sh
# extract-vmlinux.sh BZIMAGE OUT - the uncompressed ELF vmlinux inside an LZ4-compressed bzImage
# (Debian's cloud kernel), for the PVH boot test.
set -eu
in=$1 out=$2
# The payload is an LZ4 legacy frame (magic 02 21 4c 18) after the setup code and decompressor.
off=$(grep -obUaP '\x02\x21\x4c\x18' "$in" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || { echo "extract-vmlinux: no LZ4 payload in $in" >&2; exit 1; }
tail -c +$((off + 1)) "$in" | lz4 -dc >"$out" 2>/dev/null || true
head -c 4 "$out" | grep -q ELF || { echo "extract-vmlinux: no ELF in $in" >&2; exit 1; }
