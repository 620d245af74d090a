#!/usr/bin/env bats
# manager-console.bats - `cell console`: the instance's /dev/console is a pty the monitor keeps,
# attached to over celld's console websocket (in a private tmux), detached with ctrl+a q.

load helpers

setup_file() {
  command -v tmux >/dev/null || cell_skip "tmux is not installed"
  mgr_setup_file console
}

teardown_file() {
  [ -z "${TMUX_SOCK:-}" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
  mgr_teardown_file
}

# new_console CMD: a tmux server of its own with one session, "console", running CMD. Each gets a
# new socket: a server whose last session was just killed may still be exiting, and a new session
# on its socket then fails ("server exited unexpectedly").
new_console() {
  [ -z "${TMUX_SOCK:-}" ] || tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
  TMUX_SERIAL=$((${TMUX_SERIAL:-0} + 1))
  export TMUX_SOCK=$BATS_FILE_TMPDIR/tmux.$BATS_TEST_NUMBER.$TMUX_SERIAL.sock
  tmux -S "$TMUX_SOCK" new-session -d -s console -x 120 -y 30 "$1"
}

# wait_pane TEXT: the tmux pane shows a line that is exactly TEXT (10 s at most).
wait_pane() {
  local i
  for i in $(seq 100); do
    tmux -S "$TMUX_SOCK" capture-pane -p -t console 2>/dev/null | tr -d '\r' | grep -qx -- "$1" &&
      return 0
    sleep 0.1
  done
  echo "pane never showed \"$1\":" >&2
  tmux -S "$TMUX_SOCK" capture-pane -p -t console >&2 || true
  return 1
}

@test "cell console: type into the instance's shell, see it answer, detach, it keeps running" {
  n=$(cell_id)
  cell launch busybox "$n"
  new_console \
    "env CELL_SOCKET=$CELL_SOCKET $CELL console $n; echo console-exit-\$?; sleep 30"
  wait_pane "To detach from the console, press: <ctrl>+a q"
  word=hi-$RANDOM$RANDOM
  # The shell may still be starting: type until it answers.
  for i in 1 2 3; do
    tmux -S "$TMUX_SOCK" send-keys -t console "echo $word" Enter
    wait_pane "$word" && break
  done
  wait_pane "$word"
  # It is the instance's console: the shell's terminal is /dev/console, in the instance's UTS ns.
  tmux -S "$TMUX_SOCK" send-keys -t console 'test /dev/console -ef "$(tty)" && echo console-$(hostname)' Enter
  wait_pane "console-$n"
  # The pty has the terminal's size, and follows it when it changes.
  tmux -S "$TMUX_SOCK" send-keys -t console 'echo size-$(stty size | tr " " x)' Enter
  wait_pane "size-30x120"
  tmux -S "$TMUX_SOCK" resize-window -t console -x 100 -y 25
  sleep 0.3
  tmux -S "$TMUX_SOCK" send-keys -t console 'echo size-$(stty size | tr " " x)' Enter
  wait_pane "size-25x100"
  tmux -S "$TMUX_SOCK" send-keys -t console C-a q
  wait_pane "console-exit-0"
  run cell info "$n"
  [[ "$output" == *"Status: Running"* ]]
  # What the console showed is in the log too.
  run cell console "$n" --show-log
  [[ "$output" == *"$word"* ]]
  # And a second attach works after the first detached.
  new_console \
    "env CELL_SOCKET=$CELL_SOCKET $CELL console $n; echo console-exit-\$?; sleep 30"
  wait_pane "To detach from the console, press: <ctrl>+a q"
  tmux -S "$TMUX_SOCK" send-keys -t console "echo again-$word" Enter
  wait_pane "again-$word"
  # Stopping the instance ends the attached console.
  cell stop --force "$n"
  wait_pane "console-exit-0"
  tmux -S "$TMUX_SOCK" kill-server
  cell delete "$n"
}

@test "the console API: LXD's console operation; bad requests get one clear error" {
  n=$(cell_id)
  cell init busybox "$n"
  run curl -s --unix-socket "$CELL_SOCKET" -X POST -d '{"type":"console"}' \
    "http://cell/1.0/instances/$n/console"
  [ "$(echo "$output" | jq -r .error_code)" = 400 ]
  [[ "$(echo "$output" | jq -r .error)" == *"not running"* ]]
  run cell console "$n"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not running"* ]]
  cell start "$n"
  run curl -s --unix-socket "$CELL_SOCKET" -X POST -d '{"type":"vga"}' \
    "http://cell/1.0/instances/$n/console"
  [ "$(echo "$output" | jq -r .error_code)" = 400 ]
  [[ "$(echo "$output" | jq -r .error)" == *'"vga"'* ]]
  cell delete --force "$n"
}

@test "attaching replays the console's last output (cell console and lxc console), before any typing" {
  n=$(cell_id)
  cell launch busybox "$n"
  word=early-$RANDOM$RANDOM
  # On a line of its own (the shell's prompt is on the console too).
  cell exec "$n" -- sh -c "printf '\\n%s\\n' $word >/dev/console"
  new_console \
    "env CELL_SOCKET=$CELL_SOCKET $CELL console $n; echo console-exit-\$?; sleep 30"
  wait_pane "$word"
  tmux -S "$TMUX_SOCK" send-keys -t console C-a q
  wait_pane "console-exit-0"
  if command -v lxc >/dev/null; then
    new_console \
      "env LXD_DIR=$MGR_STATE HOME=$BATS_FILE_TMPDIR lxc console $n; echo console-exit-\$?; sleep 30"
    wait_pane "$word"
    # lxc looks at the first byte of each read only: ctrl+a and q in separate reads.
    tmux -S "$TMUX_SOCK" send-keys -t console C-a
    sleep 0.3
    tmux -S "$TMUX_SOCK" send-keys -t console q
    wait_pane "console-exit-0"
  fi
  # The server ends with its last session.
  tmux -S "$TMUX_SOCK" kill-server 2>/dev/null || true
  cell delete --force "$n"
}

@test "the console log is capped: a chatty instance rotates it at 1 MiB, --show-log has the rest" {
  n=$(cell_id)
  cell launch busybox "$n"
  run_dir=$MGR_STATE/instances/$n/run
  # ~2.6 MB of console output: more than twice the cap.
  cell exec "$n" -- sh -c 'yes 0123456789012345678901234567890123456789 | head -n 64000 >/dev/console'
  word=end-$RANDOM$RANDOM
  cell exec "$n" -- sh -c "echo $word >/dev/console"
  for i in $(seq 100); do
    grep -q "$word" "$run_dir/console.log" 2>/dev/null && break
    sleep 0.1
  done
  grep -q "$word" "$run_dir/console.log"
  max=$((1024 * 1024 + 8192))
  size=$(stat -c %s "$run_dir/console.log")
  old=$(stat -c %s "$run_dir/console.log.1")
  echo "console.log $size, console.log.1 $old" >&3
  [ "$size" -le "$max" ] && [ "$old" -le "$max" ] && [ "$old" -ge $((1024 * 1024)) ]
  run cell console "$n" --show-log
  [ "$status" -eq 0 ]
  [ "${#output}" -gt $((1024 * 1024)) ] && [ "${#output}" -le $((2 * max)) ]
  [[ "$output" == *"$word"* ]]
  cell delete --force "$n"
  [ ! -e "$MGR_STATE/instances/$n" ]
}

@test "no leaks" {
  mgr_teardown_file
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
