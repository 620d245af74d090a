#!/usr/bin/env bats
# verbs.bats - the runc verbs the clients call besides create/start/kill/delete: ps, pause/resume,
# update, events --stats, features, --log-format json. OCI_RUNTIME=/usr/bin/runc runs the same.
load clients
bats_require_minimum_version 1.5.0

RT_ROOT=$BATS_FILE_TMPDIR/$CELL_TEST_PREFIX-rt

rt() {
	"$OCI_RUNTIME" --root "$RT_ROOT" "$@"
}

setup_file() {
	need_root
	need jq
	need_runtime
	leak_snapshot
}

teardown() {
	local id
	for id in $(ls "$RT_ROOT" 2>/dev/null); do
		rt delete --force "$id" >/dev/null 2>&1 || true
	done
	local d
	for d in /sys/fs/cgroup/*/"$CELL_TEST_PREFIX.slice"; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	true
}

# started ID [jq-filter]: a running container (sleep) from the built-in image.
started() {
	local b
	# an absolute root.path: runc refuses the symlink cell_bundle makes
	b=$(cell_bundle ".root.path = \"$CELL_IMAGE/rootfs\" | .process.args = [\"sleep\", \"1000\"] |
		${2:-.}")
	rt create --bundle "$b" "$1" </dev/null >/dev/null 2>&1
	rt start "$1"
}

# as_it_is ID: the container's state and its processes, to compare before and after a failed
# command (which must change neither).
as_it_is() {
	rt state "$1" | jq -c .
	rt ps --format json "$1" 2>/dev/null || true
}

# gone ID: no state, cgroup or process of the container is left.
gone() {
	[ ! -e "$RT_ROOT/$1" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$1" 2>/dev/null)" ]
	! pgrep -f -- "$1" >/dev/null
}

cg_limit() { # ID CONTROLLER FILE
	cgroup_file "$(rt state "$1" | jq .pid)" "$2" "$3"
}

@test "features: the OCI features document" {
	run rt features
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.ociVersionMin and .ociVersionMax'
	echo "$output" | jq -e '.mountOptions | index("rbind") and index("ro")'
	echo "$output" | jq -e '.linux.namespaces | index("pid") and index("network")'
	echo "$output" | jq -e '.linux.capabilities | index("CAP_SYS_ADMIN")'
	echo "$output" | jq -e '.linux.seccomp.enabled and (.linux.seccomp.actions | index("SCMP_ACT_ERRNO"))'
	echo "$output" | jq -e '.linux.cgroup.v1 == true'
	echo "$output" | jq -e '.hooks | index("startContainer") and index("poststop")'
	echo "$output" | jq -e '.annotations["io.github.cell.cellrt.linux.personality"] == "LINUX,LINUX32"'
	echo "$output" | jq -e '.annotations["io.github.cell.cellrt.process.scheduler"] | contains("SCHED_BATCH")'
}

@test "ps --format json: the container's host pids; table by default" {
	local id
	id=$(cell_id)
	started "$id"
	local pid
	pid=$(rt state "$id" | jq .pid)
	run rt ps --format json "$id"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c .)" = "[$pid]" ]
	run rt ps "$id"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *PID* ]]
	[[ "$output" == *" $pid "*sleep* ]]
	[ "${#lines[@]}" -eq 2 ]
	run rt ps --format yaml "$id"
	[ "$status" -ne 0 ]
	rt delete --force "$id"
}

@test "pause/resume: frozen, state says paused, then running again" {
	local id
	id=$(cell_id)
	started "$id"
	run rt pause "$id"
	[ "$status" -eq 0 ]
	[ "$(rt state "$id" | jq -r .status)" = paused ]
	[ "$(cg_limit "$id" freezer freezer.state)" = FROZEN ]
	run rt pause "$id"
	[ "$status" -ne 0 ]
	run rt resume "$id"
	[ "$status" -eq 0 ]
	[ "$(rt state "$id" | jq -r .status)" = running ]
	[ "$(cg_limit "$id" freezer freezer.state)" = THAWED ]
	run rt resume "$id"
	[ "$status" -ne 0 ]
	rt delete --force "$id"
}

@test "update: runc's flags and --resources (file and stdin)" {
	local id
	id=$(cell_id)
	started "$id" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100},
		"cpu": {"quota": 50000, "period": 100000}}'
	run rt update --memory 32m --pids-limit 50 --cpu-quota 20000 "$id"
	[ "$status" -eq 0 ]
	[ "$(cg_limit "$id" memory memory.limit_in_bytes)" = 33554432 ]
	[ "$(cg_limit "$id" pids pids.max)" = 50 ]
	[ "$(cg_limit "$id" cpu cpu.cfs_quota_us)" = 20000 ]
	echo '{"memory": {"limit": 50331648}}' >"$BATS_TEST_TMPDIR/res.json"
	run rt update --resources "$BATS_TEST_TMPDIR/res.json" "$id"
	[ "$status" -eq 0 ]
	[ "$(cg_limit "$id" memory memory.limit_in_bytes)" = 50331648 ]
	run rt update --resources - "$id" <<<'{"pids": {"limit": 70}}'
	[ "$status" -eq 0 ]
	[ "$(cg_limit "$id" pids pids.max)" = 70 ]
	run rt update --memory lots "$id"
	[ "$status" -ne 0 ]
	[ "$(cg_limit "$id" memory memory.limit_in_bytes)" = 50331648 ]
	# an exec joins the cgroup; it must not put back the limits of creation
	run rt exec "$id" true
	[ "$status" -eq 0 ]
	[ "$(cg_limit "$id" memory memory.limit_in_bytes)" = 50331648 ]
	[ "$(cg_limit "$id" pids pids.max)" = 70 ]
	rt delete --force "$id"
}

@test "events --stats: one stats event with memory and pids" {
	local id
	id=$(cell_id)
	started "$id" '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100}}'
	run rt events --stats "$id"
	[ "$status" -eq 0 ]
	echo "$output" | jq -e --arg id "$id" '.type == "stats" and .id == $id'
	echo "$output" | jq -e '.data.memory.usage.limit == 67108864'
	echo "$output" | jq -e '.data.pids.current >= 1'
	rt delete --force "$id"
}

@test "--log --log-format json: {level,msg,time} lines, the failure's error last" {
	local log=$BATS_TEST_TMPDIR/log.json
	run rt --log "$log" --log-format json start "$CELL_TEST_PREFIX-no-such"
	[ "$status" -ne 0 ]
	cat "$log"
	jq -e -s 'length >= 1 and all(.[]; has("level") and has("msg") and has("time"))' "$log"
	[ "$(tail -n 1 "$log" | jq -r .level)" = error ]
	[[ "$(tail -n 1 "$log" | jq -r .msg)" == *"does not exist"* ]]
}

@test "--systemd-cgroup without systemd: accepted, cgroupfs paths, said in the log" {
	[ "$OCI_RUNTIME_NAME" = cellrt ] || skip "cellrt's own behaviour (runc needs a running systemd)"
	[ -d /run/systemd/system ] && skip "systemd runs here"
	local id log=$BATS_TEST_TMPDIR/log.json
	id=$(cell_id)
	local b
	b=$(cell_bundle ".root.path = \"$CELL_IMAGE/rootfs\" | .process.args = [\"sleep\", \"1000\"] |
		.linux.cgroupsPath = \"$CELL_TEST_PREFIX.slice:cell:$id\"")
	# the init keeps create's stdio until start: none of it may be bats' pipe
	rt --systemd-cgroup --log "$log" --log-format json create --bundle "$b" "$id" \
		</dev/null >/dev/null 2>&1
	rt start "$id"
	grep -q '"level":"warning".*--systemd-cgroup.*cgroupfs' "$log"
	local pid
	pid=$(rt state "$id" | jq .pid)
	grep -q ":freezer:/$CELL_TEST_PREFIX.slice/cell-$id.scope\$" "/proc/$pid/cgroup"
	rt --systemd-cgroup delete --force "$id"
	# the slice is this test's parent, as a cgroupfs parent is the caller's to remove
	local d
	for d in /sys/fs/cgroup/*/"$CELL_TEST_PREFIX.slice"; do
		[ -d "$d" ] && rmdir "$d"
	done
	true
}

