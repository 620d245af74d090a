#!/usr/bin/env bats
# virtio.bats - cellvm's virtio devices seen by a real Linux guest in the lab, in one boot: drivers
# bind, block I/O in large requests and the serial id, rng, ping through a tap that cellvm creates
# and removes, the console both ways; then bad devices (a locked image, bad names). vmm.bats holds
# the core's boot checks, this file the devices'.
# Runs inside tests/lab/lab.sh, never on the host.

load "$CELL_SOURCE_ROOT/tests/integration/lib"

CELLVM=${CELLVM:-$CELL_BUILD_ROOT/src/vmm/cellvm}

setup_file() {
	[ -n "${CELL_LAB:-}" ] || return 0
	local kernel d=$BATS_FILE_TMPDIR/virtio-initrd
	kernel=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
	export VIRTIO_KERNEL=$kernel
	export VIRTIO_INITRD=$BATS_FILE_TMPDIR/virtio.cpio
	# The core's guest initramfs (busybox, modules) plus our rdinit, as a second cpio archive. The
	# base is cached in the lab's /tmp (a tmpfs that dies with the lab): unpacking the modules
	# under TCG is slow. vmm.bats may share it.
	export VMM_GUEST_CPIO=/tmp/cell-vmm-guest-${kernel##*/vmlinuz-}.cpio
	[ -s "$VMM_GUEST_CPIO" ] ||
		"$BATS_TEST_DIRNAME/mkinitramfs.sh" "$VMM_GUEST_CPIO" "${kernel##*/vmlinuz-}" ||
		return 0
	mkdir -p "$d"
	cp "$BATS_TEST_DIRNAME/virtio-guest.sh" "$d/virtio-guest.sh"
	(cd "$d" && echo virtio-guest.sh | cpio -o -H newc --quiet) >"$BATS_FILE_TMPDIR/add.cpio"
	cat "$VMM_GUEST_CPIO" "$BATS_FILE_TMPDIR/add.cpio" >"$VIRTIO_INITRD"
	modprobe tun 2>/dev/null || true
	leak_snapshot "$BATS_FILE_TMPDIR/leaks.before"
}

setup() {
	[ -n "${CELL_LAB:-}" ] || cell_skip "runs only inside the lab (tests/lab/lab.sh)"
	[ -c /dev/kvm ] || cell_skip "no /dev/kvm in the lab"
	[ -x "$CELLVM" ] || cell_skip "cellvm not built"
	[ -s "${VIRTIO_INITRD:-}" ] || cell_skip "no guest initramfs (tests/lab/vmm/mkinitramfs.sh)"
}

field() { # FILE KEY
	tr -d '\r' <"$1" | sed -n "s/^$2=//p" | tail -n 1
}

# guest OUT ACTIONS [cellvm options...]: boot with the virtio console on a FIFO, in network
# namespace $GUEST_NS; when the guest prints CONSOLE-READY, send it the line $GUEST_LINE. (Input
# sent earlier would sit in the guest's port until more arrives: hvc polls only on interrupts once
# the tty is open.)
guest() {
	local out=$1 actions=$2 w
	shift 2
	status=0
	rm -f "$out.fifo"
	mkfifo "$out.fifo"
	timeout 150 ip netns exec "$GUEST_NS" "$CELLVM" --kernel "$VIRTIO_KERNEL" \
		--initrd "$VIRTIO_INITRD" --memory 256M --console virtio \
		--cmdline "console=ttyS0 quiet rdinit=/virtio-guest.sh cell.action=$actions" \
		"$@" <"$out.fifo" >"$out" 2>"$out.err" &
	local pid=$!
	exec {w}>"$out.fifo"
	for _ in $(seq 1500); do
		grep -q CONSOLE-READY "$out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "$GUEST_LINE" >&"$w"
	wait "$pid" || status=$?
	exec {w}>&-
	cat "$out" "$out.err"
}

# tap_up NS TAP ADDR: wait for cellvm to create TAP in NS, then address it and bring it up.
tap_up() {
	for _ in $(seq 300); do
		ip netns exec "$1" ip link show "$2" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip netns exec "$1" ip addr add "$3" dev "$2"
	ip netns exec "$1" ip link set "$2" up
}

@test "a Linux guest binds and uses all four devices; cellvm's tap is gone afterwards" {
	command -v ip >/dev/null || cell_skip "iproute2 missing"
	local d=$BATS_TEST_TMPDIR tap=${CELL_TEST_PREFIX}v0
	GUEST_NS=$CELL_TEST_PREFIX-vnet
	ip netns add "$GUEST_NS"
	head -c $((1 << 20)) /dev/urandom >"$d/ro.img"
	truncate -s 2M "$d/rw.img"
	tap_up "$GUEST_NS" "$tap" 10.78.0.1/24 &
	local helper=$!
	GUEST_LINE=hello-from-the-host guest "$d/o" blk,rng,net,console \
		--disk "$d/ro.img,ro" --disk "$d/rw.img" --rng --net "tap=$tap,mac=52:54:00:aa:bb:cc"
	local vm_status=$status tap_after=0
	wait "$helper" || true
	ip netns exec "$GUEST_NS" ip link show "$tap" >/dev/null 2>&1 || tap_after=$?
	ip netns del "$GUEST_NS"
	[ "$vm_status" -eq 0 ]
	[ "$tap_after" -ne 0 ] # the tap went away with cellvm
	grep -q VIRTIO-GUEST-DONE "$d/o"
	# virtio ids: 1 net, 2 block, 3 console, 4 rng; each bound to its Linux driver.
	grep -q '^BOUND=0x0001:virtio_net' "$d/o"
	[ "$(grep -c '^BOUND=0x0002:virtio_blk' "$d/o")" -eq 2 ]
	grep -q '^BOUND=0x0003:virtio_console' "$d/o"
	grep -q '^BOUND=0x0004:virtio_rng' "$d/o"
	[ "$(field "$d/o" VDA_SERIAL)" = ro.img ]
	[ "$(field "$d/o" VDA_SIZE)" = 2048 ]
	sum=$(sha256sum <"$d/ro.img" | cut -d' ' -f1)
	[ "$(field "$d/o" VDA_SUM)" = "$sum" ]
	[ "$(field "$d/o" VDB_COPY)" = ok ]
	[ "$(field "$d/o" VDB_SUM)" = "$sum" ]
	[ "$(head -c $((1 << 20)) "$d/rw.img" | sha256sum | cut -d' ' -f1)" = "$sum" ]
	[ "$(field "$d/o" VDB_PAST_END)" = refused ]
	[ "$(field "$d/o" RNG_CURRENT)" = virtio_rng.0 ]
	[ "$(field "$d/o" RNG | wc -c)" -eq 65 ]
	[ "$(field "$d/o" MAC)" = 52:54:00:aa:bb:cc ]
	[ "$(field "$d/o" PING)" = ok ]
	[ "$(field "$d/o" CONSOLE_IN)" = hello-from-the-host ]
}

@test "bad devices: unopenable disk, locked image, bad tap or mac: one line, exit 1, nothing left" {
	local d=$BATS_TEST_TMPDIR
	truncate -s 1M "$d/busy.img"
	# Hold a write lock on busy.img as a running VM would.
	flock -x "$d/busy.img" sleep 60 &
	local holder=$!
	sleep 0.2
	for args in "--disk $d/missing.img" "--disk $d" "--disk $d/busy.img" \
		"--net tap=this-name-is-too-long" "--net tap=${CELL_TEST_PREFIX}v1,mac=01:00:5e:00:00:01" \
		"--net tap=${CELL_TEST_PREFIX}v1,mac=zz"; do
		run "$CELLVM" --kernel "$VIRTIO_KERNEL" --memory 64M $args
		echo "$args -> $status: $output"
		[ "$status" -eq 1 ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
		[[ $output == cellvm:* ]]
	done
	kill "$holder"
	wait "$holder" || true
	[ ! -e "$d/missing.img" ]
	run ip link show "${CELL_TEST_PREFIX}v1"
	[ "$status" -ne 0 ]
	leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
