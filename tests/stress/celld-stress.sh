#!/bin/bash
# celld-stress.sh - hammer a private celld with concurrent execs (WebSocket streams), clients killed
# mid-request, launches, copies and operation waits; report whether it survived. A diagnostic for
# issue 9 (intermittent celld crash), not part of any suite: run it by hand, as root.
#   tests/stress/celld-stress.sh BUILD_DIR [SECONDS]   (ONLYWS=1: only exec traffic; NORAW=1: no raw
#   WebSocket clients; NOWS=1: no killed/raw exec clients; NOWAIT=1: no
#   operation waits). Cores land in the current directory.
set -u
B=$(realpath "$1")
T=${2:-60}
IMG=${CELL_IMAGE:-$B/image/busybox}
[ -d "$IMG" ] || IMG=$(dirname "$B")/build/image/busybox
ST=/run/cell-test/stress-$$
P=mgs$$
ERR=$PWD/celld-stress-$$.err
C=$B/src/cli/cell
mkdir -p "$ST"
ulimit -c unlimited
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export CELL_SOCKET=$ST/unix.socket CELL_VIEWFS_MOUNT=$ST/viewfs CELL_TIMEOUT=30
"$B/src/manager/celld" --state-dir "$ST" --runtime "$B/src/oci/cellrt" --image-dir "$IMG" \
  --cgroup-parent cell-test 3>&- 2>"$ERR" &
CP=$!
echo "celld $CP, state $ST, stderr $ERR"
for i in $(seq 100); do "$C" list >/dev/null 2>&1 && break; sleep 0.1; done
"$C" launch busybox "$P-b" >/dev/null || echo "launch failed"
end=$((SECONDS + T))
n=0
curlu() { curl -s --unix-socket "$CELL_SOCKET" "$@"; }
while [ $SECONDS -lt $end ] && kill -0 $CP 2>/dev/null; do
  n=$((n + 1))
  for i in $(seq 10); do
    { [ "$("$C" exec "$P-b" -- echo ok 2>/dev/null)" = ok ] || echo x >>"$ERR.failed"; } &
  done
  [ -n "${NOWS:-}" ] || for i in $(seq 6); do
    timeout -s KILL 0.$((RANDOM % 3 + 1)) "$C" exec "$P-b" -- sh -c 'echo x; sleep 1' >/dev/null 2>&1 &
  done
  [ -n "${NOWS:-}${NORAW:-}" ] || for i in $(seq 3); do
    set -- $(curlu --max-time 2 -X POST -d '{"command":["true"],"wait-for-websocket":true}' \
      "http://c/1.0/instances/$P-b/exec" | jq -r '.operation + " " + .metadata.metadata.fds["0"]')
    timeout -s KILL 0.05 curl -s -N --unix-socket "$CELL_SOCKET" -H 'Connection: Upgrade' \
      -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
      -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "http://c${1:-/x}/websocket?secret=${2:-}" \
      >/dev/null 2>&1 &
  done
  if [ -z "${ONLYWS:-}" ]; then
    for i in $(seq 6); do curlu --max-time 0.05 'http://c/1.0/instances?recursion=1' >/dev/null & done
    for i in $(seq 3); do
      curlu --max-time 0.05 -X POST -d '{"command":["true"],"wait-for-websocket":true}' \
        "http://c/1.0/instances/$P-b/exec" >/dev/null &
    done
    "$C" launch busybox "$P-l$n" >/dev/null 2>&1 &
    "$C" copy "$P-b" "$P-c$n" >/dev/null 2>&1 &
  fi
  [ -n "${NOWAIT:-}" ] ||
  for op in $(curlu -f --max-time 5 http://c/1.0/operations | jq -r '.metadata.running[]?'); do
    curlu --max-time 0.$((RANDOM % 5 + 1)) "http://c$op/wait?timeout=10" >/dev/null &
  done
  for j in $(jobs -p); do [ "$j" = $CP ] || wait "$j" 2>/dev/null; done
  [ -n "${ONLYWS:-}" ] || "$C" delete -f "$P-l$n" "$P-c$n" >/dev/null 2>&1
done 2>/dev/null
if kill -0 $CP 2>/dev/null; then
  echo "celld alive after $n rounds; $(cat "$ERR.failed" 2>/dev/null | wc -l) of $((n * 10)) plain execs failed"
  rc=0
else
  wait $CP
  echo "CELLD DIED after $n rounds (status $?); see $ERR and a core in $PWD"
  rc=1
  "$B/src/manager/celld" --state-dir "$ST" --runtime "$B/src/oci/cellrt" --image-dir "$IMG" \
    --cgroup-parent cell-test 3>&- 2>>"$ERR" &
  CP=$!
  for i in $(seq 100); do "$C" list >/dev/null 2>&1 && break; sleep 0.1; done
fi
for x in $("$C" list --format csv | cut -d, -f1); do "$C" delete -f "$x" >/dev/null; done
kill -TERM $CP
wait $CP
kill "$(cat "$ST/cellfs.pid")" 2>/dev/null
sleep 0.5
umount -l "$ST/viewfs" 2>/dev/null
rm -rf "$ST"
exit $rc
