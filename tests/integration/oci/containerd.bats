#!/usr/bin/env bats
# containerd.bats - containerd 1.6 and its runc v2 shim drive the OCI runtime (cellrt, or
# OCI_RUNTIME) through `ctr run --runc-binary`: an OCI image archive built here, run, exec, ps, kill,
# a memory limit, a tty, pause/resume, and a runtime error as containerd reports it.
load clients
bats_require_minimum_version 1.5.0

CD=$(client_dir containerd)
NS=$CELL_TEST_PREFIX-ctr

# ct ARGS: ctr talking to this suite's own containerd, in this run's namespace.
ct() {
	ctr --address "$CD/containerd.sock" --namespace "$NS" "$@"
}

# ct_run ARGS: ctr run through the shim with the runtime under test, state under $CD/runc.
ct_run() {
	ct run --runc-binary "$CD/bin/$OCI_RUNTIME_NAME" --runc-root "$CD/runc" "$@"
}
export -f ct ct_run
export CD NS OCI_RUNTIME_NAME

# task_status ID: RUNNING, PAUSED, STOPPED... as containerd tells it.
task_status() {
	ct task ls | awk -v id="$1" '$1 == id { print $3 }'
}

LOOP=(sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done')

# containerd_start DIR CONFIG: run containerd as this suite's own daemon; its pid in DIR/pid.
containerd_start() {
	containerd --config "$2" >"$1/containerd.log" 2>&1 3>&- </dev/null &
	echo $! >"$1/containerd.pid"
	wait_for 100 ct version >/dev/null || {
		cat "$1/containerd.log" >&2
		return 1
	}
}

# containerd_stop DIR: stop the daemon (its shims have exited with their tasks).
containerd_stop() {
	[ -f "$1/containerd.pid" ] || return 0
	local pid
	pid=$(cat "$1/containerd.pid")
	kill "$pid" 2>/dev/null || true
	wait_for 50 eval "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
	rm -f "$1/containerd.pid"
}

# oci_archive DIR: the built-in image as an OCI image layout tarball, built by umoci.
oci_archive() {
	local layout=$1/layout
	umoci init --layout "$layout"
	umoci new --image "$layout:latest"
	umoci insert --image "$layout:latest" "$CELL_IMAGE/rootfs" /
	umoci config --image "$layout:latest" --config.cmd /bin/sh \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
	umoci gc --layout "$layout"
	tar -C "$layout" -cf "$1/busybox-oci.tar" .
}

setup_file() {
	need_root
	need containerd
	need ctr
	need umoci
	need /usr/bin/python3
	need_runtime
	leak_snapshot
	mkdir -p "$CD"
	runtime_wrapper "$CD" >/dev/null
	# Its own root, state, sockets and plugin dirs: nothing shared with a system containerd. The
	# CRI plugin is not needed by ctr (kubernetes.bats loads it).
	cat >"$CD/config.toml" <<-EOF
		version = 2
		root = "$CD/root"
		state = "$CD/state"
		disabled_plugins = ["io.containerd.grpc.v1.cri"]
		[grpc]
		  address = "$CD/containerd.sock"
		[ttrpc]
		  address = "$CD/containerd.sock.ttrpc"
		[plugins."io.containerd.internal.v1.opt"]
		  path = "$CD/opt"
	EOF
	containerd_start "$CD" "$CD/config.toml"
	oci_archive "$CD" >/dev/null
}

teardown_file() {
	[ -d "$CD" ] || return 0
	local t
	for t in $(ct task ls -q 2>/dev/null); do
		ct task kill --signal KILL "$t" >/dev/null 2>&1
		ct task rm --force "$t" >/dev/null 2>&1
	done
	for t in $(ct container ls -q 2>/dev/null); do ct container rm "$t" >/dev/null 2>&1; done
	containerd_stop "$CD"
	umount_under "$CD"
	for c in /sys/fs/cgroup/*/"$NS"; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$CD"
}

@test "ctr image import: an OCI archive of the built-in image, built with umoci" {
	run ct image import --base-name localhost/cell-busybox --digests "$CD/busybox-oci.tar"
	echo "$output"
	[ "$status" -eq 0 ]
	run ct image ls -q
	[[ "$output" == *"$CLIENT_IMAGE"* ]]
}

@test "ctr run --rm --runc-binary: output and exit status through the runc v2 shim" {
	run ct_run --rm "$CLIENT_IMAGE" "$NS-run" echo hello from containerd
	[ "$status" -eq 0 ]
	[ "$output" = "hello from containerd" ]
	run ct_run --rm "$CLIENT_IMAGE" "$NS-run" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run ct container ls -q
	[ -z "$output" ]
	grep -q -- "--log-format json" "$CD/argv.log"
}

@test "ctr run --seccomp: containerd's default profile is in force (its names of other architectures pass)" {
	run ct_run --rm --seccomp "$CLIENT_IMAGE" "$NS-sc" grep ^Seccomp: /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "Seccomp:"*2 ]]
}

@test "ctr run: a runtime error reaches the user (the runtime's log, last line)" {
	run ct_run --rm "$CLIENT_IMAGE" "$NS-err" /no/such/binary
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/no/such/binary"* ]]
	ct container rm "$NS-err" 2>/dev/null || true
}

@test "ctr run -d with a memory limit; task exec, ps, kill, rm" {
	local id=$NS-d pid
	run ct_run -d --memory-limit 67108864 "$CLIENT_IMAGE" "$id" "${LOOP[@]}"
	[ "$status" -eq 0 ]
	[ "$(task_status "$id")" = RUNNING ]
	pid=$(ct task ls | awk -v id="$id" '$1 == id { print $2 }')
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = 67108864 ]
	run ct task exec --exec-id e1 "$id" echo in-exec
	[ "$status" -eq 0 ]
	[ "$output" = in-exec ]
	run ct task exec --exec-id e2 --user 65534 --cwd /tmp "$id" sh -c 'echo $(id -u) $PWD'
	[ "$output" = "65534 /tmp" ]
	run ct task exec --exec-id e3 "$id" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	# ps: the shim asks the runtime for the container's pids (ps --format json)
	run ct task ps "$id"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$pid"* ]]
	run ct task kill "$id"
	[ "$status" -eq 0 ]
	wait_for 50 eval '[ "$(task_status "$id")" = STOPPED ]'
	run ct task rm "$id"
	[ "$status" -eq 0 ]
	run ct container rm "$id"
	[ "$status" -eq 0 ]
}

@test "ctr task kill --all: every process of the container" {
	local id=$NS-all
	ct_run -d "$CLIENT_IMAGE" "$id" sleep 1000
	ct task exec --detach --exec-id e1 "$id" sleep 1000 >/dev/null 2>&1 &
	wait_for 50 eval '[ "$(ct task ps "$id" | wc -l)" -ge 3 ]'
	run ct task kill --all --signal KILL "$id"
	[ "$status" -eq 0 ]
	wait_for 50 eval '[ "$(task_status "$id")" = STOPPED ]'
	wait
	ct task rm "$id"
	ct container rm "$id"
}

@test "ctr run -t and task exec -t: a pty through the console socket" {
	run in_pty bash -c 'ct_run --rm -t "$@"' - "$CLIENT_IMAGE" "$NS-tty" \
		sh -c 'test -t 0 && test -t 1 && tty && echo tty-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *tty-ok* ]]
	local id=$NS-etty
	ct_run -d "$CLIENT_IMAGE" "$id" "${LOOP[@]}"
	run in_pty bash -c 'ct task exec -t --exec-id e1 "$@"' - "$id" sh -c 'tty && echo exec-tty'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *exec-tty* ]]
	ct task kill --signal KILL "$id"
	wait_for 50 eval '[ "$(task_status "$id")" = STOPPED ]'
	ct task rm "$id"
	ct container rm "$id"
}

@test "ctr task pause/resume: the freezer" {
	local id=$NS-pause pid
	ct_run -d "$CLIENT_IMAGE" "$id" "${LOOP[@]}"
	pid=$(ct task ls | awk -v id="$id" '$1 == id { print $2 }')
	run ct task pause "$id"
	[ "$status" -eq 0 ]
	[ "$(task_status "$id")" = PAUSED ]
	[ "$(cgroup_file "$pid" freezer freezer.state)" = FROZEN ]
	run ct task resume "$id"
	[ "$status" -eq 0 ]
	[ "$(task_status "$id")" = RUNNING ]
	ct task kill "$id"
	wait_for 50 eval '[ "$(task_status "$id")" = STOPPED ]'
	ct task rm "$id"
	ct container rm "$id"
}

@test "containerd: nothing left behind" {
	run ct container ls -q
	[ -z "$output" ]
	[ -z "$(ls -A "$CD/runc/$NS" 2>/dev/null | grep -vx .seccomp)" ]
	ct image rm $(ct image ls -q) >/dev/null
	containerd_stop "$CD"
	umount_under "$CD"
	for c in /sys/fs/cgroup/*/"$NS"; do
		[ -d "$c" ] && rmdir "$c"
	done
	# OCI_ARGV_LOG=FILE keeps what the client asked of the runtime (docs/oci-clients.md)
	[ -z "${OCI_ARGV_LOG:-}" ] || cat "$CD/argv.log" >>"$OCI_ARGV_LOG"
	rm -rf "$CD"
	# lib.bash's process check passes over anything naming a bats path, as our daemons do
	run pgrep -af -- "$CELL_TEST_PREFIX-"
	[ -z "$output" ]
	leak_check
}
