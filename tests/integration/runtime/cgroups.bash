# cgroups.bash - what the cgroup suites share: the host's layout, the container's cgroup files, a
# bundle in cgroup /$ID, start and wait helpers. Load after lib.bash.

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
  EXTRA_IDS=()
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
  cg_teardown
}

# cg_teardown: delete the test's containers ($ID and any in EXTRA_IDS) and a systemd-form slice.
cg_teardown() {
  local i
  for i in ${ID:-} "${EXTRA_IDS[@]}"; do
    [ -n "$i" ] && cellrt delete --force "$i" >/dev/null 2>&1
  done
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
