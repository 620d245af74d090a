# runtime.bash - what every runtime suite does around its tests: a leak check over the whole file,
# a fresh container id per test, and that container gone after it. Load after lib.bash.

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
}

teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
}
