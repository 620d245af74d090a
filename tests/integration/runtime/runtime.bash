# runtime.bash - what every runtime suite does around its tests: a leak check over the whole file,
# a fresh container id per test, and that container gone after it. Load after lib.bash.

setup_file() {
  leak_snapshot
}

teardown_file() {
  leak_check
}

# What every test needs: root, jq, a built cellrt, and its own container id. Suites with more to
# set up define setup() and call this first.
runtime_setup() {
  need_root
  need jq
  [ -x "$CELLRT" ] || cell_skip "cellrt is not built"
  ID=$(cell_id)
}

setup() {
  runtime_setup
}

teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
}

# status_of ID: the status `cellrt state` reports for ID.
status_of() {
  cellrt state "$1" | jq -r .status
}

# refused TEXT CMD...: fails with exactly one line "cellrt: ...TEXT...", and nothing is left.
refused() {
  local want=$1
  shift
  run "$@"
  echo "status=$status output=$output"
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == "cellrt: "* ]]
  [[ "$output" == *"$want"* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
  [ -z "$(find /sys/fs/cgroup -maxdepth 4 -type d -name "$ID" 2>/dev/null)" ]
  ! grep -qF -e "$ID" -e "$BATS_TEST_TMPDIR" /proc/self/mountinfo
  ! pgrep -f "$ID" >/dev/null
}
