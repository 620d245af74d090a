#!/bin/bash
# run-suite.sh NAME DIR FILES [LAB-OPTION]... - run bats files of DIR inside one lab boot, as TAP (the
# meson suite 'lab'). FILES is "all" or a comma-separated list of .bats names in DIR.
# DIR/lab.options, if present, adds lab.sh options (one line, e.g. --smp 2);
# DIR/lab.filter, a regular expression, keeps only the tests whose names match (bats --filter).
# When the lab cannot run here: a TAP skip with the reason, or a failure under CI (CELL_TEST_STRICT).
set -u
here=$(cd "$(dirname "$0")" && pwd)
usage="usage: run-suite.sh NAME DIR FILES [LAB-OPTION]..."
name=${1:?$usage}
dir=${2:?$usage}
files=${3:?$usage}
shift 3
targets=("$dir")
if [ "$files" != all ]; then
	targets=()
	IFS=, read -r -a names <<<"$files"
	for f in "${names[@]}"; do targets+=("$dir/$f"); done
fi

if ! why=$("$here/lab.sh" --check 2>&1); then
	if [ "${CELL_TEST_STRICT:-false}" = true ]; then
		printf '1..1\nnot ok 1 - %s: prerequisite missing under CI: %s\n' "$name" "$why"
		exit 1
	fi
	echo "1..0 # SKIP $name in the lab: $why"
	exit 0
fi
bats=$(command -v bats) || {
	printf '1..1\nnot ok 1 - %s: bats is not installed (scripts/setup.sh --test)\n' "$name"
	exit 1
}

opts=("$@")
if [ -f "$dir/lab.options" ]; then
	read -r -a extra <"$dir/lab.options"
	opts+=("${extra[@]}")
fi
filter=()
if [ -f "$dir/lab.filter" ]; then
	filter=(--filter "$(head -n 1 "$dir/lab.filter")")
fi
echo "# $name in the lab: lab.sh ${opts[*]} -- bats --tap ${filter[*]} ${targets[*]}" >&2
# A lab that froze (lab.sh exit 126: the emulator, not the tests) gets one more run. The TAP is
# held until a run ends, so that a frozen run's partial plan never reaches meson.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for attempt in 1 2; do
	"$here/lab.sh" "${opts[@]}" -- "$bats" --tap "${filter[@]}" "${targets[@]}" >"$out"
	rc=$?
	[ $rc = 126 ] && [ $attempt = 1 ] || break
	echo "# $name: the lab froze; what the frozen run printed:" >&2
	cat "$out" >&2
	echo "# $name: running the suite once more" >&2
done
cat "$out"
exit $rc
