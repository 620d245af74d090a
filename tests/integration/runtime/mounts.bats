#!/usr/bin/env bats
# mounts.bats - rootfs, mounts and their options, devices, masked/read-only paths and propagation,
# as mountinfo and file operations show them from inside; symlinks cannot lead mounts out.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

# own_rootfs: a private, writable copy of the image's rootfs in the bundle (cheap: busybox + links)
own_rootfs() {
  local b=$1
  rm -f "$b/rootfs"
  cp -a "$CELL_IMAGE/rootfs" "$b/rootfs"
}

@test "the default mounts are there with their options" {
  b=$(cell_bundle '.process.args = ["cat", "/proc/self/mountinfo"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  echo "$output" | awk '$5 == "/"' | grep -E ' / ro[, ].* - ' >/dev/null
  echo "$output" | grep -E ' /proc rw.* - proc ' >/dev/null
  echo "$output" | grep -E ' /dev rw,nosuid.* - tmpfs tmpfs rw.*size=65536k' >/dev/null
  echo "$output" | grep -E ' /dev/pts rw,nosuid,noexec.* - devpts .*ptmxmode=666' >/dev/null
  echo "$output" | grep -E ' /dev/shm rw,nosuid,nodev,noexec.* - tmpfs shm ' >/dev/null
  echo "$output" | grep -E ' /dev/mqueue .* - mqueue ' >/dev/null
  echo "$output" | grep -E ' /sys ro,nosuid,nodev,noexec.* - sysfs ' >/dev/null
  # v1 and hybrid hosts get a tmpfs of hierarchies, a cgroup2-only host a cgroup2 mount
  if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
    echo "$output" | grep -E ' /sys/fs/cgroup ro,.* - cgroup2 ' >/dev/null
  else
    echo "$output" | grep -E ' /sys/fs/cgroup ro,.* - tmpfs ' >/dev/null
  fi
}

@test "a read-only rootfs refuses a write; readonly false allows it" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "touch /x 2>&1; echo rc=$?"]')
  own_rootfs "$b"
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$output" == *"rc=1"* ]]
  jq '.root.readonly = false' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == "rc=0" ]]
  [ -e "$b/rootfs/x" ]
}

@test "bind mounts: ro, nosuid, noexec, nodev and rbind take effect" {
  mkdir -p "$BATS_TEST_TMPDIR/src/sub"
  echo data >"$BATS_TEST_TMPDIR/src/file"
  mount -t tmpfs "$CELL_TEST_PREFIX-sub" "$BATS_TEST_TMPDIR/src/sub"
  echo inner >"$BATS_TEST_TMPDIR/src/sub/f"
  b=$(cell_bundle ".mounts += [{\"destination\": \"/mnt/ro\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"rbind\", \"ro\", \"nosuid\", \"noexec\", \"nodev\"]}, {\"destination\": \"/mnt/rw\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}] | .process.args = [\"sh\", \"-c\", \"cat /mnt/ro/file; cat /mnt/ro/sub/f; touch /mnt/ro/y 2>&1; grep -E ' /mnt/(ro|rw) ' /proc/self/mountinfo; ls /mnt/rw/sub\"]")
  run cellrt run --bundle "$b" "$ID"
  umount "$BATS_TEST_TMPDIR/src/sub"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = data ]
  [ "${lines[1]}" = inner ]
  [[ "${lines[2]}" == *"Read-only file system"* ]]
  [[ "$output" == *" /mnt/ro ro,nosuid,nodev,noexec"* ]]
  [[ "$output" == *" /mnt/rw rw"* ]]
  # plain bind is not recursive: the submount is not there
  [[ "${lines[-1]}" != f ]]
}

