#!/bin/sh
# build.sh [BUILDDIR [meson options...]] - configure once, then build.
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$dir/build.ninja" ]; then
  meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log" >&2; exit 1; }
  rm -f "$dir.setup.log"
fi
ninja -C "$dir" >/dev/null || ninja -C "$dir"
