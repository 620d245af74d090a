#!/bin/busybox sh
# guest-init.sh - the lab's /init (busybox sh in the initramfs): mount the host's / read-only over
# virtiofs with a tmpfs overlay on top, a cgroup2-only /sys/fs/cgroup, then hand over to guest-run.sh.
# Anything that goes wrong prints "cell-lab: ..." on the console and powers off, so the host never waits.
bb=/bin/busybox
export PATH=/bin

die() {
	echo "cell-lab: $*" >/dev/console
	$bb poweroff -f
}

$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev

# Modules in dependency order, as lab.sh resolved them from modules.dep when it built this image.
while read -r ko; do
	$bb insmod "/modules/$ko" || die "insmod $ko failed"
done </modules/order

# Kernel command line: cell_lab.run=<host run dir>, cell_lab.shares=<dir,dir,...>.
run= shares=
for arg in $($bb cat /proc/cmdline); do
	case $arg in
	cell_lab.run=*) run=${arg#*=} ;;
	cell_lab.shares=*) shares=${arg#*=} ;;
	esac
done
[ -n "$run" ] || die "no cell_lab.run= on the kernel command line"

$bb mkdir -p /lower /rw /newroot
$bb mount -t virtiofs -o ro root /lower || die "cannot mount the host's / (virtiofs tag root)"
$bb mount -t tmpfs -o mode=755 rw /rw
$bb mkdir -p /rw/upper /rw/work
$bb mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	die "cannot mount the overlay root"

# Extra shares (--share DIR), read-write, at the same path as on the host.
i=0
for dir in $(echo "$shares" | $bb tr , ' '); do
	$bb mkdir -p "/newroot$dir"
	$bb mount -t virtiofs "share$i" "/newroot$dir" || die "cannot mount share $dir"
	i=$((i + 1))
done

n=/newroot
$bb mount --move /proc $n/proc
$bb mount --move /sys $n/sys
$bb mount --move /dev $n/dev
$bb mount -t tmpfs -o mode=755,nosuid,nodev run $n/run
$bb mkdir -p $n/dev/pts $n/dev/shm $n/dev/mqueue $n/dev/virtio-ports
$bb mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts $n/dev/pts
$bb mount -t tmpfs -o mode=1777,nosuid,nodev shm $n/dev/shm
$bb mount -t mqueue mqueue $n/dev/mqueue 2>/dev/null
$bb ln -sf /proc/self/fd $n/dev/fd
$bb ln -sf /proc/self/fd/0 $n/dev/stdin
$bb ln -sf /proc/self/fd/1 $n/dev/stdout
$bb ln -sf /proc/self/fd/2 $n/dev/stderr

# cgroup2 alone, mounted as systemd does, with every controller enabled for children.
$bb mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $n/sys/fs/cgroup ||
	die "cannot mount cgroup2"
for c in $($bb cat $n/sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >$n/sys/fs/cgroup/cgroup.subtree_control || die "cannot enable the $c controller"
done
$bb mount -t bpf bpf $n/sys/fs/bpf 2>/dev/null

# Name the virtio ports as udev would (/dev/virtio-ports/NAME).
for p in /newroot/sys/class/virtio-ports/*; do
	[ -e "$p/name" ] && $bb ln -sf "../${p##*/}" "$n/dev/virtio-ports/$($bb cat "$p/name")"
done

$bb hostname cell-lab
$bb ip link set lo up

$bb mkdir -p $n/run/cell-lab
$bb cp /bin/busybox /guest-run.sh $n/run/cell-lab/
echo "$run" >$n/run/cell-lab/run-dir
exec $bb switch_root $n /run/cell-lab/busybox sh /run/cell-lab/guest-run.sh
