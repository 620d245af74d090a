#!/usr/bin/env bats
# manager-faults.bats - concurrency, celld killed with SIGKILL mid-operation, re-attach, autostart.

load helpers

setup_file() {
  mgr_setup_file faults
}

teardown_file() {
  mgr_teardown_file
}

@test "two clients changing one instance at once are serialized: every change lands" {
  n=$(cell_id)
  cell launch busybox "$n"
  for i in 1 2 3 4 5 6; do
    cell config set "$n" "environment.K$i=v$i" &
  done
  cell stop "$n" --force &
  wait
  run cell config show "$n"
  for i in 1 2 3 4 5 6; do
    [[ "$output" == *"environment.K$i: v$i"* ]]
  done
  run cell info "$n"
  [[ "$output" == *"Status: Stopped"* ]]
  cell delete "$n"
}

@test "instances keep running when celld stops, and celld re-attaches" {
  n=$(cell_id)
  cell launch busybox "$n"
  pid=$(cell info "$n" | awk '/^PID:/ {print $2}')
  celld_stop
  kill -0 "$pid"
  celld_start
  run cell info "$n"
  [[ "$output" == *"Status: Running"* ]]
  [[ "$output" == *"PID: $pid"* ]]
  run cell exec "$n" -- true
  [ "$status" -eq 0 ]
  # The monitor records how init ended even while celld is down.
  celld_stop
  kill -KILL "$pid"
  sleep 0.3
  celld_start
  run cell info "$n"
  [[ "$output" == *"Status: Stopped"* ]]
  [[ "$output" == *"Last stop: signaled 9"* ]]
  cell delete "$n"
}

@test "boot.autostart starts an instance when celld first runs after a host boot" {
  n=$(cell_id)
  m=$(cell_id)
  cell launch busybox "$n" -c boot.autostart=true
  cell launch busybox "$m"
  celld_stop
  kill -KILL "$(cat "$MGR_STATE/instances/$n/run/init.pid")" "$(cat "$MGR_STATE/instances/$m/run/init.pid")"
  sleep 0.3
  # A different boot id is what celld takes as "the host booted".
  echo 00000000-0000-0000-0000-000000000000 >"$MGR_STATE/boot_id"
  celld_start
  run cell list --format csv
  [[ "$output" == *"$n,Running"* ]]
  [[ "$output" == *"$m,Stopped"* ]]
  cell delete -f "$n" "$m"
}

# celld_threads / celld_fds: what celld holds now (its HTTP and operation threads end with them).
celld_threads() { awk '/^Threads:/ {print $2}' "/proc/$(celld_pid)/status"; }
celld_fds() { ls "/proc/$(celld_pid)/fd" | wc -l; }

# settled MAX CMD: true once CMD prints a number <= MAX (within 5 s).
settled() {
  local max=$1 i
  shift
  for i in $(seq 100); do
    [ "$("$@")" -le "$max" ] && return 0
    sleep 0.05
  done
  echo "$* is $("$@"), expected at most $max" >&2
  return 1
}

# kill9_during CMD...: run a cell command in the background, SIGKILL celld while it works,
# restart celld, and check that the database and the disk agree.
kill9_during() {
  local delay=$1
  shift
  "$CELL" "$@" >/dev/null 2>&1 &
  local cpid=$!
  sleep "$delay"
  celld_kill9
  wait "$cpid" || true
  celld_start
  db_disk_agree
}

@test "celld killed with SIGKILL in the middle of launch: database and disk agree after restart" {
  for d in 0.01 0.03 0.06 0.1 0.15; do
    n=$(cell_id)
    kill9_during "$d" launch busybox "$n"
    cell delete -f "$n" 2>/dev/null || true
  done
  db_disk_agree
}

@test "celld killed with SIGKILL in the middle of copy: no orphan rootfs, no instance without one" {
  n=$(cell_id)
  cell launch busybox "$n"
  # A big upper layer makes the copy slow enough to be interrupted.
  cell exec "$n" -- sh -c 'for i in $(seq 2000); do echo $i > /root/f$i; done'
  cell stop -f "$n"
  for d in 0.02 0.05 0.1; do
    kill9_during "$d" copy "$n" "$n-c"
    cell delete -f "$n-c" 2>/dev/null || true
  done
  db_disk_agree
  cell delete -f "$n"
}

@test "celld killed with SIGKILL in the middle of delete: the delete is finished at restart" {
  for d in 0.005 0.02 0.05; do
    n=$(cell_id)
    cell launch busybox "$n"
    cell exec "$n" -- sh -c 'for i in $(seq 1000); do echo $i > /root/f$i; done'
    cell stop -f "$n"
    kill9_during "$d" delete "$n"
    run cell info "$n"
    # Either the delete had not begun (still there, whole) or it is finished.
    if [ "$status" -eq 0 ]; then cell delete -f "$n"; fi
    [ ! -e "$MGR_STATE/instances/$n" ]
  done
  db_disk_agree
}

@test "celld killed with SIGKILL while it removes deleted instances: finished at restart" {
  for i in 1 2; do
    n=$(cell_id)
    cell launch busybox "$n"
    cell exec "$n" -- sh -c 'for i in $(seq 3000); do echo $i > /root/f$i; done'
    cell delete -f "$n"
    # The answer came before the layers were removed; kill celld while it may still remove them.
    celld_kill9
    [ ! -e "$MGR_STATE/instances/$n" ]
    celld_start
    trash_emptied
    db_disk_agree
  done
  # A teardown cut short at any point: a trash entry whose root is still mounted and whose
  # snapshots were moved too. celld empties it at start.
  t=$MGR_STATE/instances/.trash/$(cell_id).1
  mkdir -p "$t.instance/rootfs" "$t.instance/upper/root" "$t.snapshots/s1"
  mount -t tmpfs "$(cell_id)" "$t.instance/rootfs"
  touch "$t.instance/rootfs/x" "$t.instance/upper/root/y" "$t.snapshots/s1/z"
  celld_kill9
  celld_start
  trash_emptied
  ! grep -q "$t" /proc/self/mountinfo
  db_disk_agree
}

