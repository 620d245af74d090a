#!/usr/bin/env bats
# manager.bats - `cell` driving celld through every verb on the built-in busybox image.

load helpers

setup_file() {
  mgr_setup_file basic
}

teardown_file() {
  mgr_teardown_file
}

@test "the API socket is root-only by default and answers LXD's /1.0" {
  [ "$(stat -c %a "$CELL_SOCKET")" = 600 ]
  run curl -sf --unix-socket "$CELL_SOCKET" http://cell/1.0
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .metadata.api_version)" = 1.0 ]
  [ "$(echo "$output" | jq -r .type)" = sync ]
  echo "$output" | jq -e '.metadata.api_extensions | index("operations_wait")'
}

@test "--help works for cell and every verb" {
  run cell --help
  [ "$status" -eq 0 ]
  for v in launch init start stop restart delete list info exec console config file snapshot \
    restore copy image profile network storage; do
    run cell "$v" --help
    [ "$status" -eq 0 ]
    [[ "$output" == *"usage: cell $v"* ]]
  done
  run cell frobnicate
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown verb: frobnicate"* ]]
}

@test "storage pools: the API's default pool, cell storage list/show/info, create refused" {
  run curl -sf --unix-socket "$CELL_SOCKET" http://cell/1.0/storage-pools
  [ "$(echo "$output" | jq -r '.metadata[0]')" = /1.0/storage-pools/default ]
  run curl -sf --unix-socket "$CELL_SOCKET" http://cell/1.0/storage-pools/default
  pool=$(echo "$output" | jq -c .metadata)
  [ "$(echo "$pool" | jq -r .name)" = default ]
  [ "$(echo "$pool" | jq -r .config.source)" = "$MGR_STATE" ]
  [ "$(echo "$pool" | jq -r .status)" = Created ]
  driver=$(echo "$pool" | jq -r .driver)
  if [ "$(stat -f -c %T "$MGR_STATE")" = btrfs ]; then [ "$driver" = btrfs ]; else [ "$driver" = dir ]; fi
  echo "$pool" | jq -e '.used_by | index("/1.0/profiles/default")'
  echo "$pool" | jq -e '.used_by | map(select(startswith("/1.0/images/"))) | length > 0'
  # resources: statvfs of the state directory, as df sees it.
  run curl -sf --unix-socket "$CELL_SOCKET" http://cell/1.0/storage-pools/default/resources
  total=$(echo "$output" | jq .metadata.space.total)
  used=$(echo "$output" | jq .metadata.space.used)
  [ "$total" -eq "$(df -B1 --output=size "$MGR_STATE" | tail -1)" ]
  [ "$used" -gt 0 ] && [ "$used" -le "$total" ]
  [ "$(echo "$output" | jq .metadata.inodes.total)" -ge 0 ]
  run curl -sf --unix-socket "$CELL_SOCKET" 'http://cell/1.0/storage-pools/default/volumes?recursion=1'
  echo "$output" | jq -e '.metadata | map(select(.type == "image")) | length > 0'
  run curl -s --unix-socket "$CELL_SOCKET" http://cell/1.0/storage-pools/nosuch
  [ "$(echo "$output" | jq -r .error)" = "storage pool not found: nosuch" ]
  run cell storage list
  [[ "$output" == *NAME*DRIVER*SOURCE* ]]
  [[ "$output" == *"default "*"$driver "*"$MGR_STATE"*Created* ]]
  [ "$(cell storage list --format csv | cut -d, -f1,2)" = "default,$driver" ]
  run cell storage show default
  [[ "$output" == *"name: default"*"driver: $driver"*"source: $MGR_STATE"* ]]
  run cell storage info default
  [[ "$output" == *"space used: "*"total space: "* ]]
  run cell storage show nosuch
  [ "$status" -ne 0 ]
  [ "$output" = "cell: storage pool not found: nosuch" ]
  run cell storage create p2 dir
  [ "$status" -ne 0 ]
  [ "$output" = "cell: creating storage pools is not supported: celld has one pool, default (its state directory); cannot create p2" ]
  run curl -s -X DELETE --unix-socket "$CELL_SOCKET" http://cell/1.0/storage-pools/default
  [[ "$(echo "$output" | jq -r .error)" == "storage pool default cannot be deleted"* ]]
}