@test "tmpfs options: size and mode" {
  b=$(cell_bundle '.mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=700", "noexec"]}] | .process.args = ["sh", "-c", "grep \" /scratch \" /proc/self/mountinfo; stat -c %a /scratch"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"noexec"*"size=1024k"*"mode=700"* ]]
  [ "${lines[1]}" = 700 ]
}

@test "mount propagation flags are set as asked (shared, slave, private)" {
  b=$(cell_bundle '.mounts += [{"destination": "/p1", "type": "tmpfs", "source": "tmpfs", "options": ["rshared"]}, {"destination": "/p2", "type": "tmpfs", "source": "tmpfs", "options": ["private"]}] | .process.args = ["cat", "/proc/self/mountinfo"]')
  run cellrt run --bundle "$b" "$ID"
  echo "$output" | grep ' /p1 ' | grep -q 'shared:'
  ! echo "$output" | grep ' /p2 ' | grep -qE 'shared:|master:'
}

@test "rootfsPropagation shows on the root in mountinfo" {
  for p in shared private slave; do
    b=$(cell_bundle ".linux.rootfsPropagation = \"$p\" | .process.args = [\"cat\", \"/proc/self/mountinfo\"]")
    run cellrt run --bundle "$b" "$ID"
    [ "$status" -eq 0 ]
    output=$(echo "$output" | awk '$5 == "/"')
    case $p in
    shared) [[ "$output" == *"shared:"* ]] ;;
    private) [[ "$output" != *"shared:"* && "$output" != *"master:"* ]] ;;
    slave) [[ "$output" == *"master:"* || "$output" != *"shared:"* ]] ;;
    esac
  done
}

@test "masked paths read empty, read-only paths refuse writes" {
  # /proc/kcore when this kernel has it (CONFIG_PROC_KCORE), /proc/keys always
  f=/proc/kcore
  [ -e /proc/kcore ] || f=/proc/keys
  [ -s "$f" ] || [ "$(head -c 1 "$f" | wc -c)" = 1 ] || cell_skip "$f is empty on the host too"
  b=$(cell_bundle ".process.args = [\"sh\", \"-c\", \"head -c 1 $f | wc -c; ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/domainname 2>&1; echo rc=\$?\"]")
  run cellrt run --bundle "$b" "$ID"
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = 0 ]
  [[ "$output" == *"Read-only file system"* ]]
}

@test "default devices, linux.devices and the /dev symlinks" {
  b=$(cell_bundle '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0}] | .process.args = ["sh", "-c", "for d in null zero full random urandom tty fuse; do stat -c \"%n %F %t:%T %a\" /dev/$d; done; for l in fd stdin ptmx; do readlink /dev/$l; done; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
  [ "${lines[6]}" = "/dev/fuse character special file a:e5 666" ]
  [ "${lines[7]}" = /proc/self/fd ]
  [ "${lines[8]}" = /proc/self/fd/0 ]
  [ "${lines[9]}" = pts/ptmx ]
  [ "${lines[10]}" = 4 ]
  [ "${lines[11]}" = null-ok ]
}

@test "a rootfs whose /proc is a symlink to / does not mount over the host" {
  b=$(cell_bundle '.process.args = ["true"]')
  own_rootfs "$b"
  rmdir "$b/rootfs/proc"
  ln -s / "$b/rootfs/proc"
  # Only mounts at or under /proc count: other suites on a busy host may mount elsewhere.
  host_proc_mounts() { awk '$5 ~ "^/proc(/|$)"' /proc/self/mountinfo | wc -l; }
  before=$(host_proc_mounts)
  run cellrt run --bundle "$b" "$ID"
  # whatever happened, the host's /proc is untouched and nothing new is mounted there
  [ "$(host_proc_mounts)" = "$before" ]
  [ -r /proc/self/status ]
  [ -L "$b/rootfs/proc" ]
}

@test "a bind target that is a symlink out of the rootfs lands inside it" {
  mkdir -p "$BATS_TEST_TMPDIR/src"
  echo secret >"$BATS_TEST_TMPDIR/src/f"
  b=$(cell_bundle ".root.readonly = false | .mounts += [{\"destination\": \"/escape/x\", \"type\": \"bind\", \"source\": \"$BATS_TEST_TMPDIR/src\", \"options\": [\"bind\"]}] | .process.args = [\"cat\", \"/escape/x/f\"]")
  own_rootfs "$b"
  ln -s "$BATS_TEST_TMPDIR/outside" "$b/rootfs/escape"
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = secret ]
  # the symlink was resolved inside the rootfs, never on the host
  [ ! -e "$BATS_TEST_TMPDIR/outside" ]
  [ -d "$b/rootfs/$BATS_TEST_TMPDIR/outside/x" ]
}

@test "--no-pivot runs the container with chroot" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "cat /etc/os-release | head -1; echo $$"]')
  run cellrt run --no-pivot --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"cell busybox"* ]]
  [ "${lines[1]}" = 1 ]
}
