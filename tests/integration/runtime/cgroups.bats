#!/usr/bin/env bats
# cgroups.bats - cellrt's cgroup limits, read back from the kernel and seen taking effect, on
# whatever the host mounts: v1, hybrid (v1 + an empty cgroup2) or v2 (the lab).

load "$CELL_SOURCE_ROOT/tests/integration/lib"

load cgroups

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
  # On v2, cgroups-effects.bats kills a container with a process in its own child cgroup too.
  [ "$LAYOUT" != v2 ] || skip "cgroup v2: the delegation effect test covers kill-all"
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
  # Refused while parsing, before any cgroup is touched: the host's run covers it.
  [ -z "${CELL_LAB:-}" ] || skip "layout-independent: runs on the host"
  bad_input '.linux.resources.cpu.shares = 1' 'linux.resources.cpu.shares: 1'
  bad_input '.linux.resources.blockIO.weight = 5000' 'linux.resources.blockIO.weight: 5000'
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
