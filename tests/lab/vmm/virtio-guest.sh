#!/bin/busybox sh
# virtio-guest.sh - rdinit of the guest in virtio.bats: checks cellvm's virtio devices from inside
# (driver binding, block I/O, serial id, rng, console input) and reports KEY=VALUE lines on hvc0.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net virtio_console virtio-rng; do
	insmod /lib/modules/$m.ko 2>/dev/null
done
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
wait_for() { n=0; while [ ! -e "$1" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done; }
# /dev/console was bound before virtio_console was loaded: talk over hvc0 directly.
wait_for /dev/hvc0
exec </dev/hvc0 >/dev/hvc0 2>&1
stty -echo 2>/dev/null
echo VIRTIO-GUEST-UP
for d in /sys/bus/virtio/devices/*; do
	echo "BOUND=$(cat "$d/device"):$(basename "$(readlink "$d/driver")")"
done
for a in $(arg cell.action | tr ',' ' '); do
	case $a in
	blk)
		wait_for /dev/vda
		wait_for /dev/vdb
		echo "VDA_SERIAL=$(cat /sys/block/vda/serial)"
		echo "VDA_SIZE=$(cat /sys/block/vda/size)"
		echo "VDA_SUM=$(sha256sum /dev/vda | cut -d' ' -f1)"
		# 1 MiB in large requests (many segments each), then read back past the page cache.
		dd if=/dev/vda of=/dev/vdb bs=256k count=4 conv=fsync 2>/dev/null && echo VDB_COPY=ok
		echo 3 >/proc/sys/vm/drop_caches
		echo "VDB_SUM=$(head -c 1048576 /dev/vdb | sha256sum | cut -d' ' -f1)"
		# Past the end of the disk: the kernel stops it, the device is never asked.
		dd if=/dev/zero of=/dev/vdb bs=512 seek=$(cat /sys/block/vdb/size) count=1 2>/dev/null &&
			echo VDB_PAST_END=allowed || echo VDB_PAST_END=refused
		;;
	rng)
		echo "RNG_CURRENT=$(cat /sys/class/misc/hw_random/rng_current)"
		echo "RNG=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
		;;
	net)
		ip link set lo up
		ip addr add 10.78.0.2/24 dev eth0 && ip link set eth0 up
		echo "MAC=$(cat /sys/class/net/eth0/address)"
		ping -c 2 -W 5 10.78.0.1 >/dev/null 2>&1 && echo PING=ok || echo PING=fail
		;;
	console)
		# The host writes one line to cellvm's stdin when it sees this.
		echo CONSOLE-READY
		read -t 60 line && echo "CONSOLE_IN=$line" || echo CONSOLE_IN=none
		;;
	esac
done
echo VIRTIO-GUEST-DONE
poweroff -f
sleep 5
