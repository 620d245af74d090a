#!/bin/bash
# lab.sh - run one command as root inside the lab: Debian's cloud kernel in QEMU TCG with an AMD SVM
# CPU (so a nested /dev/kvm works), the host's / shared read-only (virtiofs + a tmpfs overlay), and a
# cgroup2-only /sys/fs/cgroup. Streams the command's stdout/stderr back and exits with its status.
# Exit codes of its own: 77 = the lab cannot run here (reason printed), 124 = timed out, 125 = the lab
# broke (boot failure, no exit status), 126 = the lab froze (QEMU stopped using CPU). See docs/lab.md.
set -u

LAB_SKIP=77 LAB_TIMEOUT=124 LAB_BROKEN=125 LAB_FROZE=126
# An idle lab still spends a clock tick of CPU every few seconds on its timers; none at all for this
# long means it froze (see watch_freeze).
freeze=${CELL_LAB_FREEZE_SECONDS:-60}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() {
	cat >&2 <<'USAGE'
usage: lab.sh [--disk SIZE] [--mem MB] [--smp N] [--timeout S] [--share DIR]... -- CMD [ARG]...
       lab.sh --check    (exit 0 if the lab can run here, else 77 with the reason; builds the cache)
  --disk SIZE   attach an empty scratch disk (raw, sparse; e.g. 64M) as /dev/vda ($CELL_LAB_DISK)
  --mem MB      guest memory (default 1024)
  --smp N       vCPUs (default 1)
  --timeout S   kill the lab after S seconds (default 600); exit 124
  --share DIR   also share host DIR read-write at the same path (the rest of / is read-only)
USAGE
	exit 2
}

cannot() {
	echo "lab: cannot run: $*" >&2
	exit $LAB_SKIP
}

check= disk= mem=${CELL_LAB_MEM:-1024} smp=${CELL_LAB_SMP:-1} tmo=${CELL_LAB_TIMEOUT:-600} shares=()
while [ $# -gt 0 ]; do
	case $1 in
	--disk) disk=${2:?--disk needs a size}; shift 2 ;;
	--mem) mem=${2:?--mem needs megabytes}; shift 2 ;;
	--smp) smp=${2:?--smp needs a count}; shift 2 ;;
	--timeout) tmo=${2:?--timeout needs seconds}; shift 2 ;;
	--share) shares+=("$(realpath -e -- "${2:?--share needs a directory}")") || exit 2; shift 2 ;;
	--check) check=1; shift ;;
	--) shift; break ;;
	*) usage ;;
	esac
done
[ $# -gt 0 ] || [ -n "$check" ] || usage
for n in "$mem" "$smp" "$tmo"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "lab: not a positive number: $n" >&2; exit 2; }
done
for d in "${shares[@]}"; do
	# The share list travels on the kernel command line: no blanks or commas.
	[[ $d =~ ^/[^[:space:],]*$ ]] || { echo "lab: cannot share a path with blanks or commas: $d" >&2; exit 2; }
done
[ -z "$disk" ] || [[ $disk =~ ^[1-9][0-9]*[KMG]?$ ]] || { echo "lab: bad disk size: $disk" >&2; exit 2; }

# --- prerequisites: say why instead of pretending to pass
[ "$(id -u)" = 0 ] || cannot "needs root (virtiofsd exports / as root)"
qemu=$(command -v qemu-system-x86_64) || cannot "qemu-system-x86_64 missing (scripts/setup.sh --test)"
virtiofsd=
for v in /usr/lib/qemu/virtiofsd /usr/libexec/virtiofsd /usr/lib/virtiofsd; do
	[ -x "$v" ] && virtiofsd=$v && break
