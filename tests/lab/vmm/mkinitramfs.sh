#!/bin/sh
# mkinitramfs.sh OUT [KVER] - the nested guest's initramfs: static busybox, guest-init.sh as /init
# and the virtio modules of Debian's cloud kernel (uncompressed .ko, loaded with insmod).
set -eu
out=$1
kver=${2:-$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1 | sed 's|.*/vmlinuz-||')}
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir -p "$t/bin" "$t/proc" "$t/sys" "$t/dev" "$t/lib/modules" "$t/tmp"
cp /bin/busybox "$t/bin/busybox"
cp "$here/guest-init.sh" "$t/init"
chmod 755 "$t/init"
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net virtio_console virtio-rng; do
	f=$(find "/lib/modules/$kver/kernel" -name "$m.ko*" | head -n 1)
	[ -n "$f" ] || { echo "mkinitramfs: module $m missing for $kver" >&2; exit 1; }
	case $f in
	*.xz) xz -dc "$f" >"$t/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" >"$t/lib/modules/$m.ko" ;;
	*.gz) gzip -dc "$f" >"$t/lib/modules/$m.ko" ;;
	*) cp "$f" "$t/lib/modules/$m.ko" ;;
	esac
done
(cd "$t" && find . | cpio -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