@test "launch, list, info, exec with exit status, env, cwd and user" {
  n=$(cell_id)
  run cell launch busybox "$n"
  [ "$status" -eq 0 ]
  run cell list
  [[ "$output" == *"$n"*Running* ]]
  run cell list --format json
  [ "$(echo "$output" | jq -r --arg n "$n" '.[] | select(.name == $n) | .status')" = Running ]
  [[ "$(cell list --format csv)" == *"$n,Running,CONTAINER,default"* ]]
  for verb in list "network list" "storage list"; do
    run cell $verb --format yaml
    [ "$status" -ne 0 ]
    [ "$output" = 'cell: --format: expected table, json or csv, got "yaml"' ]
    run cell $verb --bogus
    [ "$status" -ne 0 ]
    [ "$output" = "cell: usage: cell $verb [--format table|json|csv]" ]
  done
  run cell exec "$n" -- sh -c 'exit 7'
  [ "$status" -eq 7 ]
  run cell exec "$n" --env FOO=bar --cwd /tmp --user 1000 -- sh -c 'echo $FOO $(pwd) $(id -u)'
  [ "$status" -eq 0 ]
  [ "$output" = "bar /tmp 1000" ]
  # SIGPIPE is not left ignored (celld ignores it): `yes | head` ends.
  run timeout 10 "$CELL" exec "$n" -- sh -c 'yes | head -n 1'
  [ "$output" = y ]
  # init is PID 1, and the instance is unprivileged: root inside is 1000000 outside.
  run cell exec "$n" -- sh -c 'cat /proc/1/comm; cat /proc/self/uid_map'
  [[ "${lines[0]}" == init ]]
  [[ "${lines[1]}" == *"0"*"1000000"*"1000000000"* ]]
  run cell info "$n"
  [[ "$output" == *"Status: Running"* ]]
  [[ "$output" == *"PID:"* ]]
  cell delete --force "$n"
}

@test "stop, start, restart and the console log; delete refuses a running instance" {
  n=$(cell_id)
  cell launch busybox "$n"
  run cell delete "$n"
  [ "$status" -ne 0 ]
  [[ "$output" == *"instance is running: $n"* ]]
  cell stop "$n" --timeout 10
  run cell info "$n"
  [[ "$output" == *"Status: Stopped"* ]]
  run cell stop "$n"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]]
  cell start "$n"
  cell restart "$n" --force
  run cell exec "$n" -- true
  [ "$status" -eq 0 ]
  cell stop --force "$n"
  run cell console "$n" --show-log
  [ "$status" -eq 0 ]
  cell delete "$n"
  run cell info "$n"
  [ "$status" -ne 0 ]
  [[ "$output" == *"instance not found: $n"* ]]
}

@test "config keys are validated and limits apply live" {
  n=$(cell_id)
  cell launch busybox "$n" -c limits.memory=256MiB -c environment.GREETING=hello
  run cell exec "$n" -- sh -c 'echo $GREETING'
  [ "$output" = hello ]
  [ "$(cat /sys/fs/cgroup/memory/cell-test/$n/memory.limit_in_bytes)" = 268435456 ]
  cell config set "$n" limits.memory=128MiB
  [ "$(cat /sys/fs/cgroup/memory/cell-test/$n/memory.limit_in_bytes)" = 134217728 ]
  cell config set "$n" limits.processes 64
  [ "$(cat /sys/fs/cgroup/pids/cell-test/$n/pids.max)" = 64 ]
  cell config set "$n" limits.cpu.allowance=25ms/100ms
  [ "$(cat /sys/fs/cgroup/cpu/cell-test/$n/cpu.cfs_quota_us)" = 25000 ]
  run cell config get "$n" limits.memory
  [ "$output" = 128MiB ]
  run cell config set "$n" limits.memory=lots
  [ "$status" -ne 0 ]
  [[ "$output" == *limits.memory* && "$output" == *lots* ]]
  [ "${#lines[@]}" -eq 1 ]
  run cell config set "$n" limits.bogus=1
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown config key: limits.bogus"* ]]
  cell config unset "$n" limits.processes
  run cell config show "$n"
  [[ "$output" != *limits.processes* ]]
  [[ "$output" == *"limits.memory: 128MiB"* ]]
  cell delete -f "$n"
}

@test "cellfs views are on by default: /proc/meminfo inside shows the memory limit" {
  n=$(cell_id)
  [ -x "$CELL_BUILD_ROOT/src/viewfs/cellfs" ] || cell_skip "cellfs not built"
  [ -e /dev/fuse ] || cell_skip "no /dev/fuse"
  [[ "$MGR_RUNTIME" == */cellrt ]] || cell_skip "runtime $MGR_RUNTIME ignores the cell.viewfs annotation"
  cell launch busybox "$n" -c limits.memory=256MiB
  run cell exec "$n" -- grep MemTotal /proc/meminfo
  echo "$output"
  [ "$output" = "MemTotal:         262144 kB" ]
  cell delete -f "$n"
}

@test "bad names, missing images and non-JSON requests get one clear error" {
  n=$(cell_id)
  cell init busybox "$n"
  run cell init busybox "$n"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already in use: $n"* ]]
  run cell init busybox 9lives
  [[ "$output" == *'invalid instance name "9lives"'* ]]
  run cell init busybox "bad_name"
  [ "$status" -ne 0 ]
  run cell init no-such-image "$n-x"
  [[ "$output" == *"image not found: no-such-image"* ]]
  run curl -s --unix-socket "$CELL_SOCKET" -X POST -d '{nope' http://cell/1.0/instances
  [ "$(echo "$output" | jq -r .error_code)" = 400 ]
  [[ "$(echo "$output" | jq -r .error)" == *"not JSON"* ]]
  cell delete "$n"
  [ ! -e "$MGR_STATE/instances/$n" ]
  [ ! -e "$MGR_STATE/instances/$n-x" ]
  db_disk_agree
}

