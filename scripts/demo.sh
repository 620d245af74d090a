#!/bin/sh
# demo.sh - launch a container from the built-in busybox image: an interactive shell on a terminal,
# otherwise a short tour of what the container sees.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh build
cellrt=build/src/oci/cellrt
image=build/image/busybox
id="demo-$$"
bundle=$(mktemp -d /tmp/cell-demo.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
ln -s "$PWD/$image/rootfs" "$bundle/rootfs"
if [ -t 0 ] && [ -t 1 ]; then
  cp "$image/config.json" "$bundle/config.json"
  echo "cell: starting a shell in container $id (exit to leave)"
else
  jq '.process.terminal = false | .process.args = ["sh", "-c",
      "echo hello from $(hostname): pid $$; id; ps; cat /proc/self/cgroup | head -3"]' \
    "$image/config.json" >"$bundle/config.json"
fi
exec "$cellrt" run --bundle "$bundle" "$id"