@test "100 instances launched concurrently through the API: none lost, nothing leaked" {
  base=$(cell_id)
  # One launch first: celld opens its idmap user namespace once, at the first one.
  cell launch busybox "$base-0" >/dev/null
  cell delete -f "$base-0"
  threads0=$(celld_threads)
  fds0=$(celld_fds)
  names=()
  pids=()
  for i in $(seq 100); do
    names+=("$base-$i")
    cell launch busybox "$base-$i" >/dev/null &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  [ "$failed" -eq 0 ]
  run cell list --format csv
  [ "$(grep -c "^$base-[0-9]*,Running," <<<"$output")" -eq 100 ]
  [ "$(ls "$MGR_STATE/instances" | grep -c "^$base-")" -eq 100 ]
  cell delete -f "${names[@]}"
  db_disk_agree
  [ -z "$(ls "$MGR_STATE/instances" | grep "^$base-" || true)" ]
  ! grep -q "$MGR_STATE/instances/$base-" /proc/self/mountinfo
  [ -z "$(find /sys/fs/cgroup/*/cell-test -maxdepth 1 -name "$base-*" 2>/dev/null)" ]
  settled "$threads0" celld_threads
  settled "$fds0" celld_fds
}

# Regression: copies, launches and execs (over WebSockets) side by side with clients listing and
# waiting on operations once crashed celld (a stream's reader thread outlived its socket and
# read the next connection given that descriptor) or left requests hanging.
@test "concurrent copies, launches, execs and operation waits: celld survives, nothing lost or leaked" {
  need curl
  b=$(cell_id)
  cell launch busybox "$b"
  cell exec "$b" -- sh -c 'echo base >/root/f'
  threads0=$(celld_threads)
  fds0=$(celld_fds)
  pids=()
  for i in 1 2 3 4 5; do
    cell copy "$b" "$b-c$i" 2>/dev/null &
    pids+=($!)
    cell launch busybox "$b-l$i" >/dev/null &
    pids+=($!)
  done
  for i in $(seq 12); do
    cell exec "$b" -- cat /root/f >"$BATS_TEST_TMPDIR/out.$i" &
    pids+=($!)
  done
  for i in $(seq 8); do
    (
      for op in $(curl -sf --max-time 20 --unix-socket "$CELL_SOCKET" http://c/1.0/operations |
        jq -r '.metadata.running[]?'); do
        curl -sf --max-time 20 --unix-socket "$CELL_SOCKET" "http://c$op/wait?timeout=10" >/dev/null
      done
      curl -sf --max-time 20 --unix-socket "$CELL_SOCKET" 'http://c/1.0/operations?recursion=1' >/dev/null
      curl -sf --max-time 20 --unix-socket "$CELL_SOCKET" 'http://c/1.0/instances?recursion=1' >/dev/null
    ) &
    pids+=($!)
  done
  failed=0
  for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
  celld_alive
  [ "$failed" -eq 0 ]
  for i in $(seq 12); do [ "$(cat "$BATS_TEST_TMPDIR/out.$i")" = base ]; done
  run cell list --format csv
  for i in 1 2 3 4 5; do
    [[ "$output" == *"$b-c$i,Stopped"* ]]
    [[ "$output" == *"$b-l$i,Running"* ]]
  done
  cell start "$b-c1" "$b-c2"
  [ "$(cell exec "$b-c1" -- cat /root/f)" = base ]
  [ "$(cell exec "$b-c2" -- cat /root/f)" = base ]
  cell delete -f "$b" "$b"-c{1,2,3,4,5} "$b"-l{1,2,3,4,5}
  db_disk_agree
  # Every exec session, stream and operation thread is gone, and so are their descriptors.
  settled "$threads0" celld_threads
  settled "$fds0" celld_fds
}

# Regression: libmicrohttpd frees the handles of upgraded connections when celld stops, while
# exec streams whose command still runs hold them; the stream ending after that used the freed
# handle (SEGV in MHD_upgrade_action, found by a stress run under ASan). celld runs in this test's
# own shell here, so that its exit status can be seen.
@test "celld stopping while exec streams are open exits cleanly" {
  n=$(cell_id)
  cell launch busybox "$n"
  celld_stop
  local pid rc=0
  ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$CELLD" --state-dir "$MGR_STATE" \
    --runtime "$MGR_RUNTIME" --image-dir "$CELL_IMAGE" --cgroup-parent cell-test \
    3>&- 2>"$BATS_TEST_TMPDIR/celld.err" &
  pid=$!
  for i in $(seq 100); do
    CELL_TIMEOUT=5 "$CELL" list >/dev/null 2>&1 && break
    sleep 0.05
  done
  pids=()
  for i in 1 2 3 4; do
    "$CELL" exec "$n" -- sleep 2 >/dev/null 2>&1 &
    pids+=($!)
  done
  sleep 0.5
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  for p in "${pids[@]}"; do wait "$p" || true; done
  cat "$BATS_TEST_TMPDIR/celld.err" >&2
  [ "$rc" -eq 0 ]
  celld_start
  cell delete -f "$n"
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
