#!/usr/bin/env bats
# cgroups-effects.bats - the kernel acting on cellrt's cgroup v2 limits: CPU shared by weight,
# cpusets, io.max, hugetlb, swap, memory.low protection, delegation and device rules. Most need
# the lab (cgroup2 only, its own kernel to reserve huge pages and swap on zram, a scratch disk,
# two vCPUs: its row in tests/lab/meson.build); no test asserts on time except io.max's lower
# bound (throttling can only make I/O slower).

load "$CELL_SOURCE_ROOT/tests/integration/lib"

load cgroups

teardown() {
  cg_teardown
  [ -n "${LOW_PARENT:-}" ] && rmdir "/sys/fs/cgroup/$LOW_PARENT" 2>/dev/null
  [ -n "${HUGEPAGES_SET:-}" ] && echo 0 >/proc/sys/vm/nr_hugepages
  [ -n "${IOCOST:-}" ] && echo "$IOCOST enable=0" >/sys/fs/cgroup/io.cost.qos
  if [ -n "${ZRAM:-}" ]; then
    swapoff "/dev/zram$ZRAM"
    echo "$ZRAM" >/sys/class/zram-control/hot_remove
  fi
  true
}

need_v2() {
  [ "$LAYOUT" = v2 ] || skip "cgroup v2 only (this host is $LAYOUT)"
}

# need_lab: the test changes kernel-wide settings (huge pages, swap), only in the lab's own kernel.
need_lab() {
  need_v2
  [ -n "${CELL_LAB:-}" ] || skip "changes kernel-wide settings: runs in the lab only"
}

# key FILE KEY: the value of KEY in a flat-keyed file (cpu.stat, memory.events...).
key() {
  local k v
  while read -r k v; do
    [ "$k" = "$2" ] && { echo "$v"; return 0; }
  done <"$1"
  echo 0
}

