#!/usr/bin/env bats
# vmm.bats - cellvm booting Debian's cloud kernel inside the lab (real nested KVM), two boots to keep
# the lab budget: vCPUs, memory map, disks, tap network, rng and reboot in one (the bzImage unpacked
# by cellvm, randomized and entered at startup_64); the kernel's own decompressor (64-bit entry), the
# whole log on the serial console and poweroff in the other; then two short boots for KASLR.
# Exit statuses of tiny guests, triple faults and bad input run on the host
# (tests/integration/vmm/cellvm.bats); virtio details in virtio.bats.
# Runs inside tests/lab/lab.sh (tests/lab/run-suite.sh vmm ...), never on the host.

load "$CELL_SOURCE_ROOT/tests/integration/lib"

CELLVM=${CELLVM:-$CELL_BUILD_ROOT/src/vmm/cellvm}

setup_file() {
	[ -n "${CELL_LAB:-}" ] || return 0
	kernel=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
	export VMM_KERNEL=$kernel
	export VMM_INITRD=$BATS_FILE_TMPDIR/guest.cpio
	"$BATS_TEST_DIRNAME/mkinitramfs.sh" "$VMM_INITRD" "${kernel##*/vmlinuz-}"
	modprobe tun 2>/dev/null || true
}

setup() {
	[ -n "${CELL_LAB:-}" ] || cell_skip "runs only inside the lab (tests/lab/lab.sh)"
	[ -c /dev/kvm ] || cell_skip "no /dev/kvm in the lab"
	[ -x "$CELLVM" ] || cell_skip "cellvm not built"
}

field() { # FILE KEY
	sed -n "s/^$2=//p" "$1.txt" | tail -n 1
}

@test "2 vCPUs, 2G, ro+rw disks, tap in a test netns, rng: nproc, e820, MemTotal, checksum, write, ping, reboot exits 2" {
	command -v ip >/dev/null || cell_skip "iproute2 missing"
	local d=$BATS_TEST_TMPDIR ns=cellvm-$CELL_TEST_PREFIX-$RANDOM tap=cvt$RANDOM
	head -c 1048576 /dev/urandom >"$d/ro.img"
	truncate -s 1M "$d/rw.img"
	ip netns add "$ns"
	ip netns exec "$ns" ip tuntap add dev "$tap" mode tap
	ip netns exec "$ns" ip addr add 10.77.0.1/24 dev "$tap"
	ip netns exec "$ns" ip link set "$tap" up
	status=0
	# The bzImage's LZ4 payload is unpacked by cellvm at a random place, relocated and entered at
	# startup_64 (load:64); where it ran is kept for the KASLR test below.
	CELLVM_TRACE_START=1 timeout 150 ip netns exec "$ns" "$CELLVM" --kernel "$VMM_KERNEL" --initrd "$VMM_INITRD" \
		--decompress host --cpus 2 --memory 2G --disk "$d/ro.img,ro" --disk "$d/rw.img" --rng \
		--net "tap=$tap,mac=52:54:00:12:34:56" \
		--cmdline "console=ttyS0 quiet cell.action=info,disks,rng,net,kaslr cell.ip=10.77.0.2/24 cell.peer=10.77.0.1 cell.end=reboot" \
		</dev/null >"$d/o" 2>"$d/o.err" || status=$?
	ip netns del "$ns"
	tr -d '\r' <"$d/o" >"$d/o.txt"
	cat "$d/o.txt" "$d/o.err"
	grep -q CELL-GUEST-INIT-OK "$d/o.txt"
	[ "$status" -eq 2 ]
	grep -q "guest rebooted" "$d/o.err"
	grep -q "load:64" "$d/o.err"
	grep "^TEXT=\|^KCODE=" "$d/o.txt" >"$BATS_FILE_TMPDIR/kaslr-first" || true
	[ "$(field "$d/o" NPROC)" = 2 ]
	mem=$(field "$d/o" MEMTOTAL_KB)
	e820=$(field "$d/o" E820_RAM_KB)
	echo "MemTotal ${mem} kB, e820 RAM ${e820} kB of $((2 * 1024 * 1024)) kB"
	# e820 RAM is all of --memory but the 385 KiB legacy hole below 1 MiB.
	[ "$e820" -ge $((2 * 1024 * 1024 - 400)) ] && [ "$e820" -le $((2 * 1024 * 1024)) ]
	[ "$mem" -ge $((2 * 1024 * 1024 * 95 / 100)) ]
	[ "$(field "$d/o" VDA_SUM)" = "$(sha256sum "$d/ro.img" | cut -d' ' -f1)" ]
	[ "$(field "$d/o" VDA_RO)" = 1 ]
	[ "$(field "$d/o" VDA_WRITE)" = refused ]
	[ "$(head -c 17 "$d/rw.img")" = cellvm-wrote-this ]
	[ "$(field "$d/o" RNG | wc -c)" -gt 16 ]
	[ "$(field "$d/o" PING)" = ok ]
}