done
[ -n "$virtiofsd" ] || cannot "virtiofsd missing (package qemu-system-common)"
kernel=${CELL_LAB_KERNEL:-$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || cannot "no Debian cloud kernel in /boot (package linux-image-cloud-amd64)"
kver=${kernel##*/vmlinuz-}
[ -r "/lib/modules/$kver/modules.dep" ] || cannot "no /lib/modules/$kver/modules.dep"
busybox=/bin/busybox
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 ||
	cannot "$busybox is missing or not static (package busybox-static)"
for t in cpio modprobe timeout mkfifo; do
	command -v $t >/dev/null || cannot "$t missing (scripts/setup.sh --test)"
done

# --- the initramfs: busybox, the boot modules, our two guest scripts; cached by content
boot_mods="virtio_pci virtio_console virtio_blk virtiofs overlay kvm-amd"
cache=${CELL_LAB_CACHE:-/var/cache/cell-lab}
key=$({
	echo "$kver $boot_mods"
	cat "$here/guest-init.sh" "$here/guest-run.sh"
	sha256sum "$busybox" "/lib/modules/$kver/modules.dep"
} | sha256sum | cut -c1-16)
initrd=$cache/initramfs-$kver-$key.cpio

build_initrd() {
	local t
	mkdir -p "$cache" || return 1
	t=$(mktemp -d "$cache/build.XXXXXX") || return 1
	mkdir -p "$t/root/bin" "$t/root/dev" "$t/root/proc" "$t/root/sys" "$t/root/modules"
	cp "$busybox" "$t/root/bin/busybox" &&
		cp "$here/guest-init.sh" "$t/root/init" && chmod 755 "$t/root/init" &&
		cp "$here/guest-run.sh" "$t/root/guest-run.sh" || { rm -rf "$t"; return 1; }
	# modprobe resolves aliases and modules.dep into insmod lines, dependencies first.
	modprobe -S "$kver" --show-depends -a $boot_mods | awk '$1 == "insmod" {print $2}' |
		awk '!seen[$0]++' >"$t/mods" || { rm -rf "$t"; return 1; }
	while read -r ko; do
		cp "$ko" "$t/root/modules/" && echo "${ko##*/}" >>"$t/root/modules/order"
	done <"$t/mods"
	(cd "$t/root" && find . | cpio -o -H newc --quiet) >"$t/initrd" &&
		mv "$t/initrd" "$initrd"
	local rc=$?
	rm -rf "$t"
	return $rc
}
[ -s "$initrd" ] || build_initrd || { echo "lab: cannot build $initrd" >&2; exit $LAB_BROKEN; }
# Images of older lab versions go after a week unused (other worktrees may still use recent ones).
touch "$initrd"
find "$cache" -maxdepth 1 -name 'initramfs-*.cpio' -mtime +7 -delete 2>/dev/null
[ -n "$check" ] && exit 0

# --- one run directory per boot: sockets, FIFOs, the command script, the exit status
# Fixed under /tmp (not $TMPDIR): the path goes on the kernel command line and must be visible inside.
run=$(mktemp -d /tmp/cell-lab.XXXXXX) || exit $LAB_BROKEN
pids=()
cleanup() {
	[ "${CELL_LAB_KEEP:-}" ] && echo "lab: kept $run" >&2 && return
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The command script: the caller's environment, cwd and argv, run by the guest's PID 1.
{
	echo '# generated by lab.sh'
	for name in $(compgen -e); do
		case $name in PWD | OLDPWD | SHLVL | _ | BASH_* | SHELLOPTS | BASHOPTS) continue ;; esac
		printf 'export %s=%q\n' "$name" "${!name}"
	done
	printf 'export CELL_LAB=1 CELL_LAB_RUN=%q\n' "$run"
	[ -n "$disk" ] && echo "export CELL_LAB_DISK=/dev/vda"
	# The caller's open-file limits (the kernel's defaults for init are 1024/4096).
	printf 'ulimit -Hn %s 2>/dev/null; ulimit -Sn %s 2>/dev/null\n' "$(ulimit -Hn)" "$(ulimit -Sn)"
	printf 'cd -- %q 2>/dev/null || cd /\n' "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	echo
} >"$run/cmd.sh"

# One virtiofsd per share: / read-only (the guest mounts it ro; cache=always since nothing changes it
# during a run), --share dirs read-write. sandbox=chroot: namespace mode cannot pivot_root into /.
start_virtiofsd() { # SOCKET SOURCE CACHE
	"$virtiofsd" --socket-path="$1" -o source="$2" -o cache="$3" -o sandbox=chroot \
		>/dev/null 2>"$1.log" &
	pids+=($!)
}
start_virtiofsd "$run/root.sock" / always
fsdev=(-chardev "socket,id=fs0,path=$run/root.sock" -device vhost-user-fs-pci,chardev=fs0,tag=root)
share_list=
for i in "${!shares[@]}"; do
	start_virtiofsd "$run/share$i.sock" "${shares[$i]}" auto
	fsdev+=(-chardev "socket,id=fs$((i + 1)),path=$run/share$i.sock"
		-device "vhost-user-fs-pci,chardev=fs$((i + 1)),tag=share$i")
	share_list+=${share_list:+,}${shares[$i]}
done
for ((i = 0; i < 50; i++)); do
	ready=1
	[ -S "$run/root.sock" ] || ready=0
	for j in "${!shares[@]}"; do [ -S "$run/share$j.sock" ] || ready=0; done
	[ $ready = 1 ] && break
	sleep 0.1
done
[ $ready = 1 ] || { echo "lab: virtiofsd did not start:" >&2; cat "$run"/*.log >&2; exit $LAB_BROKEN; }

diskdev=()
if [ -n "$disk" ]; then
	truncate -s "$disk" "$run/disk.raw" || exit $LAB_BROKEN
	diskdev=(-drive "file=$run/disk.raw,format=raw,if=none,id=d0,cache=unsafe"
		-device virtio-blk-pci,drive=d0,serial=scratch)
fi

# Output travels over virtio-serial ports backed by FIFOs (QEMU opens both ends O_RDWR, so no EOF
# stalls); the exit status over a third port into a plain file.
mkfifo "$run/out.in" "$run/out.out" "$run/err.in" "$run/err.out" || exit $LAB_BROKEN
cat "$run/out.out" &
pids+=($!)
cat_out=$!
cat "$run/err.out" >&2 &
pids+=($!)
cat_err=$!

# no_timer_check: a starved TCG (loaded host) fails the IO-APIC timer check and panics at boot.
# tsc=reliable: TCG's TSC follows the host clock; the watchdog would otherwise swap it for a slow one.
append="console=ttyS0 panic=-1 reboot=t no_timer_check tsc=reliable cell_lab.run=$run"
[ -n "$share_list" ] && append+=" cell_lab.shares=$share_list"
[ "${CELL_LAB_DEBUG:-}" ] || append+=" quiet"
append+=" ${CELL_LAB_APPEND:-}"

timeout -k 5 "$tmo" "$qemu" -nodefaults -no-user-config -display none -monitor none -no-reboot \
	-accel tcg -cpu EPYC,+svm -smp "$smp" -m "$mem" \
	-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -machine pc,memory-backend=mem \
	-kernel "$kernel" -initrd "$initrd" -append "$append" \
	-chardev "file,id=con,path=$run/console" -serial chardev:con \
	"${fsdev[@]}" "${diskdev[@]}" \
	-device virtio-serial-pci \
	-chardev "pipe,id=out,path=$run/out" -device virtserialport,chardev=out,name=out \
	-chardev "pipe,id=err,path=$run/err" -device virtserialport,chardev=err,name=err \
	-chardev "file,id=status,path=$run/status" -device virtserialport,chardev=status,name=status \
	</dev/null >"$run/qemu.log" 2>&1 &
qpid=$!
pids+=($qpid)

# The TCG lab itself has frozen a few times in nested boots under heavy host load (QEMU at 0% CPU,
# with cellvm and with QEMU as the nested VMM alike): end such a run early and say so (exit 126),
# rather than wait for --timeout; run-suite.sh runs the suite once more.
watch_freeze() {
	local q last= now idle=0
	for ((i = 0; i < 50; i++)); do
		q=$(pgrep -P "$qpid" -x qemu-system-x86) && break
		sleep 0.1
	done
	[ -n "$q" ] || return
	while now=$(awk '{ print $14 + $15 }' "/proc/$q/stat" 2>/dev/null); do
		[ "$now" = "$last" ] && idle=$((idle + 5)) || idle=0
		last=$now
		if [ $idle -ge "$freeze" ]; then
			touch "$run/froze"
			kill -KILL "$q"
			return
		fi
		sleep 5
	done
}
watch_freeze &
pids+=($!)
wait $qpid
qrc=$?

# Let the relays drain: a brief extra writer unblocks a cat still waiting in open(), then EOF.
for f in out err; do
	exec {fd}<>"$run/$f.out" && exec {fd}>&-
done
for ((i = 0; i < 50; i++)); do
	kill -0 $cat_out 2>/dev/null || kill -0 $cat_err 2>/dev/null || break
	sleep 0.1
done

status=$(cat "$run/status" 2>/dev/null | tr -dc 0-9)
if [ -n "$status" ]; then
	[ "${CELL_LAB_DEBUG:-}" ] && cat "$run/console" >&2
	exit "$status"
fi
if [ -e "$run/froze" ]; then
	echo "lab: the lab froze (QEMU used no CPU for $freeze s); console:" >&2
	rc=$LAB_FROZE
elif [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "lab: timed out after $tmo s (--timeout); console:" >&2
	rc=$LAB_TIMEOUT
else
	echo "lab: the guest stopped without an exit status (qemu exit $qrc); console:" >&2
	rc=$LAB_BROKEN
fi
tail -n 40 "$run/console" >&2
# QEMU's notes about CPU features TCG lacks are noise; virtiofsd's log only matters when it broke.
grep -v "TCG doesn't support requested feature" "$run/qemu.log" >&2
[ $rc = $LAB_BROKEN ] && cat "$run"/*.sock.log >&2 2>/dev/null
exit $rc
