#!/bin/bash
# run-suite.sh NAME DIR [LAB-OPTION]... - run the bats files of DIR inside one lab boot, as TAP (the
# meson suite 'lab'). DIR/lab.options, if present, adds lab.sh options (one line, e.g. --smp 2);
# DIR/lab.filter, a regular expression, keeps only the tests whose names match (bats --filter).
# When the lab cannot run here: a TAP skip with the reason, or a failure under CI (CELL_TEST_STRICT).
set -u
here=$(cd "$(dirname "$0")" && pwd)
name=${1:?usage: run-suite.sh NAME DIR [LAB-OPTION]...}
dir=${2:?usage: run-suite.sh NAME DIR [LAB-OPTION]...}
shift 2

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
echo "# $name in the lab: lab.sh ${opts[*]} -- bats --tap ${filter[*]} $dir" >&2
exec "$here/lab.sh" "${opts[@]}" -- "$bats" --tap "${filter[@]}" "$dir"