@test "delete -f frees the name at once; the layers are removed in the background" {
  n=$(cell_id)
  cell launch busybox "$n"
  cell exec "$n" -- sh -c 'echo old >/root/f'
  cell snapshot "$n" s1
  cell delete -f "$n"
  [ ! -e "$MGR_STATE/instances/$n" ]
  [ ! -e "$MGR_STATE/snapshots/$n" ]
  # Same name right away: a new instance, nothing of the old one in it.
  cell launch busybox "$n"
  run cell exec "$n" -- cat /root/f
  [ "$status" -ne 0 ]
  run cell info "$n"
  [[ "$output" != *"s1"* ]]
  cell delete -f "$n"
  trash_emptied
  ! grep -q "$MGR_STATE/instances/" /proc/self/mountinfo
  db_disk_agree
}

@test "snapshot, restore and copy" {
  n=$(cell_id)
  cell launch busybox "$n"
  cell exec "$n" -- sh -c 'echo one >/root/f'
  cell snapshot "$n" s1
  cell snapshot "$n"
  cell exec "$n" -- sh -c 'echo two >/root/f'
  run cell info "$n"
  [[ "$output" == *"s1 (taken at"* ]]
  [[ "$output" == *"snap1 (taken at"* ]]
  run cell restore "$n" s1
  [ "$status" -ne 0 ]
  [[ "$output" == *"stop it to restore"* ]]
  cell stop -f "$n"
  cell restore "$n" s1
  cell start "$n"
  run cell exec "$n" -- cat /root/f
  [ "$output" = one ]
  cell copy "$n" "$n-copy"
  cell start "$n-copy"
  run cell exec "$n-copy" -- cat /root/f
  [ "$output" = one ]
  cell copy "$n/s1" "$n-fromsnap"
  run cell list --format csv
  [[ "$output" == *"$n-fromsnap,Stopped"* ]]
  cell delete -f "$n" "$n-copy" "$n-fromsnap"
  [ ! -e "$MGR_STATE/snapshots/$n" ]
}

@test "file push and pull" {
  n=$(cell_id)
  cell launch busybox "$n"
  printf 'line1\nline2 with "quotes" and $dollar\n' >"$BATS_TEST_TMPDIR/in"
  cell file push "$BATS_TEST_TMPDIR/in" "$n/root/in"
  cell file pull "$n/root/in" "$BATS_TEST_TMPDIR/out"
  cmp "$BATS_TEST_TMPDIR/in" "$BATS_TEST_TMPDIR/out"
  run cell file pull "$n/nonexistent" "$BATS_TEST_TMPDIR/x"
  [ "$status" -ne 0 ]
  cell delete -f "$n"
}

@test "profiles: default exists, keys apply, in-use profiles stay" {
  n=$(cell_id)
  p=$(cell_id)p
  run cell profile list
  [[ "$output" == *default* ]]
  cell profile create "$p"
  cell profile set "$p" limits.memory=200MiB
  run cell profile set "$p" limits.memory=huge
  [ "$status" -ne 0 ]
  cell launch busybox "$n" -p default -p "$p"
  [ "$(cat /sys/fs/cgroup/memory/cell-test/$n/memory.limit_in_bytes)" = 209715200 ]
  run cell profile show "$p"
  [[ "$output" == *"limits.memory: 200MiB"* ]]
  [[ "$output" == *"/1.0/instances/$n"* ]]
  run cell profile delete "$p"
  [ "$status" -ne 0 ]
  [[ "$output" == *"used by instance $n"* ]]
  cell profile assign "$n" default
  cell profile delete "$p"
  run cell profile delete default
  [ "$status" -ne 0 ]
  cell delete -f "$n"
}

@test "image list shows the built-in busybox image by alias and fingerprint" {
  run cell image list
  [ "$status" -eq 0 ]
  [[ "$output" == *busybox* ]]
  fp=$(curl -s --unix-socket "$CELL_SOCKET" http://cell/1.0/images/aliases/busybox | jq -r .metadata.target)
  [ "${#fp}" -eq 64 ]
  n=$(cell_id)
  cell init "${fp:0:12}" "$n"
  run cell image delete busybox
  [ "$status" -ne 0 ]
  [[ "$output" == *"used by instance $n"* ]]
  cell delete "$n"
}

@test "network list answers (networks themselves are tested in a namespace: manager-network.bats)" {
  run cell network list --format csv
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run cell network create 0bad
  [ "$status" -ne 0 ]
  [[ "$output" == *'invalid network name "0bad"'* ]]
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
  MGR_STATE=
}
