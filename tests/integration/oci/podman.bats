#!/usr/bin/env bats
# podman.bats - podman 4.3 + conmon drive the OCI runtime (cellrt, or OCI_RUNTIME) as users do:
# run, -d, exec, -it through a pty, resource limits, read-only, stop, rm, pause, update, networks.
load clients
bats_require_minimum_version 1.5.0

PD=$(client_dir podman)
CGPARENT=/$CELL_TEST_PREFIX-podman

# pm ARGS: podman with private storage, config, locks and runtime state under $PD (the runtime is
# called through runtime_wrapper, which records what podman asks of it in $PD/argv.log).
pm() {
	CONTAINERS_CONF=$PD/containers.conf CONTAINERS_STORAGE_CONF=$PD/storage.conf \
		CONTAINERS_REGISTRIES_CONF=$PD/registries.conf \
		podman --root "$PD/root" --runroot "$PD/runroot" --tmpdir "$PD/tmp" \
		--cgroup-manager cgroupfs --runtime "$PD/bin/$OCI_RUNTIME_NAME" "$@"
}

# pm_run ARGS: podman run in this run's own cgroup parent, never pulling.
pm_run() {
	pm run --pull never --cgroup-parent "$CGPARENT" "$@"
}

# in_pty runs podman through bash, which needs these.
export -f pm pm_run
export PD OCI_RUNTIME OCI_RUNTIME_NAME CGPARENT

# pm_status ID: the container's state as podman tells it.
pm_status() {
	pm inspect --format '{{.State.Status}}' "$1"
}

# rt_empty: the runtime's state root holds no container (cellrt's cache of seccomp programs,
# .seccomp, stays by design).
rt_empty() {
	[ -z "$(ls -A "$PD/rt" 2>/dev/null | grep -vx .seccomp)" ]
}

# A container whose PID 1 exits at once on SIGTERM (busybox sleep as PID 1 would ignore it).
LOOP=(sh -c 'trap "exit 0" TERM; while :; do sleep 0.1; done')

setup_file() {
	need_root
	need podman
	need conmon
	need /usr/bin/python3
	need_runtime
	leak_snapshot
	mkdir -p "$PD/tmp" "$PD/cni"
	runtime_wrapper "$PD" --root "$PD/rt" >/dev/null
	# Podman's defaults that this machine cannot honour are set here: cgroupfs (no systemd), no
	# network unless a test asks, and rlimits no higher than ours (we may lack CAP_SYS_RESOURCE,
	# and podman lowers its own nproc to 32768).
	local nofile nproc
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ] && nofile=1048576
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	cat >"$PD/containers.conf" <<-EOF
		[containers]
		cgroupns = "host"
		netns = "none"
		default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
		[network]
		network_backend = "cni"
		network_config_dir = "$PD/cni"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "file"
		events_logfile_path = "$PD/events.log"
		tmp_dir = "$PD/tmp"
		lock_type = "file"
		runtime_supports_json = ["crun", "runc", "$OCI_RUNTIME_NAME"]
	EOF
	cat >"$PD/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$PD/root"
		runroot = "$PD/runroot"
	EOF
	echo 'unqualified-search-registries = []' >"$PD/registries.conf"
	tar -C "$CELL_IMAGE/rootfs" -c . | pm import --quiet - "$CLIENT_IMAGE" >/dev/null
}

