#!/usr/bin/env bats
# kubernetes.bats - the CRI runtime configurations docs/kubernetes.md gives for cellrt, checked as far
# as Debian 12 allows: containerd starts with its block, the CRI plugin loads, a pod runs through
# the CRI API with the cellrt handler (tests/oci-clients/cri-pod.py, as the kubelet would ask), a
# container runs through the runc v2 shim with the same runtime options; the CRI-O block parses.
load clients
bats_require_minimum_version 1.5.0

KD=$(client_dir k8s)
NS=$CELL_TEST_PREFIX-k8s
DOC=$CELL_SOURCE_ROOT/docs/kubernetes.md

ct() {
	ctr --address "$KD/containerd.sock" --namespace "$NS" "$@"
}

# The CRI plugin's own containerd namespace, where its images must be.
cri_ct() {
	ctr --address "$KD/containerd.sock" --namespace k8s.io "$@"
}

# doc_block MARKER: the fenced block that follows <!-- MARKER --> in docs/kubernetes.md.
doc_block() {
	awk -v m="<!-- $1 -->" '$0 == m { on = 1; next }
		on && /^```/ { if (fenced) exit; fenced = 1; next }
		on && fenced { print }' "$DOC"
}

# toml_get FILE PYTHON-EXPR: a value from a TOML file (Python's tomllib), t is the parsed table.
toml_get() {
	/usr/bin/python3 -c 'import sys, tomllib; t = tomllib.load(open(sys.argv[1], "rb")); print(eval(sys.argv[2]))' \
		"$1" "$2"
}

setup_file() {
	need_root
	need containerd
	need ctr
	need umoci
	need /usr/bin/python3
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import grpc, tomllib' 2>/dev/null ||
		cell_skip "Debian's python3 with python3-grpcio is needed (scripts/setup.sh --test)"
	need_runtime
	leak_snapshot
	mkdir -p "$KD/cni"
	runtime_wrapper "$KD" >/dev/null
	# The test's own daemon paths and the runc runtime every stock config has (containerd refuses a
	# CRI config whose default_runtime_name, runc, is not among its runtimes), a local pause image,
	# oom_score_adj not below ours (we may lack CAP_SYS_RESOURCE), then the documented block with the binary and root made the
	# test's: everything else is as users will copy it.
	{
		cat <<-EOF
			version = 2
			root = "$KD/root"
			state = "$KD/state"
			[grpc]
			  address = "$KD/containerd.sock"
			[ttrpc]
			  address = "$KD/containerd.sock.ttrpc"
			[plugins."io.containerd.internal.v1.opt"]
			  path = "$KD/opt"
			[plugins."io.containerd.grpc.v1.cri"]
			  stream_server_address = "127.0.0.1"
			  stream_server_port = "0"
			  sandbox_image = "localhost/cell-busybox:pause"
			  restrict_oom_score_adj = true
			  [plugins."io.containerd.grpc.v1.cri".cni]
			    conf_dir = "$KD/cni"
			  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
			    runtime_type = "io.containerd.runc.v2"
		EOF
		doc_block containerd-config |
			sed -e "s|^\( *BinaryName = \).*|\1\"$KD/bin/$OCI_RUNTIME_NAME\"|" \
				-e "s|^\( *Root = \).*|\1\"$KD/runc\"|"
	} >"$KD/config.toml"
	doc_block crio-config >"$KD/crio.conf"
	containerd --config "$KD/config.toml" >"$KD/containerd.log" 2>&1 3>&- </dev/null &
	echo $! >"$KD/containerd.pid"
	wait_for 100 ct version >/dev/null || {
		cat "$KD/containerd.log" >&2
		return 1
	}
	umoci init --layout "$KD/layout"
	umoci new --image "$KD/layout:latest"
	umoci insert --image "$KD/layout:latest" "$CELL_IMAGE/rootfs" / >/dev/null
	umoci config --image "$KD/layout:latest" --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		--config.cmd /bin/sh
	# the pod's sandbox ("pause") image: a process that waits
	umoci config --image "$KD/layout:latest" --tag pause --config.entrypoint /bin/sleep \
		--config.cmd 2147483647
	umoci gc --layout "$KD/layout"
	tar -C "$KD/layout" -cf "$KD/busybox-oci.tar" .
	ct image import --base-name localhost/cell-busybox "$KD/busybox-oci.tar" >/dev/null
	cri_ct image import --base-name localhost/cell-busybox "$KD/busybox-oci.tar" >/dev/null
}

stop_all() {
	local pid t
	for t in $(ct task ls -q 2>/dev/null); do
		ct task kill --signal KILL "$t" >/dev/null 2>&1
		ct task rm --force "$t" >/dev/null 2>&1
	done
	for t in $(ct container ls -q 2>/dev/null); do ct container rm "$t" >/dev/null 2>&1; done
	ct image rm "$CLIENT_IMAGE" localhost/cell-busybox:pause >/dev/null 2>&1
	cri_ct image rm "$CLIENT_IMAGE" localhost/cell-busybox:pause >/dev/null 2>&1
	if [ -f "$KD/containerd.pid" ]; then
		pid=$(cat "$KD/containerd.pid")
		kill "$pid" 2>/dev/null
		wait_for 50 eval "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null
		rm -f "$KD/containerd.pid"
	fi
	umount_under "$KD"
	for t in /sys/fs/cgroup/*/"$NS" /sys/fs/cgroup/*/"$NS-pod"; do
		[ -d "$t" ] && find "$t" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	true
}

teardown_file() {
	[ -d "$KD" ] || return 0
	stop_all
	rm -rf "$KD"
}

@test "docs/kubernetes.md: the containerd block names cellrt's runc v2 runtime" {
	[ "$(toml_get "$KD/config.toml" \
		't["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["cellrt"]["runtime_type"]')" = \
		io.containerd.runc.v2 ]
	[ "$(toml_get "$KD/config.toml" \
		't["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["cellrt"]["options"]["BinaryName"]')" = \
		"$KD/bin/$OCI_RUNTIME_NAME" ]
}

@test "containerd starts with that config and its CRI plugin loads" {
	run ct plugins ls
	[ "$status" -eq 0 ]
	echo "$output" | grep cri
	[ "$(echo "$output" | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }')" = ok ]
	# the CRI plugin took the runtime (it logs its parsed configuration)
	grep -q 'cellrt' "$KD/containerd.log"
}

@test "a pod runs through the CRI API with the cellrt handler (BinaryName, Root, a memory limit)" {
	: >"$KD/argv.log"
	# shellcheck disable=SC2016
	run /usr/bin/python3 "$CELL_SOURCE_ROOT/tests/oci-clients/cri-pod.py" "$KD/containerd.sock" \
		cellrt "$NS-pod" "/$NS-pod" "$KD/logs" "$CLIENT_IMAGE" 67108864 \
		'cat /sys/fs/cgroup/memory/'"$NS-pod"'/$CRI_CONTAINER_ID/memory.limit_in_bytes'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"exec 0 hello from a pod"* ]]
	[[ "$output" == *"check 67108864"* ]]
	[[ "$output" == *removed* ]]
	# the CRI plugin ran the configured binary (the test's wrapper) with the configured Root
	grep -q -- "--root $KD/runc/k8s.io .* create --bundle" "$KD/argv.log"
	grep -q -- " exec --process " "$KD/argv.log"
	[ -z "$(ls -A "$KD/runc/k8s.io" | grep -vx .seccomp)" ]
}

@test "a container runs through the runc v2 shim with the same runtime options" {
	local opts='t["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]["cellrt"]["options"]'
	local bin root id=$NS-c
	bin=$(toml_get "$KD/config.toml" "$opts[\"BinaryName\"]")
	root=$(toml_get "$KD/config.toml" "$opts[\"Root\"]")
	run ct run -d --runc-binary "$bin" --runc-root "$root" "$CLIENT_IMAGE" "$id" sleep 1000
	[ "$status" -eq 0 ]
	run ct task exec --exec-id e1 "$id" echo hello through the CRI runtime options
	[ "$status" -eq 0 ]
	[ "$output" = "hello through the CRI runtime options" ]
	# the state is under the configured Root, not runc's default
	[ -n "$(ls -A "$root/$NS")" ]
	run ct task kill --signal KILL "$id"
	[ "$status" -eq 0 ]
	wait_for 50 eval "ct task ls | grep -q '^$id .*STOPPED'"
	ct task rm "$id"
	ct container rm "$id"
	[ -z "$(ls -A "$root/$NS" | grep -vx .seccomp)" ]
}

@test "docs/kubernetes.md: the CRI-O block is valid TOML with cellrt's handler" {
	[ "$(toml_get "$KD/crio.conf" 't["crio"]["runtime"]["runtimes"]["cellrt"]["runtime_type"]')" = oci ]
	[ -n "$(toml_get "$KD/crio.conf" 't["crio"]["runtime"]["runtimes"]["cellrt"]["runtime_path"]')" ]
	[ "$(toml_get "$KD/crio.conf" 't["crio"]["runtime"]["cgroup_manager"]')" = cgroupfs ]
}

@test "kubernetes: nothing left behind" {
	stop_all
	rm -rf "$KD"
	# lib.bash's process check passes over anything naming a bats path, as our daemons do
	run pgrep -af -- "$CELL_TEST_PREFIX-"
	[ -z "$output" ]
	leak_check
}
