#!/usr/bin/env bats
# vmm.bats - cellvm booting Debian's cloud kernel inside the lab (real nested KVM): console marker,
# vCPUs, memory map, disks, network, virtio console and rng, PVH, exit statuses and bad input.
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

# vm OUT [cellvm options...]: boot the guest, stdout to OUT, stderr to OUT.err, status in $status.
vm() {
	local out=$1
	shift
	status=0
	timeout 120 "$CELLVM" --kernel "$VMM_KERNEL" --initrd "$VMM_INITRD" "$@" \
		</dev/null >"$out" 2>"$out.err" || status=$?
	tr -d '\r' <"$out" >"$out.txt"
}

field() { # FILE KEY
	sed -n "s/^$2=//p" "$1.txt" | tail -n 1
}

@test "boots to init with 2 vCPUs, nproc matches, e820 and MemTotal cover --memory, poweroff exits 0" {
	vm "$BATS_TEST_TMPDIR/o" --cpus 2 --memory 2G \
		--cmdline "console=ttyS0 quiet cell.action=info cell.end=poweroff"
	cat "$BATS_TEST_TMPDIR/o.err"
	grep -q CELL-GUEST-INIT-OK "$BATS_TEST_TMPDIR/o.txt"
	[ "$status" -eq 0 ]
	[ "$(field "$BATS_TEST_TMPDIR/o" NPROC)" = 2 ]
	mem=$(field "$BATS_TEST_TMPDIR/o" MEMTOTAL_KB)
	e820=$(field "$BATS_TEST_TMPDIR/o" E820_RAM_KB)
	echo "MemTotal ${mem} kB, e820 RAM ${e820} kB of $((2 * 1024 * 1024)) kB"
	# e820 RAM is all of --memory but the 385 KiB legacy hole below 1 MiB.
	[ "$e820" -ge $((2 * 1024 * 1024 - 400)) ] && [ "$e820" -le $((2 * 1024 * 1024)) ]
	[ "$mem" -ge $((2 * 1024 * 1024 * 95 / 100)) ]
}

@test "read-only disk checksum, written disk verified on the host, rng, reboot exits 2" {
	local d=$BATS_TEST_TMPDIR
	head -c 1048576 /dev/urandom >"$d/ro.img"
	truncate -s 1M "$d/rw.img"
	vm "$d/o" --memory 256M --disk "$d/ro.img,ro" --disk "$d/rw.img" --rng \
		--cmdline "console=ttyS0 quiet cell.action=disks,rng cell.end=reboot"
	cat "$d/o.err"
	[ "$status" -eq 2 ]
	grep -q "guest rebooted" "$d/o.err"
	[ "$(field "$d/o" VDA_SUM)" = "$(sha256sum "$d/ro.img" | cut -d' ' -f1)" ]
	[ "$(field "$d/o" VDA_RO)" = 1 ]
	[ "$(field "$d/o" VDA_WRITE)" = refused ]
	[ "$(head -c 17 "$d/rw.img")" = cellvm-wrote-this ]
	[ "$(field "$d/o" RNG | wc -c)" -gt 16 ]
}

@test "ping between the guest and a tap in a test network namespace" {
	command -v ip >/dev/null || cell_skip "iproute2 missing"
	local ns=cellvm-$CELL_TEST_PREFIX-$RANDOM tap=cvt$RANDOM
	ip netns add "$ns"
	ip netns exec "$ns" ip tuntap add dev "$tap" mode tap
	ip netns exec "$ns" ip addr add 10.77.0.1/24 dev "$tap"
	ip netns exec "$ns" ip link set "$tap" up
	local st=0
	timeout 120 ip netns exec "$ns" "$CELLVM" --kernel "$VMM_KERNEL" --initrd "$VMM_INITRD" \
		--memory 256M --net "tap=$tap,mac=52:54:00:12:34:56" \
		--cmdline "console=ttyS0 quiet cell.action=net cell.ip=10.77.0.2/24 cell.peer=10.77.0.1" \
		</dev/null >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/o.err" || st=$?
	ip netns del "$ns"
	tr -d '\r' <"$BATS_TEST_TMPDIR/o" >"$BATS_TEST_TMPDIR/o.txt"
	cat "$BATS_TEST_TMPDIR/o.txt" "$BATS_TEST_TMPDIR/o.err"
	[ "$st" -eq 0 ]
	[ "$(field "$BATS_TEST_TMPDIR/o" PING)" = ok ]
}

@test "virtio console carries the guest's hvc0" {
	vm "$BATS_TEST_TMPDIR/o" --memory 256M --console virtio \
		--cmdline "console=hvc0 quiet cell.action=info"
	cat "$BATS_TEST_TMPDIR/o.err"
	[ "$status" -eq 0 ]
	grep -q CELL-GUEST-INIT-OK "$BATS_TEST_TMPDIR/o.txt"
}

@test "PVH entry boots an uncompressed vmlinux" {
	command -v lz4 >/dev/null || cell_skip "lz4 missing (scripts/setup.sh --test)"
	"$BATS_TEST_DIRNAME/extract-vmlinux.sh" "$VMM_KERNEL" "$BATS_TEST_TMPDIR/vmlinux"
	status=0
	timeout 120 "$CELLVM" --kernel "$BATS_TEST_TMPDIR/vmlinux" --initrd "$VMM_INITRD" \
		--memory 256M --cmdline "console=ttyS0 quiet cell.action=info" \
		</dev/null >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/o.err" || status=$?
	cat "$BATS_TEST_TMPDIR/o.err"
	[ "$status" -eq 0 ]
	grep -q CELL-GUEST-INIT-OK "$BATS_TEST_TMPDIR/o"
}

@test "a triple fault exits 3 and says so" {
	vm "$BATS_TEST_TMPDIR/o" --memory 256M \
		--cmdline "console=ttyS0 quiet reboot=t cell.end=reboot"
	cat "$BATS_TEST_TMPDIR/o.err"
	[ "$status" -eq 3 ]
	grep -q "triple fault" "$BATS_TEST_TMPDIR/o.err"
}

@test "bad input: one clear line, exit 1, nothing left behind" {
	local d=$BATS_TEST_TMPDIR
	head -c 100000 "$VMM_KERNEL" >"$d/truncated"
	head -c $((40 << 20)) /dev/zero >"$d/big.initrd"
	echo '{"kernel": 5' >"$d/bad.json"
	links_before=$(ip -o link | wc -l)
	for args in "--kernel /nonexistent" "--kernel /etc/passwd" "--kernel $d/truncated" \
		"--kernel $VMM_KERNEL --memory 0" "--kernel $VMM_KERNEL --cpus 4096" \
		"--kernel $VMM_KERNEL --initrd $d/big.initrd --memory 32M" \
		"--kernel $VMM_KERNEL --disk /nonexistent.img" \
		"--kernel $VMM_KERNEL --net tap=lo" "--config $d/bad.json"; do
		run "$CELLVM" $args
		echo "$args -> $status: $output"
		[ "$status" -eq 1 ]
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
		[[ $output == cellvm:* ]]
	done
	[ "$(ip -o link | wc -l)" = "$links_before" ]
	[ -z "$(pgrep -x cellvm)" ]
}
