#!/usr/bin/env bats
# cellvm.bats - cellvm on the host's /dev/kvm with tiny real-mode guests (Linux needs the lab):
# console output, exit statuses for poweroff, reboot and i8042 reset, and bad input.

load "$CELL_SOURCE_ROOT/tests/integration/lib"

setup_file() {
	leak_snapshot "$BATS_FILE_TMPDIR/leaks.before"
}

teardown_file() {
	leak_check "$BATS_FILE_TMPDIR/leaks.before"
}

setup() {
	[ -c /dev/kvm ] && [ -w /dev/kvm ] || cell_skip "no usable /dev/kvm"
}

# guest NAME BYTES...: write a raw real-mode image (hex bytes) to $BATS_TEST_TMPDIR/NAME.
guest() {
	local f=$BATS_TEST_TMPDIR/$1
	shift
	printf "$(printf '\\x%s' "$@")" >"$f"
	echo "$f"
}

# mov dx,0x3f8; mov al,'O'; out; mov al,'K'; out; mov al,10; out
PRINT_OK="ba f8 03 b0 4f ee b0 4b ee b0 0a ee"

@test "a real-mode guest prints on the serial port and powers off through ACPI: exit 0" {
	# mov dx,0x600; mov al,0x34 (SLP_TYP 5 | SLP_EN); out; hlt
	g=$(guest off $PRINT_OK ba 00 06 b0 34 ee f4)
	run timeout 20 "$CELLVM" --kernel "$g" --raw-real-mode --memory 16M
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
}

@test "the ACPI reset register reboots: exit 2 with a message" {
	g=$(guest reset ba 02 06 b0 01 ee f4)
	run timeout 20 "$CELLVM" --kernel "$g" --raw-real-mode --memory 16M
	[ "$status" -eq 2 ]
	[[ $output == *"guest rebooted"* ]]
}

@test "an i8042 reset pulse reboots: exit 2" {
	g=$(guest kbd b0 fe e6 64 f4)
	run timeout 20 "$CELLVM" --kernel "$g" --raw-real-mode --memory 16M --cpus 2
	[ "$status" -eq 2 ]
	[[ $output == *"keyboard controller"* ]]
}

@test "a JSON config runs the same guest" {
	g=$(guest off $PRINT_OK ba 00 06 b0 34 ee f4)
	echo "{\"kernel\": \"$g\", \"memory\": 16, \"cpus\": 1}" >"$BATS_TEST_TMPDIR/vm.json"
	run timeout 20 "$CELLVM" --config "$BATS_TEST_TMPDIR/vm.json" --raw-real-mode
	[ "$status" -eq 0 ]
	[ "$output" = OK ]
}

@test "bad input: one line naming the problem, exit 1, no files or threads left" {
	printf 'not a kernel' >"$BATS_TEST_TMPDIR/junk"
	echo '{"kernel": "/x", "cpus": "two"}' >"$BATS_TEST_TMPDIR/bad.json"
	good=$(guest off ba 00 06 b0 34 ee f4)
	while IFS='|' read -r args want; do
		run $CELLVM $args
		echo "$args -> $status: $output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "cellvm: "*"$want"* ]]
	done <<-EOF
		--kernel /nonexistent/bzImage|No such file
		--kernel $BATS_TEST_TMPDIR/junk|not a kernel
		--kernel $BATS_TEST_TMPDIR|not a regular file
		--kernel $good --memory 0|--memory
		--kernel $good --cpus 100000|--cpus
		--kernel $good --raw-real-mode --memory 16M --disk /nonexistent/disk.img|disk.img
		--kernel $good --raw-real-mode --memory 16M --initrd /nonexistent/initrd|initrd
		--config $BATS_TEST_TMPDIR/bad.json|cpus
		--config /nonexistent.json|nonexistent.json
		--kernel $good --net mac=1|tap=NAME
		--kernel $good --decompress foo|--decompress
	EOF
	[ -z "$(pgrep -x cellvm)" ]
}

@test "bad Linux input: truncated bzImage, initrd too big for memory, kernel too big for memory" {
	kernel=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$kernel" ] || cell_skip "no kernel in /boot (linux-image-cloud-amd64)"
	head -c 200000 "$kernel" >"$BATS_TEST_TMPDIR/truncated"
	truncate -s 40M "$BATS_TEST_TMPDIR/big.initrd"
	while IFS='|' read -r args want; do
		run $CELLVM $args
		echo "$args -> $status: $output"
		[ "$status" -eq 1 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == "cellvm: "*"$want"* ]]
	done <<-EOF
		--kernel $BATS_TEST_TMPDIR/truncated|truncated
		--kernel $kernel --memory 100M --initrd $BATS_TEST_TMPDIR/big.initrd|do not fit
		--kernel $kernel --memory 16M|guest memory to decompress
		--kernel $kernel --cmdline $(printf '%3000s' | tr ' ' x)|command line
	EOF
}
