#!/bin/bash
# test.sh - build (plain, ASan+UBSan, fuzzers) and run every suite; ends with 'N passed, N failed'.
# Host suites first, then the lab suites, never side by side (they share two cores).
set -u
cd "$(dirname "$0")/.."
export CELL_TEST_STRICT=${CI:-false}
logs=()
status=0

run_suites() { # BUILDDIR LOGNAME SUITE...
  local dir=$1 name=$2
  shift 2
  local args=()
  for s in "$@"; do args+=(--suite "$s"); done
  meson test -C "$dir" --no-rebuild --print-errorlogs --logbase "$name" "${args[@]}" \
    >"$dir/meson-logs/$name.out" 2>&1 || status=1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir/meson-logs/$name.out" || cat "$dir/meson-logs/$name.out"
  [ -f "$dir/meson-logs/$name.json" ] && logs+=("$dir/meson-logs/$name.json")
}

scripts/build.sh build || exit 1
scripts/build.sh build-asan -Db_sanitize=address,undefined -Db_lundef=false || exit 1
fuzz=false
if command -v clang >/dev/null; then
  CC=clang scripts/build.sh build-fuzz -Dfuzz=true -Dtests=true || exit 1
  fuzz=true
fi

echo "== host suites"
run_suites build host unit integration style
echo "== host suites under ASan+UBSan"
run_suites build-asan asan unit integration
if $fuzz; then
  echo "== fuzzers (bounded)"
  run_suites build-fuzz fuzz fuzz
fi
echo "== lab suites"
run_suites build lab lab

python3 tests/summary.py "${logs[@]}"
summary=$?
[ $summary -ne 0 ] && status=1
exit $status
