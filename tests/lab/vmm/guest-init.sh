#!/bin/busybox sh
# guest-init.sh - /init of the nested guest that cellvm boots in the lab tests: load the virtio
# modules, print a marker, do what cell.action= on the command line says, then end as cell.end= says.
/bin/busybox --install -s /bin
mount -t proc proc /proc
# cell.steps: the guest's uptime after each step up to the marker (builtins only, no fork), for
# bench/vmm-boot-trace.py to compare where the init's phase goes under each VMM.
read -r cmd </proc/cmdline
steps=
step() { [ -n "$steps" ] && read -r up _ </proc/uptime && steps="$steps $1=$up"; }
case " $cmd " in *" cell.steps "*) steps=" init" && step start ;; esac
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
step mount
for m in virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net virtio_console virtio-rng; do
	[ -e /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
	step $m
done
echo CELL-GUEST-INIT-OK
[ -n "$steps" ] && echo "STEPS$steps"
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p" | tail -n 1; }
for a in $(arg cell.action | tr ',' ' '); do
	case $a in
	info)
		echo "NPROC=$(nproc)"
		echo "MEMTOTAL_KB=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
		# The firmware map as the kernel got it (System RAM entries), in KiB.
		t=0
		for e in /sys/firmware/memmap/*; do
			[ "$(cat $e/type)" = "System RAM" ] || continue
			t=$((t + ($(cat $e/end) - $(cat $e/start) + 1) / 1024))
		done
		echo "E820_RAM_KB=$t"
		;;
	disks)
		# vda: the read-only disk's checksum; vdb: write a line for the host to check.
		n=0
		while [ ! -b /dev/vda ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
		echo "VDA_SUM=$(sha256sum /dev/vda | cut -d' ' -f1)"
		echo "VDA_RO=$(cat /sys/block/vda/ro)"
		echo "cellvm-wrote-this" | dd of=/dev/vdb bs=512 conv=sync,fsync 2>/dev/null && echo VDB_WRITE=ok
		dd if=/dev/zero of=/dev/vda bs=512 count=1 2>/dev/null && echo VDA_WRITE=allowed || echo VDA_WRITE=refused
		;;
	net)
		ip link set lo up
		ip addr add "$(arg cell.ip)" dev eth0 && ip link set eth0 up
		if ping -c 2 -W 3 "$(arg cell.peer)" >/dev/null 2>&1; then echo PING=ok; else echo PING=fail; fi
		;;
	dmesg)
		echo "UPTIME=$(cut -d' ' -f1 /proc/uptime)"
		# Boot milestones and initcalls of 1 ms or more from the kernel log, with their
		# timestamps (bench/vmm-boot-trace.py compares VMMs' boots; all of it over a nested
		# serial port would take minutes).
		dmesg | awk '/ after [0-9]+ usecs/ { u = $0; sub(/.* after /, "", u); if (u + 0 < 1000) next }
			/Linux version|tsc:|clocksource|Calibrating|smp:|Trying to unpack|Freeing unused|Run \/init|after [0-9]+ usecs|Serial|ttyS|RTC|rtc|i8042|APIC|ACPI: Interpreter/'
		echo "CLOCKSOURCE=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
		grep -m1 '^flags' /proc/cpuinfo
		cat /proc/interrupts
		;;
	log)
		# The whole kernel log through the tty (the 8250's interrupt-driven transmit path).
		dmesg
		;;
	machine)
		# What the guest sees of the machine, to compare VMMs (bench/vmm-boot-trace.py).
		grep -E '^(flags|bugs|model|cpu family|address|microcode)' /proc/cpuinfo | head -n 8 | sed 's/^/CPU: /'
		for f in /sys/devices/system/cpu/vulnerabilities/*; do echo "VULN: ${f##*/}: $(cat $f)"; done
		echo "CLOCK: $(cat /sys/devices/system/clocksource/clocksource0/available_clocksource) / $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
		echo "CLOCKEVENT: $(cat /sys/devices/system/clockevents/clockevent0/current_device 2>/dev/null)"
		dmesg | grep -iE 'kvm|pv|mitigat|spectre|retbleed|srso|ibpb|ibrs|pti|x86/fpu|tsc|clocksource|mtrr|pat|apic|hypervisor|nohz|tlb|its|bhi|mds|tsx|rfds|gds|vmscape' | sed 's/^/DMESG: /'
		;;
	kaslr)
		# Where the kernel runs: its virtual _text and its physical "Kernel code" (KASLR tests).
		echo "TEXT=$(grep -m1 ' _text$' /proc/kallsyms | cut -d' ' -f1)"
		echo "KCODE=$(grep -m1 'Kernel code' /proc/iomem | sed 's/^ *//;s/-.*//')"
		;;
	rng)
		[ -e /dev/hwrng ] && dd if=/dev/hwrng bs=16 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n' | sed 's/^/RNG=/;s/$/\n/'
		;;
	esac
done
echo CELL-GUEST-DONE
s=$(arg cell.sleep)
[ -n "$s" ] && sleep "$s"
case $(arg cell.end) in
reboot) reboot -f ;;
hang) while :; do sleep 1; done ;;
*) poweroff -f ;;
esac
sleep 5
