#!/usr/bin/env bats
# namespaces.bats - every namespace kind seen from inside: created, joined by path, user mappings,
# time offsets.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

# runtime.bash's teardown, plus the namespace holder some tests start
teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
  [ -z "${HOLDER:-}" ] || { kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null || true; }
}

@test "pid, uts, ipc, network, mount and cgroup namespaces are the container's own" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "echo $$; for n in pid uts ipc net mnt cgroup; do readlink /proc/self/ns/$n; done"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  i=1
  for n in pid uts ipc net mnt cgroup; do
    [ "${lines[$i]}" != "$(readlink /proc/self/ns/$n)" ]
    i=$((i + 1))
  done
}

@test "hostname and domainname are set in the uts namespace" {
  b=$(cell_bundle '.hostname = "box1" | .domainname = "example.org" | .process.args = ["sh", "-c", "hostname; cat /proc/sys/kernel/domainname"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = box1 ]
  [ "${lines[1]}" = example.org ]
  [ "$(hostname)" != box1 ]
}

@test "the network namespace is empty but for lo" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "ls /sys/class/net"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$output" = lo ]
}

@test "a namespace given by path is joined (network)" {
  unshare --net sh -c 'ip link add cellx0 type dummy 2>/dev/null; exec sleep 100' &
  HOLDER=$!
  for _ in $(seq 50); do [ "$(readlink /proc/$HOLDER/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.05; done
  sleep 0.2
  b=$(cell_bundle ".linux.namespaces |= map(if .type == \"network\" then .path = \"/proc/$HOLDER/ns/net\" else . end) | .process.args = [\"readlink\", \"/proc/self/ns/net\"]")
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = "$(readlink /proc/$HOLDER/ns/net)" ]
}

@test "a joined namespace path of the wrong kind is refused by name" {
  b=$(cell_bundle '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/uts" else . end)')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == "cellrt: linux.namespaces: /proc/self/ns/uts is not a network namespace" ]]
}

@test "a user namespace maps ids as uidMappings and gidMappings say" {
  # the mapped root must be able to reach the rootfs through the bundle's directories
  d=$BATS_TEST_TMPDIR
  while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
  b=$(cell_bundle '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}] | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}] | .process.args = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u; readlink /proc/self/ns/user"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [[ "$(echo ${lines[0]})" == "0 100000 65536" ]]
  [[ "$(echo ${lines[1]})" == "0 200000 65536" ]]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "a time namespace applies monotonic and boottime offsets" {
  [ -e /proc/self/ns/time ] || cell_skip "no time namespaces in this kernel"
  b=$(cell_bundle '.linux.namespaces += [{"type": "time"}] | .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0}, "monotonic": {"secs": 3600}} | .process.args = ["cat", "/proc/uptime"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  up=$(cut -d. -f1 /proc/uptime)
  inside=${output%%.*}
  [ "$inside" -ge $((up + 864000 - 5)) ]
}

@test "the cgroup namespace shows the container's cgroup as its root" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "grep -c \":/$\" /proc/self/cgroup; wc -l < /proc/self/cgroup"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "${lines[1]}" ]
}

@test "a pid namespace given by path is joined: the process is not PID 1" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  ID2=$ID-2
  b2=$BATS_TEST_TMPDIR/b2
  mkdir -p "$b2"
  ln -s "$CELL_IMAGE/rootfs" "$b2/rootfs"
  jq --arg p "/proc/$pid/ns/pid" '.process.terminal = false | .linux.namespaces |= map(if .type == "pid" then .path = $p else . end) | .process.args = ["sh", "-c", "echo $$"]' "$CELL_IMAGE/config.json" >"$b2/config.json"
  run cellrt run --bundle "$b2" "$ID2"
  [ "$status" -eq 0 ]
  [ "$output" -gt 1 ]
}
