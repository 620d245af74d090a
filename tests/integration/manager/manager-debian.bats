#!/usr/bin/env bats
# manager-debian.bats - debian/12 built by celld with debootstrap (once per machine: the tree is
# cached in /var/cache/cell), and systemd as PID 1 reaching running/degraded, unprivileged and
# privileged. Slow the first time on a machine (debootstrap from Debian's archive).

load helpers

CACHE=/var/cache/cell/debootstrap-debian-12-v1.tar

setup_file() {
  need_root
  need debootstrap
  mgr_setup_file debian
}

teardown_file() {
  mgr_teardown_file
}

# wait_systemd NAME: poll until systemd inside says running or degraded (60 s at most); print it.
wait_systemd() {
  local st i
  for i in $(seq 120); do
    # --wait blocks until boot has finished; before that the bus may not be up yet.
    st=$(cell exec "$1" -- timeout 30 systemctl is-system-running --wait 2>/dev/null) || true
    case $st in
      running | degraded) echo "$st"; return 0 ;;
    esac
    sleep 0.5
  done
  echo "systemd in $1 did not come up: ${st:-no answer}" >&2
  cell exec "$1" -- systemctl --failed --no-pager >&2 || true
  return 1
}

@test "debian/12 is built once with progress shown, then cached with a fingerprint and an alias" {
  fresh=0
  [ -e "$CACHE" ] || fresh=1
  start=$(date +%s)
  run cell image build debian/12
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[-1]}" =~ ^debian/12:\ [0-9a-f]{64}$ ]]
  fp=${lines[-1]#debian/12: }
  if [ "$fresh" = 1 ]; then
    [[ "$output" == *"debootstrap: "*"Retrieving"* ]]
    echo "# debootstrap build and import: $(($(date +%s) - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)" >&3
  else
    [[ "$output" == *"importing $CACHE"* ]]
  fi
  [ -s "$CACHE" ]
  [ -d "$MGR_STATE/images/$fp/rootfs/lib/systemd" ]
  run cell image list
  [[ "$output" == *"debian/12"*"${fp:0:12}"*"Debian 12"* ]]
  # The second time it is there already: no build, no import, the same fingerprint.
  run cell image build debian/12
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "debian/12: $fp" ]
  [[ "$output" != *debootstrap* && "$output" != *importing* ]]
}

@test "an image celld cannot build is refused by name, and nothing is left behind" {
  before=$(ls "$MGR_STATE/images" | sort)
  run cell image build debian/99
  [ "$status" -ne 0 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *'"debian/99" is not an image celld can build (debian/12)'* ]]
  run cell launch debian/99 "$(cell_id)"
  [ "$status" -ne 0 ]
  [[ "$output" == *"debian/99"* ]]
  [ "$(ls "$MGR_STATE/images" | sort)" = "$before" ]
  [ -z "$(cell list --format csv)" ]
}

@test "launch debian/12: systemd is PID 1 in an unprivileged container and reaches running/degraded" {
  n=$(cell_id)
  start=$(date +%s%N)
  cell launch debian/12 "$n"
  st=$(wait_systemd "$n")
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "# unprivileged: launch until systemd is $st: $ms ms, load $(cut -d' ' -f1-3 /proc/loadavg)" >&3
  [ "$(cell exec "$n" -- cat /proc/1/comm)" = systemd ]
  # root inside is the instance's id range outside
  run cell exec "$n" -- cat /proc/self/uid_map
  [[ "$output" =~ ^\ +0\ +1000000\ +1000000000$ ]]
  # systemd has its own cgroup subtree: init.scope and system.slice below the container's root
  run cell exec "$n" -- cat /proc/1/cgroup
  [[ "$output" == *"name=systemd:/init.scope"* ]]
  [ "$(cell exec "$n" -- hostname)" = "$n" ]
  # A clean stop: systemd powers off on SIGRTMIN+3.
  cell stop "$n" --timeout 30
  run cell list --format csv
  [[ "$output" == *"$n,STOPPED"* || "$output" == *"$n,Stopped"* ]]
  cell start "$n"
  wait_systemd "$n"
  cell delete -f "$n"
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$n")" ]
}

@test "launch debian/12 with security.privileged=true: systemd reaches running/degraded" {
  n=$(cell_id)
  start=$(date +%s%N)
  cell launch debian/12 "$n" -c security.privileged=true
  st=$(wait_systemd "$n")
  ms=$((($(date +%s%N) - start) / 1000000))
  echo "# privileged: launch until systemd is $st: $ms ms, load $(cut -d' ' -f1-3 /proc/loadavg)" >&3
  [ "$(cell exec "$n" -- cat /proc/1/comm)" = systemd ]
  cell delete -f "$n"
  [ -z "$(find /sys/fs/cgroup -maxdepth 3 -name "$n")" ]
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
  MGR_STATE=
}