@test "bad input: exec --process that is not JSON, exec into a stopped container, a console socket that is not a socket" {
	local id
	id=$(cell_id)
	started "$id"
	local before
	before=$(as_it_is "$id")
	echo 'nope{' >"$BATS_TEST_TMPDIR/p.json"
	run rt exec --process "$BATS_TEST_TMPDIR/p.json" "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"p.json:1:"* ]]
	[ "$(as_it_is "$id")" = "$before" ]
	touch "$BATS_TEST_TMPDIR/notsock"
	run rt exec --detach --tty --console-socket "$BATS_TEST_TMPDIR/notsock" "$id" touch /dev/shm/ran
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket"* ]]
	[ "$(as_it_is "$id")" = "$before" ]
	# refused before the process ran
	run rt exec "$id" test -e /dev/shm/ran
	[ "$status" -ne 0 ]
	rt kill "$id" KILL
	for _ in $(seq 50); do [ "$(rt state "$id" | jq -r .status)" = stopped ] && break; sleep 0.1; done
	before=$(as_it_is "$id")
	[[ "$before" == *'"status":"stopped"'* ]]
	run rt exec "$id" true
	[ "$status" -ne 0 ]
	[[ "$output" == *"it is stopped"* ]]
	[ "$(as_it_is "$id")" = "$before" ]
	rt delete "$id"
	local b
	b=$(cell_bundle ".root.path = \"$CELL_IMAGE/rootfs\" | .process.terminal = true")
	run rt create --bundle "$b" --console-socket "$BATS_TEST_TMPDIR/notsock" "$id"
	[ "$status" -ne 0 ]
	[[ "$output" == *"--console-socket"* ]]
	gone "$id"
}

@test "exec --preserve-fds N: fds 3 .. 2+N reach the exec'd process, and no others" {
	local id
	id=$(cell_id)
	started "$id"
	echo three >"$BATS_TEST_TMPDIR/f3"
	echo four >"$BATS_TEST_TMPDIR/f4"
	run rt exec --preserve-fds 2 "$id" sh -c 'cat <&3; cat <&4; ls /proc/self/fd | tr "\n" " "' \
		3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f4"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'three\nfour\n0 1 2 3 4 5 ')" ]
	# detached, as the shims exec: the process writes to a pipe it was given
	exec {w}> >(cat >"$BATS_TEST_TMPDIR/out")
	rt exec --detach --preserve-fds 1 "$id" sh -c 'echo through-fd-3 >&3' 3>&$w
	exec {w}>&-
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/out" ] && break; sleep 0.1; done
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = through-fd-3 ]
}

@test "bad input: exec --preserve-fds past the open fds; the container is left as it was" {
	local id before
	id=$(cell_id)
	started "$id"
	before=$(as_it_is "$id")
	run rt exec --preserve-fds 2 "$id" touch /dev/shm/ran 3</dev/null 4<&-
	echo "$output"
	[ "$status" -ne 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"--preserve-fds 2: fd 4 is not open"* ]]
	[ "$(as_it_is "$id")" = "$before" ]
	run rt exec "$id" test -e /dev/shm/ran
	[ "$status" -ne 0 ]
}

@test "verbs: nothing left behind" {
	rm -rf "$RT_ROOT"
	leak_check
}
