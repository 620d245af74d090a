#!/bin/bash
# selftest-guest.sh - runs inside the lab for selftest.sh: TAP points (no plan, no numbers; the host
# adds its own and the plan) about what the lab promises. Exits 42 so the host can check the status.
: "${LAB_SELFTEST_SHARE:?run by selftest.sh}"
here=$(cd "$(dirname "$0")" && pwd)
cg=/sys/fs/cgroup

point() { # DESCRIPTION CMD... : one TAP point; the command's output becomes diagnostics on failure
	local what=$1 out t0=$EPOCHREALTIME
	shift
	if out=$("$@" 2>&1); then
		echo "ok - $what"
		echo "# $(((${EPOCHREALTIME/./} - ${t0/./}) / 1000)) ms"
	else
		echo "not ok - $what"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

cgroup2_only() {
	awk '$3 ~ /^cgroup/ {print $2, $3}' /proc/mounts | tee /dev/stderr |
		grep -qx '/sys/fs/cgroup cgroup2' || return 1
	[ "$(awk '$3 ~ /^cgroup/' /proc/mounts | wc -l)" = 1 ]
}

controllers_enabled() {
	local c
	cat $cg/cgroup.subtree_control
	for c in cpuset cpu io memory pids; do grep -qw $c $cg/cgroup.subtree_control || return 1; done
}

child_cgroup() {
	local d=$cg/lab-selftest-$$ rc=0
	mkdir $d || return 1
	for f in memory.max pids.max cpu.max cpuset.cpus io.max; do [ -f $d/$f ] || { echo "no $f"; rc=1; }; done
	echo 64M >$d/memory.max && echo 20 >$d/pids.max || rc=1
	sh -c "echo \$\$ >$d/cgroup.procs && grep -qx '0::/lab-selftest-$$' /proc/self/cgroup" || rc=1
	rmdir $d || rc=1
	return $rc
}

scratch_disk() {
	local dev=${CELL_LAB_DISK:-} mm d=$cg/lab-io-$$ rc=0
	[ -b "$dev" ] || { echo "CELL_LAB_DISK=$dev is not a block device"; return 1; }
	[ "$(($(cat /sys/block/${dev#/dev/}/size) * 512))" = $((64 << 20)) ] || { echo "size"; return 1; }
	dd if=/dev/zero of="$dev" bs=1M count=2 oflag=direct status=none || return 1
	mm=$(cat /sys/block/${dev#/dev/}/dev)
	mkdir $d || return 1
	echo "$mm wbps=1048576" >$d/io.max && grep "^$mm .*wbps=1048576" $d/io.max || rc=1
	rmdir $d
	return $rc
}

pivot_root_works() {
	local d
	d=$(mktemp -d)
	unshare -m sh -c "mount -t tmpfs t $d && mkdir $d/old && cd $d && pivot_root . old"
	local rc=$?
	rmdir "$d"
	return $rc
}

point "cgroup2 is the only cgroup hierarchy, at /sys/fs/cgroup" cgroup2_only
point "cpuset cpu io memory pids are enabled for children" controllers_enabled
point "a child cgroup takes limits and processes" child_cgroup
point "the scratch disk is /dev/vda, 64M, writable, and takes io.max" scratch_disk
point "/dev/kvm runs guest code (nested SVM)" /usr/bin/python3 "$here/kvm-probe.py"
point "modules load on demand from the host's /lib/modules (veth)" \
	sh -c 'ip link add lab-v0 type veth peer name lab-v1 && ip link del lab-v0'
point "pivot_root works from the lab's root (as container runtimes need)" pivot_root_works
point "/ is writable (tmpfs overlay)" sh -c "echo x >/var/tmp/cell-lab-probe-$LAB_SELFTEST_TOKEN"
point "--share is writable and reaches the host" sh -c "echo x >'$LAB_SELFTEST_SHARE/from-guest'"
point "the caller's cwd and environment come through" \
	test "$PWD:$LAB_SELFTEST_TOKEN" = "$LAB_SELFTEST_CWD:$LAB_SELFTEST_TOKEN"
point "the build tree is visible" test -f "${CELL_BUILD_ROOT:-/nonexistent}/build.ninja"
echo "lab-selftest-stderr-$LAB_SELFTEST_TOKEN" >&2
echo "# run dir: $CELL_LAB_RUN"
exit 42
