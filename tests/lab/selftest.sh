#!/bin/bash
# selftest.sh - the lab's own test (meson suite 'lab', TAP): boots the lab once with a scratch disk and
# a share, prints the guest's points, then checks from the host what only the host can see.
# Usage: selftest.sh KVM-PROBE (the built tests/lab/kvm-probe).
set -u
here=$(cd "$(dirname "$0")" && pwd)
LAB_KVM_PROBE=$(realpath -e "${1:?usage: selftest.sh KVM-PROBE}") || exit 1
export LAB_KVM_PROBE
lab=$here/lab.sh

if ! why=$("$lab" --check 2>&1); then
	if [ "${CELL_TEST_STRICT:-false}" = true ]; then
		echo "1..1"
		echo "not ok 1 - prerequisite missing under CI: $why"
		exit 1
	fi
	echo "1..0 # SKIP $why"
	exit 0
fi

tmp=$(mktemp -d /tmp/cell-lab-selftest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
token=$$-$RANDOM
mkdir "$tmp/share"
cd "$tmp" || exit 1

start=${EPOCHREALTIME/./}
LAB_SELFTEST_TOKEN=$token LAB_SELFTEST_SHARE=$tmp/share LAB_SELFTEST_CWD=$tmp \
	"$lab" --disk 64M --share "$tmp/share" --timeout 90 -- bash "$here/selftest-guest.sh" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
took=$(((${EPOCHREALTIME/./} - start) / 1000))

n=0
result() { # OK? DESCRIPTION [DIAGNOSTIC FILE]
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && sed 's/^/# /' "$3"
	fi
}
while IFS= read -r line; do
	case $line in
	"ok - "*) n=$((n + 1)); echo "ok $n ${line#ok }" ;;
	"not ok - "*) n=$((n + 1)); echo "not ok $n ${line#not ok }" ;;
	*) echo "$line" ;;
	esac
done <"$tmp/out"
echo "# boot + self-test took $took ms"

[ $rc = 42 ]; result $? "the command's exit status comes back (42, got $rc)" "$tmp/err"
grep -q "lab-selftest-stderr-$token" "$tmp/err"; result $? "stderr comes back"
[ "$(grep -c '^ok - \|^not ok - ' "$tmp/out")" -ge 10 ]; result $? "stdout comes back in full"
[ ! -e "/var/tmp/cell-lab-probe-$token" ]; result $? "writes to / stay inside the lab"
[ -f "$tmp/share/from-guest" ]; result $? "writes to a --share reach the host"
rundir=$(sed -n 's/^# run dir: //p' "$tmp/out")
[ -n "$rundir" ] && [ ! -e "$rundir" ]; result $? "the run directory is gone ($rundir)"

"$lab" --timeout 3 -- sleep 600 >/dev/null 2>"$tmp/tmo"
rc=$?
[ $rc = 124 ]; result $? "--timeout stops a lab that runs too long (exit 124, got $rc)" "$tmp/tmo"
# A frozen lab: QEMU stopped outright (SIGSTOP) once the command runs, so it uses no CPU at all.
CELL_LAB_FREEZE_SECONDS=10 "$lab" --timeout 120 -- sh -c 'echo running; exec sleep 600' \
	>"$tmp/frz.out" 2>"$tmp/frz" &
lab_pid=$!
for ((i = 0; i < 600; i++)); do
	grep -q running "$tmp/frz.out" 2>/dev/null && break
	sleep 0.1
done
q=$(pgrep -P "$(pgrep -P $lab_pid -x timeout)" -x qemu-system-x86)
[ -n "$q" ] && kill -STOP "$q"
start=$SECONDS
wait $lab_pid
rc=$?
[ $rc = 126 ] && [ $((SECONDS - start)) -lt 60 ] && grep -q "the lab froze" "$tmp/frz"
result $? "a lab whose QEMU uses no CPU ends early as frozen (exit 126, got $rc after $((SECONDS - start)) s)" "$tmp/frz"
"$lab" >/dev/null 2>&1
rc=$?
[ $rc = 2 ]; result $? "no command is a usage error (exit 2, got $rc)"
echo "1..$n"