@test "the kernel's own decompressor (--decompress guest, 64-bit entry) boots with its whole log on the console; poweroff exits 0" {
	status=0
	# No quiet: the kernel prints its whole log (the 8250 console's polled path), and the init
	# prints it again through the tty (the interrupt-driven transmit path, THRE interrupts).
	CELLVM_TRACE_START=1 timeout 120 "$CELLVM" --kernel "$VMM_KERNEL" --initrd "$VMM_INITRD" \
		--memory 128M --decompress guest --cmdline "console=ttyS0 cell.action=log cell.end=poweroff" \
		</dev/null >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/o.err" || status=$?
	tr -d '\r' <"$BATS_TEST_TMPDIR/o" >"$BATS_TEST_TMPDIR/o.txt"
	tail -n 20 "$BATS_TEST_TMPDIR/o.txt"
	cat "$BATS_TEST_TMPDIR/o.err"
	echo "console: $(wc -c <"$BATS_TEST_TMPDIR/o.txt") bytes"
	[ "$status" -eq 0 ]
	grep -q CELL-GUEST-INIT-OK "$BATS_TEST_TMPDIR/o.txt"
	grep -q CELL-GUEST-DONE "$BATS_TEST_TMPDIR/o.txt"
	grep -q "load:64" "$BATS_TEST_TMPDIR/o.err"
	# The kernel's first line twice: on the console while booting, then in the dmesg the init printed.
	[ "$(grep -c 'Linux version' "$BATS_TEST_TMPDIR/o.txt")" -ge 2 ]
	grep -q "Run /init as init process" "$BATS_TEST_TMPDIR/o.txt"
}

boot_kaslr() { # NAME CMDLINE-EXTRA: a short --decompress host boot printing where the kernel runs
	local o=$BATS_TEST_TMPDIR/$1 status=0
	timeout 120 "$CELLVM" --kernel "$VMM_KERNEL" --initrd "$VMM_INITRD" --memory 128M \
		--decompress host --cmdline "console=ttyS0 quiet cell.action=kaslr $2" \
		</dev/null >"$o" 2>"$o.err" || status=$?
	tr -d '\r' <"$o" >"$o.txt"
	grep "^TEXT=\|^KCODE=" "$o.txt" || true
	cat "$o.err"
	[ "$status" -eq 0 ]
}

@test "--decompress host randomizes like the decompressor: _text and Kernel code differ between boots, nokaslr gives the link addresses" {
	[ -s "$BATS_FILE_TMPDIR/kaslr-first" ] || cell_skip "the first boot's addresses are missing"
	cat "$BATS_FILE_TMPDIR/kaslr-first"
	local first_text first_code
	first_text=$(sed -n 's/^TEXT=//p' "$BATS_FILE_TMPDIR/kaslr-first")
	first_code=$(sed -n 's/^KCODE=//p' "$BATS_FILE_TMPDIR/kaslr-first")
	boot_kaslr random ""
	boot_kaslr fixed nokaslr
	local d=$BATS_TEST_TMPDIR
	[ -n "$first_text" ] && [ -n "$first_code" ]
	# ~480 virtual and ~27 (128M) / ~990 (2G) physical slots: a clash is a 1 in ~10^5 event.
	[ "$(field "$d/random" TEXT)" != "$first_text" ]
	[ "$(field "$d/random" KCODE)" != "$first_code" ]
	# Debian's link addresses: __START_KERNEL_map + 16 MiB.
	[ "$(field "$d/fixed" TEXT)" = ffffffff81000000 ]
	[ "$(field "$d/fixed" KCODE)" = 01000000 ]
}

@test "a triple fault exits 3 and says so (tiny real-mode guest: lidt with limit 0, int3)" {
	# The host's PVM /dev/kvm emulates real mode and never reports the shutdown; real KVM does.
	printf '\x0f\x01\x1e\x10\x00\xcc\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$BATS_TEST_TMPDIR/tf"
	run timeout 30 "$CELLVM" --kernel "$BATS_TEST_TMPDIR/tf" --raw-real-mode --memory 16M
	echo "$output"
	[ "$status" -eq 3 ]
	[[ $output == *"triple fault"* ]]
}