teardown_file() {
	[ -d "$PD" ] || return 0
	pm rm --all --force --time 0 >/dev/null 2>&1 || true
	pm rmi --all --force >/dev/null 2>&1 || true
	umount_under "$PD"
	for c in /sys/fs/cgroup/*"$CGPARENT"; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rm -rf "$PD"
}

@test "podman import: the built-in busybox rootfs is a local image" {
	run pm images --format '{{.Repository}}:{{.Tag}}'
	[ "$status" -eq 0 ]
	[[ "$output" == *"$CLIENT_IMAGE"* ]]
}

@test "podman info: the runtime's name and --version" {
	run pm info --format '{{.Host.OCIRuntime.Name}}|{{.Host.OCIRuntime.Version}}'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$OCI_RUNTIME_NAME|"*[0-9]* ]]
}

@test "podman run --preserve-fds: a descriptor of podman's reaches the container" {
	echo "passed through fd 3" >"$BATS_TEST_TMPDIR/fd3"
	run pm_run --rm --preserve-fds 1 "$CLIENT_IMAGE" cat /proc/self/fd/3 3<"$BATS_TEST_TMPDIR/fd3"
	[ "$status" -eq 0 ]
	[ "$output" = "passed through fd 3" ]
}

@test "podman run: podman's default seccomp profile is in force (its names of other architectures pass)" {
	run pm_run --rm "$CLIENT_IMAGE" grep ^Seccomp: /proc/self/status
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "Seccomp:"*2 ]]
}

@test "podman run --rm: output, exit status, nothing left" {
	run pm_run --rm "$CLIENT_IMAGE" echo hello from podman
	[ "$status" -eq 0 ]
	[ "$output" = "hello from podman" ]
	run pm_run --rm "$CLIENT_IMAGE" sh -c 'exit 7'
	[ "$status" -eq 7 ]
	run pm ps --all --quiet
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	# --rm's clean-up (conmon's exit command) runs after podman returns
	wait_for 50 rt_empty
}

@test "podman run: a runtime error reaches the user (the runtime's log, last line)" {
	# podman maps the runtime's "no such file or directory" to 127, as for a shell
	run -127 pm_run --rm "$CLIENT_IMAGE" /no/such/binary
	[ "$status" -ne 0 ]
	echo "$output"
	[[ "$output" == *"$OCI_RUNTIME_NAME"* ]]
	[[ "$output" == *"/no/such/binary"* ]]
}

@test "podman run -d, exec (user, cwd, env, detached), stop, rm" {
	run pm_run -d --name "$CELL_TEST_PREFIX-d" "$CLIENT_IMAGE" "${LOOP[@]}"
	[ "$status" -eq 0 ]
	local id=$output
	run pm inspect --format '{{.State.Status}}' "$id"
	[ "$output" = running ]
	run pm exec "$id" echo in-exec
	[ "$status" -eq 0 ]
	[ "$output" = in-exec ]
	run pm exec --user 65534 --workdir /tmp --env FOO=bar "$id" sh -c 'echo $(id -u) $PWD $FOO'
	[ "$output" = "65534 /tmp bar" ]
	run pm exec "$id" sh -c 'exit 5'
	[ "$status" -eq 5 ]
	run pm exec --detach "$id" sh -c 'echo detached >/tmp/mark'
	[ "$status" -eq 0 ]
	wait_for 30 pm exec "$id" test -s /tmp/mark
	run pm top "$id" args
	[[ "$output" == *trap* ]]
	SECONDS=0
	run pm stop --time 10 "$id"
	[ "$status" -eq 0 ]
	# SIGTERM reached PID 1: podman did not wait out its timeout for a SIGKILL
	[ "$SECONDS" -lt 8 ]
	run pm inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$id"
	[ "$output" = "exited 0" ]
	run pm rm "$id"
	[ "$status" -eq 0 ]
	run pm container exists "$id"
	[ "$status" -eq 1 ]
}

@test "podman run -it and exec -it: a pty through the console socket" {
	run in_pty bash -c 'pm_run --rm -it "$@"' - "$CLIENT_IMAGE" \
		sh -c 'test -t 0 && test -t 1 && tty && echo TERM=$TERM'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *TERM=xterm* ]]
	local id
	id=$(pm_run -d "$CLIENT_IMAGE" "${LOOP[@]}")
	run in_pty bash -c 'pm exec -it "$@"' - "$id" sh -c 'tty && echo exec-tty'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == */dev/pts/* ]]
	[[ "$output" == *exec-tty* ]]
	pm rm --force --time 0 "$id"
}

@test "podman run --memory --pids-limit --cpus: the container's cgroups" {
	local id pid
	id=$(pm_run -d --memory 64m --pids-limit 50 --cpus 0.5 "$CLIENT_IMAGE" "${LOOP[@]}")
	pid=$(pm inspect --format '{{.State.Pid}}' "$id")
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cgroup_file "$pid" pids pids.max)" = 50 ]
	[ "$(cgroup_file "$pid" cpu cpu.cfs_quota_us)" = 50000 ]
	[ "$(cgroup_file "$pid" cpu cpu.cfs_period_us)" = 100000 ]
	# the limit holds: 60 more processes cannot all start
	run pm exec "$id" sh -c 'for i in $(seq 60); do sleep 5 & done; wait'
	[ "$status" -ne 0 ] || [[ "$output" == *"resource temporarily unavailable"* ]] ||
		[[ "$output" == *"can't fork"* ]]
	pm rm --force --time 0 "$id"
}

@test "podman update and pause/unpause on a running container" {
	local id pid
	id=$(pm_run -d --memory 64m "$CLIENT_IMAGE" "${LOOP[@]}")
	pid=$(pm inspect --format '{{.State.Pid}}' "$id")
	run pm update --memory 32m "$id"
	[ "$status" -eq 0 ]
	[ "$(cgroup_file "$pid" memory memory.limit_in_bytes)" = 33554432 ]
	run pm pause "$id"
	[ "$status" -eq 0 ]
	[ "$(pm inspect --format '{{.State.Status}}' "$id")" = paused ]
	[ "$(cgroup_file "$pid" freezer freezer.state)" = FROZEN ]
	run pm unpause "$id"
	[ "$status" -eq 0 ]
	[ "$(pm inspect --format '{{.State.Status}}' "$id")" = running ]
	run pm exec "$id" true
	[ "$status" -eq 0 ]
	pm rm --force --time 0 "$id"
}

@test "podman run --read-only: the root is read-only, /tmp is not" {
	run pm_run --rm --read-only "$CLIENT_IMAGE" sh -c 'touch /x'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run pm_run --rm --read-only "$CLIENT_IMAGE" sh -c 'touch /tmp/x && echo ok'
	[ "$output" = ok ]
}

@test "podman kill, rm --force on a running container" {
	local id
	id=$(pm_run -d "$CLIENT_IMAGE" sleep 1000)
	run pm kill --signal KILL "$id"
	[ "$status" -eq 0 ]
	wait_for 50 eval '[ "$(pm_status "$id")" = exited ]'
	run pm inspect --format '{{.State.ExitCode}}' "$id"
	[ "$output" = 137 ]
	pm rm "$id"
	id=$(pm_run -d "$CLIENT_IMAGE" sleep 1000)
	run pm rm --force --time 0 "$id"
	[ "$status" -eq 0 ]
	run pm container exists "$id"
	[ "$status" -eq 1 ]
}

@test "podman run --network none: loopback only" {
	run pm_run --rm --network none "$CLIENT_IMAGE" sh -c 'ls /sys/class/net'
	[ "$status" -eq 0 ]
	[ "$output" = lo ]
}

@test "podman run --network <bridge>: podman's CNI bridge, in a network namespace of the test's" {
	command -v ip >/dev/null || cell_skip "ip (iproute2) is missing"
	[ -x /usr/lib/cni/bridge ] || cell_skip "CNI plugins are not installed (containernetworking-plugins)"
	local ns=$CELL_TEST_PREFIX-podman-net net=$CELL_TEST_PREFIX-net
	ip netns add "$ns"
	# podman, its CNI plugins and the bridge live in the test's namespace, not the host's.
	run nsenter --net="/run/netns/$ns" bash -c "
		pm network create --subnet 10.231.7.0/24 $net >/dev/null &&
		pm run --pull never --cgroup-parent $CGPARENT --rm --network $net $CLIENT_IMAGE \
			sh -c 'ip -4 -o addr show eth0; ping -c1 -W2 10.231.7.1 >/dev/null && echo gateway-ok'
		rc=\$?; pm network rm --force $net >/dev/null; exit \$rc"
	ip netns del "$ns"
	rm -rf "/var/lib/cni/networks/$net"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"inet 10.231.7."* ]]
	[[ "$output" == *gateway-ok* ]]
}

@test "podman: nothing left behind" {
	pm rm --all --force --time 0 >/dev/null
	run pm ps --all --quiet
	[ -z "$output" ]
	wait_for 50 rt_empty
	pm rmi --all --force >/dev/null
	umount_under "$PD"
	for c in /sys/fs/cgroup/*"$CGPARENT"; do
		[ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} +
	done
	# OCI_ARGV_LOG=FILE keeps what the client asked of the runtime (docs/oci-clients.md)
	[ -z "${OCI_ARGV_LOG:-}" ] || cat "$PD/argv.log" >>"$OCI_ARGV_LOG"
	rm -rf "$PD"
	# lib.bash's process check passes over anything naming a bats path, as our daemons do
	run pgrep -af -- "$CELL_TEST_PREFIX-"
	[ -z "$output" ]
	leak_check
}
