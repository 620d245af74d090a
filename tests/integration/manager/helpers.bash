# helpers.bash - a private celld per suite (own socket, state dir, cgroup names) and `cell` on it.
load "$CELL_SOURCE_ROOT/tests/integration/lib"

CELLD=${CELLD:-$CELL_BUILD_ROOT/src/manager/celld}
CELL=${CELL:-$CELL_BUILD_ROOT/src/cli/cell}

# The runtime celld drives: $CELL_MANAGER_RUNTIME, else the built cellrt, else runc.
manager_runtime() {
  if [ -n "${CELL_MANAGER_RUNTIME:-}" ]; then
    echo "$CELL_MANAGER_RUNTIME"
  elif [ -x "$CELL_BUILD_ROOT/src/oci/cellrt" ]; then
    echo "$CELL_BUILD_ROOT/src/oci/cellrt"
  elif command -v runc >/dev/null; then
    command -v runc
  fi
}

# Everything of a suite lives under one directory whose name carries the run's prefix, so that
# lib.bash's leak check sees its mounts, and instance names carry it for the cgroups.
mgr_setup_file() {
  need_root
  export MGR_STATE=$CELL_TEST_ROOT/$CELL_TEST_PREFIX-celld-$1
  export CELL_SOCKET=$MGR_STATE/unix.socket
  export MGR_RUNTIME
  MGR_RUNTIME=$(manager_runtime)
  [ -n "$MGR_RUNTIME" ] || cell_skip "no runc-compatible runtime (cellrt or runc)"
  mkdir -p "$CELL_TEST_ROOT"
  leak_snapshot "$BATS_FILE_TMPDIR/leaks.before"
  # celld starts a cellfs for the instances' /proc views; the suite's own, inside its state.
  export CELL_VIEWFS_MOUNT=$MGR_STATE/viewfs
  celld_start
}

# The cellfs celld started outlives it (as on a host); the suite stops it.
cellfs_stop_mgr() {
  local pid
  pid=$(cat "$MGR_STATE/cellfs.pid" 2>/dev/null) || return 0
  kill -TERM "$pid" 2>/dev/null || true
  wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
}

celld_start() {
  "$CELLD" --state-dir "$MGR_STATE" --runtime "$MGR_RUNTIME" --image-dir "$CELL_IMAGE" \
    --cgroup-parent cell-test "$@" 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/celld.pid"
  local i
  for i in $(seq 100); do
    [ -S "$CELL_SOCKET" ] && CELL_TIMEOUT=5 "$CELL" list >/dev/null 2>&1 && return 0
    celld_alive || break
    sleep 0.05
  done
  echo "celld did not come up" >&2
  cat "$MGR_STATE/celld.log" >&2
  return 1
}

celld_pid() {
  cat "$BATS_FILE_TMPDIR/celld.pid" 2>/dev/null
}

# celld is running (not gone, not a zombie).
celld_alive() {
  local pid state
  pid=$(celld_pid)
  [ -n "$pid" ] && state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) && [ "$state" != Z ]
}

