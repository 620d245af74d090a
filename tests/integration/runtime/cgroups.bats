#!/usr/bin/env bats
# cgroups.bats - cellrt's cgroup limits, read back from the kernel and seen taking effect, on
# whatever the host mounts: v1, hybrid (v1 + an empty cgroup2) or v2 (the lab).

load "$CELL_SOURCE_ROOT/tests/integration/lib"

setup_file() {
  leak_snapshot
}

teardown_file() {
  leak_check
}

setup() {
  need_root
  need jq
  [ -x "$CELLRT" ] || cell_skip "cellrt is not built"
  ID=$(cell_id)
  case $(stat -f -c %T /sys/fs/cgroup) in
  cgroup2fs) LAYOUT=v2 ;;
  *) if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
       LAYOUT=hybrid
     else
       LAYOUT=v1
     fi ;;
  esac
}

teardown() {
  [ -n "${ID:-}" ] && cellrt delete --force "$ID" >/dev/null 2>&1
  # The slice a systemd-form cgroupsPath made (cellrt, like runc, leaves parents).
  rmdir /sys/fs/cgroup/"$CELL_TEST_PREFIX.slice" /sys/fs/cgroup/*/"$CELL_TEST_PREFIX.slice" \
    2>/dev/null
  true
}

# cg FILE [CONTROLLER]: a file of the container's cgroup (cgroupsPath /$ID) on this layout.
cg() {
  if [ "$LAYOUT" = v2 ]; then
    echo "/sys/fs/cgroup/$ID/$1"
  else
    echo "/sys/fs/cgroup/$2/$ID/$1"
  fi
}

# bundle FILTER ARGS...: a bundle whose process runs ARGS, in cgroup /$ID, then FILTER.
bundle() {
  local filter=$1
  shift
  local a s args=
  for a in "$@"; do
    s=${a//\\/\\\\}
    s=${s//\"/\\\"}
    s=${s//$'\n'/\\n}
    args+=${args:+,}\"$s\"
  done
  args="[$args]"
  cell_bundle ".process.args = $args | .linux.cgroupsPath = \"/$ID\" | $filter"
}

# start_detached BUNDLE: create + start, the process's output in $BATS_TEST_TMPDIR/out.
start_detached() {
  cellrt create --bundle "$1" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null
  cellrt start "$ID"
}

# Shell builtins where they do: every exec costs ~0.1-0.5 s in the lab (TCG + virtiofs).
wait_stopped() {
  local i
  for ((i = 0; i < 200; i++)); do
    state_is stopped && return 0
    sleep 0.1
  done
  return 1
}

state_is() { # STATUS
  [[ $(cellrt state "$ID") =~ \"status\":\ *\"$1\" ]]
}

# state_pid: the container's pid from `cellrt state`.
state_pid() {
  [[ $(cellrt state "$ID") =~ \"pid\":\ *([0-9]+) ]] && echo "${BASH_REMATCH[1]}"
}

# val FILE: the file's content (without a trailing newline), read by the shell.
val() {
  local v
  v=$(<"$1")
  echo "$v"
}

no_cgroup_left() {
  local left
  # find fails when another job's cgroup vanishes under it: what it found still counts
  left=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$ID" 2>/dev/null || true)
  [ -z "$left" ] || { echo "left behind: $left" >&2; return 1; }
}

@test "cgroup: limits are written to the kernel and read back" {
  b=$(bundle '.linux.resources = {"memory": {"limit": 67108864, "swap": 134217728,
      "reservation": 33554432}, "cpu": {"shares": 512, "quota": 50000, "period": 100000,
      "cpus": "0"}, "pids": {"limit": 42}}' sleep 30)
  start_detached "$b"
  if [ "$LAYOUT" = v2 ]; then
    [ "$(val "$(cg memory.max)")" = 67108864 ]
    [ "$(val "$(cg memory.low)")" = 33554432 ]
    [ "$(val "$(cg memory.swap.max)")" = 67108864 ] # memory+swap - memory
    [ "$(val "$(cg cpu.weight)")" = 20 ]            # 1 + (512 - 2) * 9999 / 262142
    [ "$(val "$(cg cpu.max)")" = "50000 100000" ]
    [ "$(val "$(cg cpuset.cpus)")" = 0 ]
    [ "$(val "$(cg pids.max)")" = 42 ]
  else
    [ "$(val "$(cg memory.limit_in_bytes memory)")" = 67108864 ]
    [ "$(val "$(cg memory.memsw.limit_in_bytes memory)")" = 134217728 ]
    [ "$(val "$(cg memory.soft_limit_in_bytes memory)")" = 33554432 ]
    [ "$(val "$(cg cpu.shares cpu)")" = 512 ]
    [ "$(val "$(cg cpu.cfs_quota_us cpu)")" = 50000 ]
    [ "$(val "$(cg cpu.cfs_period_us cpu)")" = 100000 ]
    [ "$(val "$(cg cpuset.cpus cpuset)")" = 0 ]
    [ "$(val "$(cg pids.max pids)")" = 42 ]
    # Frugal: nothing in hierarchies no resource asked for.
    [ ! -e "/sys/fs/cgroup/blkio/$ID" ]
    [ ! -e "/sys/fs/cgroup/cpuacct/$ID" ]
  fi
  pid=$(state_pid)
  grep -q "$ID" "/proc/$pid/cgroup"
  cellrt delete --force "$ID"
  no_cgroup_left
}

@test "cgroup: a process above its memory limit is killed by the OOM killer" {
  b=$(bundle '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
    sh -c 'dd if=/dev/zero of=/dev/null bs=64M count=1; echo "dd exit $?"')
  start_detached "$b"
  wait_stopped
  echo "$(<"$BATS_TEST_TMPDIR/out")"
  grep -q "dd exit 137" "$BATS_TEST_TMPDIR/out"
  if [ "$LAYOUT" = v2 ]; then
    grep -Eq '^oom_kill [1-9]' "$(cg memory.events)"
  else
    grep -Eq '^oom_kill [1-9]' "$(cg memory.oom_control memory)"
  fi
}

@test "cgroup: fork fails at the pids limit" {
  b=$(bundle '.linux.resources.pids = {"limit": 4}' \
    sh -c 'for i in 1 2 3 4 5 6; do sleep 2 & done 2>&1; wait')
  start_detached "$b"
  wait_stopped
  echo "$(<"$BATS_TEST_TMPDIR/out")"
  grep -q "can't fork" "$BATS_TEST_TMPDIR/out"
  if [ "$LAYOUT" = v2 ]; then
    grep -Eq '^max [1-9]' "$(cg pids.events)"
  else
    [ "$(val "$(cg pids.max pids)")" = 4 ]
  fi
}

@test "cgroup: nr_throttled rises in cpu.stat under a CPU quota" {
  b=$(bundle '.linux.resources.cpu = {"quota": 10000, "period": 100000}' \
    sh -c 'yes >/dev/null & p=$!; sleep 1; kill $p')
  cellrt create --bundle "$b" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null
  if [ "$LAYOUT" = v2 ]; then stat=$(cg cpu.stat); else stat=$(cg cpu.stat cpu); fi
  before=$(awk '$1 == "nr_throttled" {print $2}' "$stat")
  cellrt start "$ID"
  wait_stopped
  after=$(awk '$1 == "nr_throttled" {print $2}' "$stat")
  echo "nr_throttled $before -> $after"
  [ "$after" -gt "$before" ]
}

# /dev/kmsg opened write-only needs no capability, so only the device rules decide.
device_run() { # EXTRA-RULES
  local caps='["CAP_MKNOD","CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]'
  b=$(bundle ".process.capabilities = {\"bounding\": $caps, \"effective\": $caps,
      \"permitted\": $caps} | .linux.resources.devices = [{\"allow\": false, \"access\": \"rwm\"}] + $1" \
    sh -c 'mknod /dev/xfull c 1 7 && mknod /dev/xkmsg c 1 11 || exit 9
           head -c 1 /dev/xfull >/dev/null && echo full-ok
           if (true >/dev/xkmsg) 2>/dev/null; then echo kmsg-ok; else echo kmsg-denied; fi')
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *full-ok* ]]
}

@test "cgroup: a denied device cannot be opened, an allowed one can" {
  device_run '[]'
  [[ "$output" == *kmsg-denied* ]]
  ID=$(cell_id)
  device_run '[{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]'
  [[ "$output" == *kmsg-ok* ]]
}

@test "cgroup: the cgroup namespace shows the container its own root" {
  b=$(bundle . cat /proc/self/cgroup)
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -n "$output" ]
  ! grep -v ':/$' <<<"$output"
}

@test "cgroup: default cgroup path is relative to cellrt's own cgroup, as runc's" {
  b=$(cell_bundle '.process.args = ["sleep", "30"]')
  start_detached "$b"
  pid=$(state_pid)
  if [ "$LAYOUT" = v2 ]; then
    own=$(sed -n 's/^0:://p' /proc/self/cgroup)
    parent=$(dirname "$own")
    [ "$(sed -n 's/^0:://p' "/proc/$pid/cgroup")" = "${parent%/}/$ID" ]
  else
    own=$(awk -F: '$2 ~ /(^|,)freezer(,|$)/ {print $3}' /proc/self/cgroup)
    [ "$(awk -F: '$2 == "freezer" {print $3}' "/proc/$pid/cgroup")" = "${own%/}/$ID" ]
  fi
  cellrt delete --force "$ID"
  no_cgroup_left
}

@test "cgroup (any layout): systemd slice:prefix:name is mapped to a cgroupfs path" {
  b=$(cell_bundle ".process.args = [\"sleep\", \"30\"] | .linux.cgroupsPath = \"$CELL_TEST_PREFIX.slice:cell:$ID\"")
  cellrt --debug create --bundle "$b" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1 </dev/null
  echo "$(<"$BATS_TEST_TMPDIR/out")"
  grep -q "mapped to /$CELL_TEST_PREFIX.slice/cell-$ID.scope" "$BATS_TEST_TMPDIR/out"
  if [ "$LAYOUT" = v2 ]; then
    [ -d "/sys/fs/cgroup/$CELL_TEST_PREFIX.slice/cell-$ID.scope" ]
  else
    [ -d "/sys/fs/cgroup/freezer/$CELL_TEST_PREFIX.slice/cell-$ID.scope" ]
  fi
  cellrt delete --force "$ID"
  no_cgroup_left
}

@test "cgroup: delete --force kills every process of the container" {
  b=$(bundle . sh -c 'sleep 100 & sleep 100 & sleep 100')
  start_detached "$b"
  pid=$(state_pid)
  sleep 0.3
  if [ "$LAYOUT" = v2 ]; then procs=$(cg cgroup.procs); else procs=$(cg cgroup.procs freezer); fi
  [ "$(wc -l <"$procs")" -ge 3 ]
  cellrt delete --force "$ID"
  # Gone, or a zombie waiting for whoever reaps orphans here.
  [ ! -e "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"
  no_cgroup_left
}

# Bad input: one line naming the key and value, non-zero exit, no cgroup and no state left.
bad_input() { # FILTER WANT
  b=$(bundle "$1" true)
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"$2"* ]]
  no_cgroup_left
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "cgroup: an unknown unified key is refused by name, nothing left behind" {
  bad_input '.linux.resources.unified = {"memory.nosuchfile": "1"}' 'memory.nosuchfile'
}

@test "cgroup: a cpuset outside the host's CPUs is refused by value, nothing left behind" {
  bad_input '.linux.resources.cpu = {"cpus": "4000", "shares": 100}' \
    'linux.resources.cpu.cpus: "4000"'
}

@test "cgroup (any layout): a weight out of range is refused, nothing left behind" {
  bad_input '.linux.resources.cpu.shares = 1' 'linux.resources.cpu.shares: 1'
  bad_input '.linux.resources.blockIO.weight = 5000' 'linux.resources.blockIO.weight: 5000'
}

@test "cgroup (slow): a device filter the kernel refuses is an error, nothing left behind" {
  [ "$LAYOUT" = v2 ] || skip "v1 takes device rules through devices.allow, not eBPF"
  # 130k rules of 8 instructions each: past the kernel's 1M-instruction limit. ~2 min in the lab
  # (TCG), so lab.filter leaves it out there; test-cgroup-host.c checks the same on cgroup2.
  b=$(bundle . true)
  /usr/bin/python3 - "$b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"].setdefault("resources", {})["devices"] = [{"allow": False, "access": "rwm"}] + [
    {"allow": True, "type": "c", "major": 7, "minor": i, "access": "r"} for i in range(130000)]
json.dump(c, open(sys.argv[1], "w"))
PY
  run cellrt run --bundle "$b" "$ID"
  echo "${output:0:500}"
  [ "$status" -ne 0 ]
  [[ "$output" == *linux.resources.devices* ]]
  no_cgroup_left
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "cgroup: pause freezes every process, resume thaws them" {
  "$CELLRT" --help 2>&1 | grep -qw pause || skip "cellrt has no pause verb yet"
  b=$(bundle . sleep 30)
  start_detached "$b"
  cellrt pause "$ID"
  pid=$(state_pid)
  if [ "$LAYOUT" = v2 ]; then
    grep -q '^frozen 1' "$(cg cgroup.events)"
  else
    [ "$(val "$(cg freezer.state freezer)")" = FROZEN ]
  fi
  state_is paused
  cellrt resume "$ID"
  state_is running
}

@test "cgroup: v2: io, hugetlb and unified keys are read back" {
  [ "$LAYOUT" = v2 ] || skip "cgroup v2 only (this host is $LAYOUT)"
  kb=$(ls /sys/kernel/mm/hugepages/ 2>/dev/null | sed -n 's/^hugepages-\([0-9]*\)kB$/\1/p' | head -1)
  case $kb in
  '') size= ;;
  *) if [ "$kb" -ge 1048576 ]; then size=$((kb / 1048576))GB; else size=$((kb / 1024))MB; fi ;;
  esac
  hugetlb=.
  if [ -n "$size" ] && grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers; then
    hugetlb=".linux.resources.hugepageLimits = [{\"pageSize\": \"$size\", \"limit\": 0}]"
  fi
  b=$(bundle ".linux.resources.unified = {\"memory.high\": \"50000000\"} | $hugetlb" sleep 30)
  start_detached "$b"
  [ "$(val "$(cg memory.high)")" = 49999872 ] || [ "$(val "$(cg memory.high)")" = 50000000 ]
  [ "$hugetlb" = . ] || [ "$(val "$(cg "hugetlb.$size.max")")" = 0 ]
  if [ -e "$(cg io.weight)" ] || [ -e "$(cg io.bfq.weight)" ]; then
    cellrt delete --force "$ID"
    b=$(bundle '.linux.resources.blockIO.weight = 500' sleep 30)
    start_detached "$b"
    if [ -e "$(cg io.weight)" ]; then
      grep -q 'default 4950' "$(cg io.weight)"
    else
      grep -q 'default 500' "$(cg io.bfq.weight)"
    fi
  fi
}

@test "cgroup: v2: the container manages its own subtree, not its own limits" {
  [ "$LAYOUT" = v2 ] || skip "cgroup v2 only (this host is $LAYOUT)"
  # A writable cgroup mount, as systemd inside a container needs. init moves out of the root
  # (no processes beside controllers), enables pids below and limits a child of its own.
  b=$(bundle '.linux.resources.pids = {"limit": 50} |
      (.mounts[] | select(.type == "cgroup") | .options) |= map(select(. != "ro"))' \
    sh -c 'cd /sys/fs/cgroup && mkdir init sub && echo $$ >init/cgroup.procs &&
           echo +pids >cgroup.subtree_control && echo 7 >sub/pids.max &&
           echo "sub pids.max $(cat sub/pids.max)"
           if (echo 1000 >pids.max) 2>/dev/null; then echo raised-own-limit; fi')
  start_detached "$b"
  wait_stopped
  echo "$(<"$BATS_TEST_TMPDIR/out")"
  grep -q "sub pids.max 7" "$BATS_TEST_TMPDIR/out"
  [ "$(val "$(cg sub/pids.max)")" = 7 ]
  [ "$(val "$(cg pids.max)")" = 50 ]
  # nsdelegate (the lab mounts cgroup2 with it) makes the namespace root's limits read-only.
  if grep -q ' /sys/fs/cgroup cgroup2 .*nsdelegate' /proc/self/mounts; then
    ! grep -q raised-own-limit "$BATS_TEST_TMPDIR/out"
  fi
  cellrt delete --force "$ID"
  no_cgroup_left
}