# wait_for CMD...: until CMD succeeds, at most ~120 s (a bound for a hung test, not a measurement).
wait_for() {
  local i
  for ((i = 0; i < 600; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  echo "never: $*" >&2
  return 1
}

at_least() { # FILE KEY VALUE: KEY in FILE (or the whole file) is at least VALUE
  local v
  if [ -n "$2" ]; then v=$(key "$1" "$2"); else v=$(<"$1"); fi
  [ "$v" -ge "$3" ]
}

# note TEXT: a measurement, in the test's output and as a TAP comment in the suite's log.
note() {
  echo "$*"
  echo "# $*" >&3
}

out_has() { grep -q "$1" "$BATS_TEST_TMPDIR/out"; }

# next_container: keep the current container for teardown and give the next one a fresh id.
next_container() {
  EXTRA_IDS+=("$ID")
  ID=$(cell_id)
}

# zram_swap SIZE: a swap device on zram for this test (removed by teardown).
zram_swap() {
  need mkswap
  need swapon
  modprobe zram 2>/dev/null
  [ -e /sys/class/zram-control/hot_add ] || cell_skip "the kernel has no zram"
  ZRAM=$(</sys/class/zram-control/hot_add)
  echo "$1" >"/sys/block/zram$ZRAM/disksize"
  mkswap "/dev/zram$ZRAM" >/dev/null
  swapon "/dev/zram$ZRAM"
}

# on_cpu PID CPU: the process is allowed only CPU and memory node 0, and last ran on CPU (field
# 39 of /proc/PID/stat), each of three looks.
on_cpu() {
  local i stat f
  grep -Eq "^Cpus_allowed_list:\s+$2\$" "/proc/$1/status"
  grep -Eq '^Mems_allowed_list:\s+0$' "/proc/$1/status"
  for i in 1 2 3; do
    stat=$(<"/proc/$1/stat")
    read -r -a f <<<"${stat##*) }"
    note "pid $1 on cpu ${f[36]}"
    [ "${f[36]}" = "$2" ]
    sleep 0.2
  done
}

@test "cgroup effect: cpu.weight divides a CPU by weight; cpuset.cpus/mems pin the containers" {
  need_v2
  last=$(($(nproc) - 1))
  [ "$last" -ge 1 ] || cell_skip "needs 2 CPUs (the lab row boots with --smp 2)"
  local busy=(sh -c 'grep _allowed_list /proc/self/status; while :; do :; done')
  # Weight 100 from shares 2598, weight 400 through unified; both pinned to the last CPU.
  start_detached "$(bundle ".linux.resources.cpu = {\"shares\": 2598, \"cpus\": \"$last\",
    \"mems\": \"0\"}" "${busy[@]}")"
  low=$ID
  lowpid=$(state_pid)
  next_container
  start_detached "$(bundle ".linux.resources.cpu = {\"cpus\": \"$last\", \"mems\": \"0\"} |
    .linux.resources.unified = {\"cpu.weight\": \"400\"}" "${busy[@]}")"
  [ "$(val "/sys/fs/cgroup/$low/cpu.weight")" = 100 ]
  [ "$(val "$(cg cpu.weight)")" = 400 ]
  [ "$(val "$(cg cpuset.cpus.effective)")" = "$last" ]
  a0=$(key "/sys/fs/cgroup/$low/cpu.stat" usage_usec)
  b0=$(key "$(cg cpu.stat)" usage_usec)
  sleep 2
  a1=$(key "/sys/fs/cgroup/$low/cpu.stat" usage_usec)
  b1=$(key "$(cg cpu.stat)" usage_usec)
  note "weight 100: +$((a1 - a0)) us, weight 400: +$((b1 - b0)) us"
  [ $((a1 - a0)) -gt 0 ]
  [ $((b1 - b0)) -gt $((2 * (a1 - a0))) ]
  # What the container sees of itself, and where the kernel ran both.
  wait_for out_has Mems_allowed_list
  cat "$BATS_TEST_TMPDIR/out"
  grep -Eq "^Cpus_allowed_list:\s+$last\$" "$BATS_TEST_TMPDIR/out"
  grep -Eq '^Mems_allowed_list:\s+0$' "$BATS_TEST_TMPDIR/out"
  on_cpu "$lowpid" "$last"
  on_cpu "$(state_pid)" "$last"
}

@test "cgroup effect (v1): cpuset.cpus and mems confine where the container runs" {
  [ "$LAYOUT" != v2 ] || skip "on cgroup v2 the cpu.weight test checks the cpuset"
  last=$(($(nproc) - 1))
  [ "$last" -ge 1 ] || cell_skip "needs 2 CPUs"
  start_detached "$(bundle ".linux.resources.cpu = {\"cpus\": \"$last\", \"mems\": \"0\"}" \
    sh -c 'grep _allowed_list /proc/self/status; while :; do :; done')"
  wait_for out_has Mems_allowed_list
  cat "$BATS_TEST_TMPDIR/out"
  grep -Eq "^Cpus_allowed_list:\s+$last\$" "$BATS_TEST_TMPDIR/out"
  grep -Eq '^Mems_allowed_list:\s+0$' "$BATS_TEST_TMPDIR/out"
  [ "$(val "$(cg cpuset.cpus cpuset)")" = "$last" ]
  on_cpu "$(state_pid)" "$last"
}

# disk_bundle FILTER ARGS...: a bundle with the lab's scratch disk as a device, allowed rw.
disk_bundle() {
  local filter=$1
  shift
  local d="\"major\": $MAJ, \"minor\": $MIN"
  bundle ".linux.devices = [{\"path\": \"$CELL_LAB_DISK\", \"type\": \"b\", $d, \"fileMode\": 432}] |
      .linux.resources.devices = [{\"allow\": true, \"type\": \"b\", $d, \"access\": \"rw\"}] |
      $filter" "$@"
}

@test "cgroup effect: io.max throttles reads by iops and writes by bandwidth" {
  need_v2
  [ -n "${CELL_LAB_DISK:-}" ] || skip "needs the lab's scratch disk (lab.sh --disk)"
  dev=$(<"/sys/block/${CELL_LAB_DISK#/dev/}/dev")
  MAJ=${dev%:*} MIN=${dev#*:}
  d="\"major\": $MAJ, \"minor\": $MIN"
  # 40 direct 4 KiB reads at 10/s take >= ~3.9 s, 2 MiB of direct writes at 1 MiB/s >= ~1.9 s;
  # unthrottled, both take well under a second in the lab.
  b=$(disk_bundle ".linux.resources.blockIO = {\"throttleReadIOPSDevice\": [{$d, \"rate\": 10}],
      \"throttleWriteBpsDevice\": [{$d, \"rate\": 1048576}]}" \
    sh -c 'read a x </proc/uptime
           dd if=/dev/vda of=/dev/null bs=4096 count=40 iflag=direct 2>/dev/null
           read b x </proc/uptime
           dd if=/dev/zero of=/dev/vda bs=65536 count=32 oflag=direct 2>/dev/null
           read c x </proc/uptime
           echo "io $a $b $c"; sleep 600')
  start_detached "$b"
  wait_for out_has '^io '
  cat "$BATS_TEST_TMPDIR/out"
  grep -q "^$dev .*wbps=1048576 riops=10" "$(cg io.max)"
  read -r _ a b c < <(grep '^io ' "$BATS_TEST_TMPDIR/out" | tr -d .)
  note "reads $((b - a))0 ms, writes $((c - b))0 ms"
  [ $((b - a)) -ge 250 ]
  [ $((c - b)) -ge 120 ]
  # The I/O was charged to this cgroup on that disk.
  line=$(grep "^$dev " "$(cg io.stat)")
  echo "$line"
  [[ $line =~ rios=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 40 ]
  [[ $line =~ wbytes=([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 2097152 ]
}

@test "cgroup effect: io.weight divides a disk by weight under io.cost" {
  need_lab
  [ -n "${CELL_LAB_DISK:-}" ] || cell_skip "needs the lab's scratch disk (lab.sh --disk)"
  dev=$(<"/sys/block/${CELL_LAB_DISK#/dev/}/dev")
  MAJ=${dev%:*} MIN=${dev#*:}
  [ -e /sys/fs/cgroup/io.cost.qos ] || cell_skip "the kernel has no io.cost"
  # io.cost with a fixed model of a slow disk (~4 MB/s) and vrate pinned at 100%: it divides
  # that capacity between active cgroups by io.weight. Teardown turns it off again.
  IOCOST=$dev
  echo "$dev ctrl=user model=linear rbps=4194304 rseqiops=1000 rrandiops=1000 wbps=4194304 wseqiops=1000 wrandiops=1000" >/sys/fs/cgroup/io.cost.model
  echo "$dev enable=1 ctrl=user rpct=0 rlat=0 wpct=0 wlat=0 min=100 max=100" >/sys/fs/cgroup/io.cost.qos
  local reader=(sh -c 'while :; do dd if=/dev/vda of=/dev/null bs=65536 count=64 iflag=direct 2>/dev/null; done')
  # blockIO.weight 100 and 400 are io.weight 910 and 3940.
  start_detached "$(disk_bundle '.linux.resources.blockIO.weight = 100' "${reader[@]}")"
  low=$ID
  next_container
  start_detached "$(disk_bundle '.linux.resources.blockIO.weight = 400' "${reader[@]}")"
  grep -q 'default 910' "/sys/fs/cgroup/$low/io.weight"
  grep -q 'default 3940' "$(cg io.weight)"
  rbytes() { [[ $(grep "^$dev " "/sys/fs/cgroup/$1/io.stat") =~ rbytes=([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }
  a0=$(rbytes "$low") b0=$(rbytes "$ID")
  sleep 3
  a1=$(rbytes "$low") b1=$(rbytes "$ID")
  note "io.weight 910: +$((a1 - a0)) bytes, io.weight 3940: +$((b1 - b0)) bytes"
  [ $((a1 - a0)) -gt 0 ]
  [ $((b1 - b0)) -gt $((2 * (a1 - a0))) ]
}

@test "cgroup effect: a hugetlb limit of 0 makes touching a huge page SIGBUS, a larger one not" {
  need_lab
  [ -x "${CELL_CG_HUGETLB:-}" ] || cell_skip "the cg-hugetlb helper is not built"
  [ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || cell_skip "no 2 MiB huge pages here"
  HUGEPAGES_SET=1
  echo 4 >/proc/sys/vm/nr_hugepages
  [ "$(</proc/sys/vm/nr_hugepages)" -ge 2 ] || cell_skip "could not reserve 2 huge pages"
  helper=".mounts += [{\"destination\": \"/home\", \"type\": \"bind\",
      \"source\": \"${CELL_CG_HUGETLB%/*}\", \"options\": [\"rbind\", \"ro\"]}]"
  start_detached "$(bundle "$helper | .linux.resources.hugepageLimits =
      [{\"pageSize\": \"2MB\", \"limit\": 0}]" sh -c '/home/cg-hugetlb 4; echo "exit $?"')"
  wait_stopped
  cat "$BATS_TEST_TMPDIR/out"
  out_has '^mapped'
  out_has '^exit 135' # 128 + SIGBUS
  [ "$(val "$(cg hugetlb.2MB.max)")" = 0 ]
  at_least "$(cg hugetlb.2MB.events)" max 1
  next_container
  start_detached "$(bundle "$helper | .linux.resources.hugepageLimits =
      [{\"pageSize\": \"2MB\", \"limit\": 4194304}]" sh -c '/home/cg-hugetlb 4; echo "exit $?"')"
  wait_stopped
  cat "$BATS_TEST_TMPDIR/out"
  out_has '^touched 2'
  out_has '^exit 0'
  [ "$(val "$(cg hugetlb.2MB.max)")" = 4194304 ]
}

@test "cgroup effect: memory.swap.max lets a process swap past memory.max, or OOM-kills it at 0" {
  need_lab
  zram_swap 256M
  # 48 MiB held by dd (blocked writing to a pipe nobody reads) under a 32 MiB limit, 64 MiB swap.
  start_detached "$(bundle '.linux.resources.memory = {"limit": 33554432, "swap": 100663296}' \
    sh -c 'dd if=/dev/zero bs=48M count=1 2>/dev/null | sleep 600')"
  [ "$(val "$(cg memory.swap.max)")" = 67108864 ]
  wait_for at_least "$(cg memory.swap.current)" "" 8388608
  note "swap.current $(val "$(cg memory.swap.current)"), memory.current $(val "$(cg memory.current)")"
  [ "$(key "$(cg memory.events)" oom_kill)" = 0 ]
  alive=
  for p in $(<"$(cg cgroup.procs)"); do
    [ "$(</proc/"$p"/comm)" = dd ] && alive=1
  done
  [ -n "$alive" ]
  next_container
  start_detached "$(bundle '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}' \
    sh -c 'dd if=/dev/zero of=/dev/null bs=48M count=1; echo "dd exit $?"')"
  wait_stopped
  cat "$BATS_TEST_TMPDIR/out"
  [ "$(val "$(cg memory.swap.max)")" = 0 ]
  out_has 'dd exit 137'
  at_least "$(cg memory.events)" oom_kill 1
  [ "$(val "$(cg memory.swap.current)")" = 0 ]
}

# charged DIR BYTES: the cgroup's memory, in RAM or swapped out, is at least BYTES.
charged() {
  [ $(($(<"$1/memory.current") + $(<"$1/memory.swap.current"))) -ge "$2" ]
}

# hold NAME MIB [FILTER]: a container in $LOW_PARENT whose dd holds MIB of anonymous memory.
hold() {
  next_container
  eval "$1=\$ID"
  start_detached "$(bundle ".linux.cgroupsPath = \"/$LOW_PARENT/$ID\" | ${3:-.}" \
    sh -c "dd if=/dev/zero bs=${2}M count=1 2>/dev/null | sleep 600")"
  wait_for charged "/sys/fs/cgroup/$LOW_PARENT/$ID" $(($2 << 20))
}

@test "cgroup effect: memory.low keeps a container's memory in RAM while its siblings are swapped" {
  need_lab
  zram_swap 256M
  # A (memory.low 32 MiB), B and C hold 20 MiB each in a parent with room for them; then the
  # parent's limit drops to 40 MiB, and the write itself reclaims ~22 MiB: from B and C, not A.
  LOW_PARENT=$CELL_TEST_PREFIX-low-$RANDOM
  p=/sys/fs/cgroup/$LOW_PARENT
  mkdir "$p"
  echo 100663296 >"$p/memory.max"
  hold A 20 '.linux.resources.memory = {"reservation": 33554432}'
  hold B 20
  hold C 20
  [ "$(val "$p/$A/memory.low")" = 33554432 ]
  echo 41943040 >"$p/memory.max"
  for c in "$A" "$B" "$C"; do
    note "$c: memory.current $(val "$p/$c/memory.current") swap.current $(val "$p/$c/memory.swap.current")"
    [ "$(key "$p/$c/memory.events" oom_kill)" = 0 ]
  done
  [ "$(val "$p/$A/memory.swap.current")" -le 262144 ]
  [ "$(val "$p/$A/memory.current")" -ge $((20 << 20)) ]
  [ "$(val "$p/$B/memory.swap.current")" -ge 4194304 ]
  [ "$(val "$p/$C/memory.swap.current")" -ge 4194304 ]
}

@test "cgroup effect: a delegated subtree's own limit refuses a fork, not its root's; kill-all reaches it" {
  need_v2
  # Inside, /sys/fs/cgroup is the container's own cgroup (cgroup namespace, writable mount).
  b=$(bundle '.linux.resources.pids = {"limit": 50} |
      (.mounts[] | select(.type == "cgroup") | .options) |= map(select(. != "ro"))' \
    sh -c 'cd /sys/fs/cgroup || exit 1
           echo "own pids.max $(cat pids.max)"
           if (echo 1000 >pids.max) 2>/dev/null; then echo raised-own-limit; fi
           mkdir init sub && echo $$ >init/cgroup.procs && echo +pids >cgroup.subtree_control ||
             exit 1
           sleep 600 &
           echo $! >sub/cgroup.procs && echo 1 >sub/pids.max || exit 1
           sh -c "echo \$\$ >/sys/fs/cgroup/sub/cgroup.procs; true & wait" 2>&1
           echo done; sleep 600')
  start_detached "$b"
  wait_for out_has '^done'
  cat "$BATS_TEST_TMPDIR/out"
  out_has 'own pids.max 50'
  out_has "can't fork"
  at_least "$(cg sub/pids.events)" max 1
  [ "$(val "$(cg sub/pids.max)")" = 1 ]
  [ "$(val "$(cg pids.max)")" = 50 ]
  # nsdelegate (the lab mounts cgroup2 with it) makes the namespace root's limits read-only.
  if grep -q ' /sys/fs/cgroup cgroup2 .*nsdelegate' /proc/self/mounts; then
    ! out_has raised-own-limit || false
  fi
  read -r sleeper <"$(cg sub/cgroup.procs)"
  [ -n "$sleeper" ]
  cellrt delete --force "$ID"
  # cgroup.kill took the process in the container's own child cgroup too.
  [ ! -e "/proc/$sleeper" ] || grep -q '^State:.*Z' "/proc/$sleeper/status"
  no_cgroup_left
}

# Rules r then w for one device add up to rw, as in v1 (the v2 eBPF filter must combine them).
@test "cgroup effect (any layout): device rules r then w allow a read-write open" {
  local caps='["CAP_MKNOD","CAP_SYSLOG","CAP_AUDIT_WRITE","CAP_KILL","CAP_NET_BIND_SERVICE"]'
  local r='{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}'
  local w='{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}'
  local script='mknod /dev/xkmsg c 1 11 || exit 9
    if (exec 3<>/dev/xkmsg) 2>/dev/null; then echo rw-ok; else echo rw-denied; fi
    if (exec 3</dev/xkmsg) 2>/dev/null; then echo r-ok; else echo r-denied; fi'
  for rules in "[$r, $w]" "[$r]"; do
    b=$(bundle ".process.capabilities = {\"bounding\": $caps, \"effective\": $caps,
        \"permitted\": $caps} | .linux.resources.devices =
        [{\"allow\": false, \"access\": \"rwm\"}] + $rules" sh -c "$script")
    run cellrt run --bundle "$b" "$ID"
    echo "$rules: $output"
    [ "$status" -eq 0 ]
    [[ $output == *r-ok* ]]
    if [ "$rules" = "[$r]" ]; then
      [[ $output == *rw-denied* ]]
    else
      [[ $output == *rw-ok* ]]
    fi
    next_container
  done
}