# wait_gone PID SECONDS: true once PID has been reaped, false if it is still there after SECONDS.
# (Not "a zombie": the leader of a killed celld is one while its other threads still finish their
# system calls, a mount among them.)
wait_gone() {
  local i
  for ((i = 0; i < $2 * 50; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.02
  done
  return 1
}

# Stop celld; one that does not stop within 15 s is killed (and reported), never waited on forever.
celld_stop() {
  local pid
  pid=$(celld_pid)
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait_gone "$pid" 15 && return 0
  echo "celld $pid did not stop within 15 s of SIGTERM; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 5
}

celld_kill9() {
  local pid
  pid=$(celld_pid)
  kill -KILL "$pid" 2>/dev/null || true
  wait_gone "$pid" 10
}

# Every test starts with celld up: one that died (crashed) fails the tests after it at once, with
# the end of its log, instead of leaving them to time out.
# A celld that stopped answering is found once (10 s) and remembered, so the tests after it fail
# at once too.
setup() {
  [ -n "${MGR_STATE:-}" ] || return 0
  local broken=$BATS_FILE_TMPDIR/celld.broken
  if [ ! -e "$broken" ]; then
    if ! celld_alive; then
      echo "it died" >"$broken"
    elif ! CELL_TIMEOUT=10 "$CELL" list >/dev/null 2>&1; then
      echo "it does not answer" >"$broken"
    else
      return 0
    fi
  fi
  echo "celld is broken ($(cat "$broken")) since an earlier test; the end of its log:" >&2
  tail -n 20 "$MGR_STATE/celld.log" >&2 2>/dev/null || true
  return 1
}

# Instances still running under the state dir (their monitors outlive celld): kill their inits,
# then wait for their monitors to clean up. Used when celld could not delete them.
mgr_kill_leftovers() {
  local f pid
  for f in "$MGR_STATE"/instances/*/run/init.pid; do
    [ -f "$f" ] && pid=$(cat "$f") && kill -KILL "$pid" 2>/dev/null || true
  done
  for f in "$MGR_STATE"/instances/*/run/monitor.pid; do
    [ -f "$f" ] && pid=$(cat "$f") && { wait_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true; }
  done
  for f in "$MGR_STATE"/instances/*/rootfs "$MGR_STATE"/instances/*/lower; do
    [ -d "$f" ] && umount -l "$f" 2>/dev/null || true
  done
}

# A celld that died: the end of its log goes to the test's output, and the whole log to
# $CELL_KEEP_LOGS when set (the state dir holding it is removed).
mgr_keep_log() {
  [ -f "$MGR_STATE/celld.log" ] || return 0
  tail -n 30 "$MGR_STATE/celld.log" >&2
  [ -z "${CELL_KEEP_LOGS:-}" ] || cp "$MGR_STATE/celld.log" "$CELL_KEEP_LOGS/celld-$CELL_TEST_PREFIX-$$.log"
}

# Remove every instance, stop celld, remove its state; then nothing of ours may be left. A celld
# that died is started again (it re-attaches to the instances) so that it can delete them.
mgr_teardown_file() {
  [ -n "${MGR_STATE:-}" ] || return 0
  [ -d "$MGR_STATE" ] || return 0
  if celld_alive && ! CELL_TIMEOUT=10 "$CELL" list >/dev/null 2>&1; then
    echo "celld does not answer at teardown; killing it" >&2
    celld_kill9
  fi
  if ! celld_alive; then
    echo "celld was not running at teardown; starting it to clean up" >&2
    mgr_keep_log
    celld_start || true
  fi
  local n
  for n in $(CELL_TIMEOUT=30 "$CELL" list --format csv 2>/dev/null | cut -d, -f1); do
    CELL_TIMEOUT=30 "$CELL" delete --force "$n" >/dev/null 2>&1 || true
  done
  celld_stop
  mgr_kill_leftovers
  cellfs_stop_mgr
  rm -rf "$MGR_STATE"
  for d in /sys/fs/cgroup/*/cell-test; do rmdir "$d" 2>/dev/null || true; done
}

# Bounded: a hung celld fails the test in CELL_TIMEOUT seconds (the client's own limit).
export CELL_TIMEOUT=${CELL_TIMEOUT:-60}

cell() {
  "$CELL" "$@"
}

# The database and the disk agree: each listed instance has its directory, and the reverse.
db_disk_agree() {
  local listed ondisk
  listed=$("$CELL" list --format csv | cut -d, -f1 | sort)
  ondisk=$(ls -1 "$MGR_STATE/instances" | sort)
  if [ "$listed" != "$ondisk" ]; then
    echo "database: [$listed] disk: [$ondisk]" >&2
    return 1
  fi
  local n
  for n in $ondisk; do
    [ -d "$MGR_STATE/instances/$n/upper" ] || { echo "$n has no upper layer" >&2; return 1; }
  done
}

# Deleted instances are moved to instances/.trash and removed there by celld in the background
# (celld_stop waits for that). trash_emptied [SECONDS]: true once the trash is empty (default 10 s).
trash_emptied() {
  local i
  for ((i = 0; i < ${1:-10} * 50; i++)); do
    [ -z "$(ls -A "$MGR_STATE/instances/.trash" 2>/dev/null)" ] && return 0
    sleep 0.02
  done
  echo "still in the trash: $(ls -A "$MGR_STATE/instances/.trash")" >&2
  return 1
}

# lib.bash's leak_state greps its own pgrep output, which can catch the `grep -F PREFIX` of the
# same pipeline; drop that line so the check fails only on our own leftovers.
mgr_leak_check() {
  local after
  after=$(leak_state | grep -v -e ' grep -F ' -e ' grep -v ' || true)
  local extra
  extra=$(comm -13 <(grep -v -e ' grep -F ' -e ' grep -v ' "$1") <(echo "$after") | sed '/^$/d' || true)
  if [ -n "$extra" ]; then
    echo "left behind:" >&2
    echo "$extra" >&2
    return 1
  fi
}
