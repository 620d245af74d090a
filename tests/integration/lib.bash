# lib.bash - shared helpers for the bats suites. Load with: load "$CELL_SOURCE_ROOT/tests/integration/lib"

: "${CELL_BUILD_ROOT:?run through meson test}"
CELLRT=${CELLRT:-$CELL_BUILD_ROOT/src/oci/cellrt}
CELL_IMAGE=${CELL_IMAGE:-$CELL_BUILD_ROOT/image/busybox}
# Tests keep their own state root, so they never see or touch a user's containers.
CELL_TEST_ROOT=${CELL_TEST_ROOT:-/run/cell-test}

# need CMD [why]: skip (or fail under CI, where every peer must be present) when CMD is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  cell_skip "${2:-$1 is not installed (scripts/setup.sh --test installs it)}"
}

# cell_skip REASON: skip with a printed reason; under CI a missing prerequisite is a failure.
cell_skip() {
  if [ "${CELL_TEST_STRICT:-false}" = true ]; then
    echo "prerequisite missing under CI: $1" >&2
    return 1
  fi
  skip "$1"
}

need_root() {
  [ "$(id -u)" = 0 ] || cell_skip "needs root"
}

# Every object a suite makes carries this run's prefix, so that its leak check sees only its own.
CELL_TEST_PREFIX=${CELL_TEST_PREFIX:-t$(basename "${BATS_RUN_TMPDIR:-/tmp/bats-run-$$}" | tr -dc 0-9a-zA-Z | tail -c 6)}

# cell_id: a container id unique to this test run.
cell_id() {
  echo "$CELL_TEST_PREFIX-${BATS_TEST_NUMBER:-0}-$RANDOM"
}

# cell_bundle [jq-filter]: a fresh bundle around the built-in rootfs in $BATS_TEST_TMPDIR/bundle,
# config.json = the image's config, terminal off, then the filter. Prints the bundle path.
cell_bundle() {
  local filter=${1:-.}
  local b=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$b"
  [ -e "$b/rootfs" ] || ln -s "$CELL_IMAGE/rootfs" "$b/rootfs"
  jq ".process.terminal = false | $filter" "$CELL_IMAGE/config.json" >"$b/config.json"
  echo "$b"
}

cellrt() {
  "$CELLRT" --root "$CELL_TEST_ROOT" "$@"
}

# leak_snapshot / leak_check: what a suite leaves behind must be exactly nothing new.
leak_state() {
  {
    awk '{print $5}' /proc/self/mountinfo
    find /sys/fs/cgroup -maxdepth 4 -type d -name "*$CELL_TEST_PREFIX*" 2>/dev/null
    ls -1 "$CELL_TEST_ROOT" 2>/dev/null
    ip -o link show 2>/dev/null | awk -F': ' '{print $2}'
    pgrep -af "$CELL_TEST_PREFIX" 2>/dev/null | grep -v -e bats -e pgrep -e 'grep -F'
  } | grep -F "$CELL_TEST_PREFIX" | sort
}

leak_snapshot() {
  leak_state >"${1:-$BATS_FILE_TMPDIR/leaks.before}"
}

leak_check() {
  local before=${1:-$BATS_FILE_TMPDIR/leaks.before}
  local after
  after=$(mktemp)
  leak_state >"$after"
  local extra
  extra=$(comm -13 "$before" "$after")
  rm -f "$after"
  if [ -n "$extra" ]; then
    echo "left behind:" >&2
    echo "$extra" >&2
    return 1
  fi
}
