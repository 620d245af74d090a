#!/usr/bin/env bats
# manager-lxd.bats - Debian's LXD client (`lxc` from lxd-client 5.0) drives celld unchanged,
# pointed at its socket with LXD_DIR: list, launch of a local alias, exec (piped and on a
# terminal), console, config set, info, stop, delete.

load helpers

setup_file() {
  mgr_setup_file lxd
  export LXD_DIR=$MGR_STATE
}

teardown_file() {
  mgr_teardown_file
}

lxc_() {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  command lxc "$@"
}

@test "lxc list, launch of a local alias, info" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  run lxc_ list
  [ "$status" -eq 0 ]
  n=$(cell_id)
  run lxc_ launch busybox "$n"
  [ "$status" -eq 0 ]
  run lxc_ list
  [[ "$output" == *"$n"*RUNNING* ]]
  run lxc_ info "$n"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Status: RUNNING"* ]]
  echo "$n" >"$BATS_FILE_TMPDIR/name"
}

@test "lxc exec, piped: stdout, stderr, stdin and the exit status pass through" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  n=$(cat "$BATS_FILE_TMPDIR/name")
  run lxc_ exec "$n" -- sh -c 'echo out; echo err >&2; exit 3'
  [ "$status" -eq 3 ]
  [[ "$output" == *out* && "$output" == *err* ]]
  run sh -c "echo piped-in | lxc exec $n -- cat"
  [ "$output" = piped-in ]
}

@test "lxc exec on a terminal gets a pty in the instance" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  need script "util-linux's script is missing"
  n=$(cat "$BATS_FILE_TMPDIR/name")
  run timeout 20 script -qec "lxc exec $n -- sh -c 'tty; exit 5'" /dev/null
  [ "$status" -eq 5 ]
  [[ "$output" == */dev/pts/* ]]
}

@test "lxc console attaches to the instance's console and detaches on ctrl+a q" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  need tmux "tmux is not installed"
  n=$(cat "$BATS_FILE_TMPDIR/name")
  t=$BATS_FILE_TMPDIR/tmux.sock
  tmux -S "$t" new-session -d -s console -x 120 -y 30 \
    "env LXD_DIR=$LXD_DIR lxc console $n; echo lxc-exit-\$?; sleep 30"
  word=lxc-$RANDOM$RANDOM
  local i seen=
  for i in $(seq 50); do
    tmux -S "$t" send-keys -t console "echo $word" Enter
    sleep 0.2
    tmux -S "$t" capture-pane -p -t console | tr -d '\r' | grep -qx -- "$word" && seen=1 && break
  done
  # lxc looks at the first byte of each read only: ctrl+a and q must come in separate reads.
  tmux -S "$t" send-keys -t console C-a
  sleep 0.3
  tmux -S "$t" send-keys -t console q
  for i in $(seq 50); do
    tmux -S "$t" capture-pane -p -t console | grep -q lxc-exit-0 && break
    sleep 0.1
  done
  tmux -S "$t" capture-pane -p -t console
  out=$(tmux -S "$t" capture-pane -p -t console)
  tmux -S "$t" kill-server
  [ -n "$seen" ]
  [[ "$out" == *lxc-exit-0* ]]
  run lxc_ console "$n" --show-log
  [[ "$output" == *"$word"* ]]
  run lxc_ list
  [[ "$output" == *"$n"*RUNNING* ]]
}

@test "lxc config set applies a limit live; lxc stop and delete" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  n=$(cat "$BATS_FILE_TMPDIR/name")
  lxc_ config set "$n" limits.memory=100MiB
  [ "$(cat /sys/fs/cgroup/memory/cell-test/$n/memory.limit_in_bytes)" = 104857600 ]
  run lxc_ config set "$n" limits.memory=lots
  [ "$status" -ne 0 ]
  [[ "$output" == *lots* ]]
  lxc_ stop "$n"
  run lxc_ list
  [[ "$output" == *"$n"*STOPPED* ]]
  lxc_ delete "$n"
  run lxc_ list
  [[ "$output" != *"$n"* ]]
}

@test "lxc storage list, show, info and volume list: the default pool" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  run lxc_ storage list
  [ "$status" -eq 0 ]
  [[ "$output" == *"| default "*"| dir "*"$MGR_STATE"*"| CREATED "* ||
    "$output" == *"| default "*"| btrfs "*"$MGR_STATE"*"| CREATED "* ]]
  run lxc_ storage show default
  [ "$status" -eq 0 ]
  [[ "$output" == *"source: $MGR_STATE"* ]]
  [[ "$output" == *"name: default"* && "$output" == *"- /1.0/profiles/default"* ]]
  run lxc_ storage info default
  [ "$status" -eq 0 ]
  [[ "$output" == *"total space: "* ]]
  run lxc_ storage create p2 dir
  [ "$status" -ne 0 ]
  [[ "$output" == *"creating storage pools is not supported"* ]]
  n=$(cell_id)
  lxc_ init busybox "$n"
  run lxc_ storage volume list default
  lxc_ delete "$n"
  [ "$status" -eq 0 ]
  [[ "$output" == *"| container "*"| $n "* ]]
  [[ "$output" == *"| image "* ]]
  run lxc_ storage volume create default v1
  [ "$status" -ne 0 ]
  [[ "$output" == *"custom storage volumes are not supported"* ]]
}

@test "the suite leaves no instance, mount, cgroup or process behind" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
