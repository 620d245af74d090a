#!/usr/bin/env bats
# manager-btrfs.bats - celld's state on a btrfs filesystem (a loop-mounted file this suite makes):
# instance layers are subvolumes, snapshot/copy/restore are subvolume snapshots, limits.disk is a
# qgroup limit; on a pool that cannot enforce limits.disk, the key is refused by name.

load helpers

setup_file() {
  need_root
  need mkfs.btrfs "mkfs.btrfs is not installed (btrfs-progs; scripts/setup.sh --test installs it)"
  grep -qw btrfs /proc/filesystems || cell_skip "the kernel has no btrfs"
  export MGR_RUNTIME
  MGR_RUNTIME=$(manager_runtime)
  [ -n "$MGR_RUNTIME" ] || cell_skip "no runc-compatible runtime (cellrt or runc)"
  mkdir -p "$CELL_TEST_ROOT"
  leak_snapshot "$BATS_FILE_TMPDIR/leaks.before"
  export POOL=$CELL_TEST_ROOT/$CELL_TEST_PREFIX-btrfs
  truncate -s 512M "$BATS_FILE_TMPDIR/pool.img"
  mkfs.btrfs -q "$BATS_FILE_TMPDIR/pool.img"
  mkdir -p "$POOL"
  mount -o loop "$BATS_FILE_TMPDIR/pool.img" "$POOL"
  export MGR_STATE=$POOL/state
  export CELL_SOCKET=$MGR_STATE/unix.socket
  celld_start
}

teardown_file() {
  mgr_teardown_file
  if [ -n "${POOL:-}" ]; then
    umount "$POOL" 2>/dev/null || true
    rmdir "$POOL" 2>/dev/null || true
  fi
}

subvol_uuid() {
  btrfs subvolume show "$1" | awk '$1 == "UUID:" {print $2}'
}

parent_uuid() {
  btrfs subvolume show "$1" | awk '$1 == "Parent" && $2 == "UUID:" {print $3}'
}

@test "on btrfs an instance's layer is a subvolume; snapshot, copy and restore are its snapshots" {
  n=$(cell_id)
  cell launch busybox "$n"
  disk=$MGR_STATE/instances/$n/disk
  btrfs subvolume show "$disk" >/dev/null
  cell exec "$n" -- sh -c 'echo one >/data; dd if=/dev/zero of=/big bs=1M count=64 2>/dev/null'
  cell snapshot "$n" s1
  snap=$MGR_STATE/snapshots/$n/s1
  [ "$(parent_uuid "$snap")" = "$(subvol_uuid "$disk")" ]
  [ "$(btrfs property get -ts "$snap" ro)" = "ro=true" ]
  cell exec "$n" -- sh -c 'echo two >/data'
  # a copy of the running instance is a writable snapshot of its layer
  c=$(cell_id)
  cell copy "$n" "$c"
  [ "$(parent_uuid "$MGR_STATE/instances/$c/disk")" = "$(subvol_uuid "$disk")" ]
  cell start "$c"
  [ "$(cell exec "$c" -- cat /data)" = two ]
  cell exec "$c" -- sh -c 'echo three >/data'
  [ "$(cell exec "$n" -- cat /data)" = two ]
  # restore swaps in a writable snapshot of s1
  cell stop -f "$n"
  cell restore "$n" s1
  [ "$(parent_uuid "$disk")" = "$(subvol_uuid "$snap")" ]
  cell start "$n"
  [ "$(cell exec "$n" -- cat /data)" = one ]
  # a copy from a snapshot
  s=$(cell_id)
  cell copy "$n/s1" "$s"
  [ "$(parent_uuid "$MGR_STATE/instances/$s/disk")" = "$(subvol_uuid "$snap")" ]
  cell delete -f "$n" "$c" "$s"
  # Their subvolumes went to the trash, which celld empties in the background.
  trash_emptied
  [ -z "$(btrfs subvolume list -o "$MGR_STATE" | grep -e "$n" -e "$c" -e "$s")" ]
  [ ! -e "$MGR_STATE/snapshots/$n" ]
}

@test "limits.disk is a qgroup limit on the layer: writes past it fail, below it succeed" {
  n=$(cell_id)
  cell launch busybox "$n" -c limits.disk=32MiB
  run cell exec "$n" -- dd if=/dev/zero of=/small bs=1M count=8 conv=fsync
  [ "$status" -eq 0 ]
  run cell exec "$n" -- dd if=/dev/zero of=/big bs=1M count=64 conv=fsync
  [ "$status" -ne 0 ]
  [[ "$output" == *"quota exceeded"* || "$output" == *"No space left"* ]]
  cell exec "$n" -- rm -f /big
  # unset: the limit goes at the next start
  cell config unset "$n" limits.disk
  cell restart "$n" --force
  run cell exec "$n" -- dd if=/dev/zero of=/big bs=1M count=64 conv=fsync
  [ "$status" -eq 0 ]
  cell delete -f "$n"
}

@test "limits.disk where the pool cannot enforce it is refused by name at start" {
  # A second celld with its state on the host's own filesystem (not btrfs).
  [ "$(stat -f -c %T "$CELL_TEST_ROOT")" != btrfs ] || skip "$CELL_TEST_ROOT is on btrfs"
  local state=$CELL_TEST_ROOT/$CELL_TEST_PREFIX-celld-plain
  "$CELLD" --state-dir "$state" --runtime "$MGR_RUNTIME" --image-dir "$CELL_IMAGE" \
    --cgroup-parent cell-test 3>&- &
  local pid=$! i
  for i in $(seq 100); do
    CELL_SOCKET=$state/unix.socket "$CELL" list >/dev/null 2>&1 && break
    sleep 0.05
  done
  n=$(cell_id)
  run env CELL_SOCKET="$state/unix.socket" "$CELL" launch busybox "$n" -c limits.disk=1GiB
  [ "$status" -ne 0 ]
  [[ "$output" == *"limits.disk=1GiB: the dir pool cannot enforce it"* ]]
  CELL_SOCKET=$state/unix.socket "$CELL" delete -f "$n"
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.02; done
  rm -rf "$state"
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  umount "$POOL"
  rmdir "$POOL"
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
  MGR_STATE=
  POOL=
}
