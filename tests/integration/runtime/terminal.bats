#!/usr/bin/env bats
# terminal.bats - process.terminal: the interactive shell a new user gets from `run`, through a
# pty from the container's own devpts, driven here by script(1) and tmux.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

setup() {
  runtime_setup
  need script
}

teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
  tmux kill-session -t "$ID" 2>/dev/null || true
}

terminal_bundle() {
  local b
  b=$(cell_bundle "$@")
  jq '.process.terminal = true' "$b/config.json" >"$b/c" && mv "$b/c" "$b/config.json"
  echo "$b"
}

@test "run with terminal true gives a shell on /dev/pts/0 and its exit status" {
  b=$(terminal_bundle)
  run sh -c "(sleep 0.5; echo 'tty; echo \$((6*7)); exit 7') | script -qefc '$CELLRT --root $CELL_TEST_ROOT run --bundle $b $ID' /dev/null"
  [ "$status" -eq 7 ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"42"* ]]
}

@test "with a terminal, a signal to run still reaches the container's process" {
  # the poststart hook signals run itself (its parent) once the process has set its trap
  b=$(terminal_bundle '.process.args = ["sh", "-c", "trap \"echo got-term; exit 9\" TERM; while :; do sleep 0.1; done"]
    | .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 1; kill -TERM $PPID"]}]')
  run timeout 30 script -qefc "$CELLRT --root $CELL_TEST_ROOT run --bundle $b $ID" /dev/null </dev/null
  [ "$status" -eq 9 ]
  [[ "$output" == *got-term* ]]
}

@test "the pty is the controlling terminal and /dev/console" {
  b=$(terminal_bundle '.process.args = ["sh", "-c", "tty; cut -d\\  -f7 /proc/self/stat; stat -c %t:%T /dev/console; stat -c %t:%T /dev/pts/0"]')
  run script -qefc "$CELLRT --root $CELL_TEST_ROOT run --bundle $b $ID" /dev/null </dev/null
  [ "$status" -eq 0 ]
  # script(1) may write a NUL at end of input, which the tty echoes as the two characters "^@"
  out=$(echo "$output" | tr -d '\r' | sed 's/\^@//g')
  echo "$out"
  [[ "$(echo "$out" | grep -a /dev/)" == *"/dev/pts/0" ]]
  # tty_nr of /proc/self/stat: the controlling terminal is pts 0 (136:0)
  [ "$(echo "$out" | grep -ax '[0-9]*')" = 34816 ]
  [ "$(echo "$out" | grep -a : | sort -u | wc -l)" = 1 ]
}

@test "an interactive session in tmux: the README's first thing a user types" {
  need tmux
  b=$(terminal_bundle '.process.args = ["sh"]')
  tmux new-session -d -s "$ID" -x 100 -y 30 "$CELLRT --root $CELL_TEST_ROOT run --bundle $b $ID; echo exited-\$?; sleep 5"
  for _ in $(seq 50); do tmux capture-pane -p -t "$ID" | grep -q '# ' && break; sleep 0.1; done
  tmux send-keys -t "$ID" 'echo cols=$(stty size)' Enter
  for _ in $(seq 30); do tmux capture-pane -p -t "$ID" | grep -q 'cols=30 100' && break; sleep 0.1; done
  tmux capture-pane -p -t "$ID" | grep -q 'cols=30 100'
  tmux send-keys -t "$ID" 'exit 4' Enter
  for _ in $(seq 30); do tmux capture-pane -p -t "$ID" | grep -q 'exited-4' && break; sleep 0.1; done
  tmux capture-pane -p -t "$ID" | grep -q 'exited-4'
}

@test "exec -t gives a process its own pty in the container, and leaves its mounts alone" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  cellrt start "$ID"
  mounts=$(cat "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/mountinfo")
  for _ in 1 2; do
    run script -qefc "$CELLRT --root $CELL_TEST_ROOT exec -t $ID sh -c 'tty; exit 3'" /dev/null </dev/null
    echo "$output"
    [ "$status" -eq 3 ]
    [[ "$output" == *"/dev/pts/"* ]]
  done
  # no pty bound on the container's /dev/console by exec (runc binds none either)
  [ "$(cat "/proc/$(cat "$BATS_TEST_TMPDIR/pid")/mountinfo")" = "$mounts" ]
  run cellrt exec "$ID" tty
  [[ "$output" == *"not a tty"* ]]
}

@test "create --console-socket hands the pty master to the socket, as runc does" {
  need python3
  cat >"$BATS_TEST_TMPDIR/recv.py" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
_, fds, _, _ = socket.recv_fds(c, 16, 1)
time.sleep(0.3)
os.write(fds[0], b"tty; echo $((5*5)); exit\n")
out, end = b"", time.time() + 10
while time.time() < end:
    try:
        d = os.read(fds[0], 4096)
    except OSError:
        break
    if not d:
        break
    out += d
sys.stdout.write(out.decode(errors="replace"))
PY
  sock=$BATS_TEST_TMPDIR/console.sock
  python3 "$BATS_TEST_TMPDIR/recv.py" "$sock" >"$BATS_TEST_TMPDIR/out" &
  for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
  b=$(terminal_bundle)
  run cellrt create --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--console-socket"* ]]
  cellrt create --console-socket "$sock" --bundle "$b" "$ID"
  cellrt start "$ID"
  wait
  grep -q /dev/pts/0 "$BATS_TEST_TMPDIR/out"
  grep -q 25 "$BATS_TEST_TMPDIR/out"
}
