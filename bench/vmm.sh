#!/bin/bash
# vmm.sh [RUNS] - cellvm beside QEMU: boot-to-init and memory inside the lab (nested KVM; compare
# ratios, not absolute times), then process start to first guest instruction on this machine's own
# /dev/kvm. Needs root, QEMU and Debian's cloud kernel (scripts/setup.sh --test) and a build in build/.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${CELL_BUILD_ROOT:-$src/build}
runs=${1:-7}
cellvm=$build/src/vmm/cellvm
[ -x "$cellvm" ] || { echo "vmm.sh: build cellvm first (meson setup build && ninja -C build)" >&2; exit 1; }

if [ -z "${CELL_LAB:-}" ]; then
	echo "## process start to first guest instruction (host /dev/kvm, real-mode guest)"
	python3 "$src/bench/vmm-first-insn.py" "$cellvm" 31
	echo
	echo "## boot to init in the lab (1 vCPU, 128 MiB, quiet, medians of $runs)"
	exec "$src/tests/lab/lab.sh" --mem 2048 --timeout 1500 -- "$0" "$runs"
fi
kernel=$(ls /boot/vmlinuz-*-cloud-amd64 | sort -V | tail -n 1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$src/tests/lab/vmm/mkinitramfs.sh" "$work/initrd.cpio" "${kernel##*/vmlinuz-}"
python3 "$src/bench/vmm-boot.py" "$kernel" "$work/initrd.cpio" "$cellvm" "$runs"
