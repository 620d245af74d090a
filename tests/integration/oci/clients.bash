# clients.bash - set-up shared by the suites that drive an OCI runtime through real clients (podman,
# containerd). Every client gets private state under this run's temp dir, named with the run's
# prefix, so a suite never sees or touches a user's containers, images or networks.
load "$CELL_SOURCE_ROOT/tests/integration/lib"

# The runtime under test: cellrt from the build unless OCI_RUNTIME names another (runc proves the
# suites themselves: OCI_RUNTIME=/usr/bin/runc meson test --suite integration).
OCI_RUNTIME=${OCI_RUNTIME:-$CELLRT}
OCI_RUNTIME_NAME=$(basename "$OCI_RUNTIME")
CLIENT_IMAGE=localhost/cell-busybox:latest

need_runtime() {
	[ -x "$OCI_RUNTIME" ] || cell_skip "OCI runtime $OCI_RUNTIME is not built"
}

# client_dir NAME: this run's private directory for one client (kept for the whole file).
client_dir() {
	echo "$BATS_FILE_TMPDIR/$CELL_TEST_PREFIX-$1"
}

# cgroup_file PID CONTROLLER FILE: a v1 controller file of the cgroup PID is in, read from the host
# so that the check does not depend on what the runtime mounts inside the container.
cgroup_file() {
	local path
	path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/$1/cgroup")
	cat "/sys/fs/cgroup/$2$path/$3"
}

# in_pty CMD...: run CMD with a new pty as its terminal (as a user's shell would) and copy what it
# writes there to stdout; exits as CMD did. Python's pty.spawn rather than script(1), which can drop
# a fast command's output when its own stdin is at EOF.
in_pty() {
	/usr/bin/python3 -c 'import os, pty, sys; sys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))' \
		"$@" </dev/null | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# runtime_wrapper DIR [ARG...]: DIR/bin/<runtime's name>, which logs each call's argv to
# DIR/argv.log and runs the runtime with ARGs first (podman's suite gives --root DIR/rt: podman 4.3
# drops --runtime-flag from the clean-up command conmon runs at exit, so 'delete' would look in the
# runtime's default root).
runtime_wrapper() {
	local dir=$1 args
	shift
	args=""
	[ $# -eq 0 ] || args=$(printf ' %q' "$@")
	mkdir -p "$dir/bin"
	cat >"$dir/bin/$OCI_RUNTIME_NAME" <<-EOF
		#!/bin/sh
		printf '%s\n' "\$*" >>"$dir/argv.log"
		exec "$OCI_RUNTIME"$args "\$@"
	EOF
	chmod +x "$dir/bin/$OCI_RUNTIME_NAME"
	echo "$dir/bin/$OCI_RUNTIME_NAME"
}

# umount_under DIR: unmount whatever a crashed client left mounted below DIR (deepest first).
umount_under() {
	awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# wait_for TRIES CMD...: retry CMD every 0.1 s.
wait_for() {
	local n=$1
	shift
	while ! "$@" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
