#!/usr/bin/env bats
# hooks.bats - OCI lifecycle hooks: each kind runs at its point with the state on stdin, args and
# env as given; a failing or slow create hook fails create and leaves nothing behind.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

# mkhook: $H, a hook that records its args, env, mount namespace and stdin under its first arg.*
mkhook() {
  H=$BATS_TEST_TMPDIR/hook.sh
  cat >"$H" <<'SH'
#!/bin/sh
out=$1
shift
echo "$*" >"$out.args"
echo "${HOOKVAR:-}" >"$out.env"
readlink /proc/self/ns/mnt >"$out.mntns"
readlink /proc/self/ns/user >"$out.userns"
cat >"$out.json"
SH
  chmod +x "$H"
}

# hook KIND: a jq filter adding hook.sh as a KIND hook writing $BATS_TEST_TMPDIR/KIND.*
hook() {
  echo ".hooks.$1 += [{\"path\": \"$H\", \"args\": [\"hook.sh\", \"$BATS_TEST_TMPDIR/$1\"]}]"
}


@test "createRuntime, prestart, createContainer, poststart and poststop run at their points with the state" {
  mkhook
  b=$(cell_bundle ".process.args = [\"sleep\", \"30\"] | $(hook createRuntime) | $(hook prestart) | $(hook createContainer) | $(hook poststart) | $(hook poststop)")
  cellrt create --bundle "$b" "$ID"
  pid=$(cellrt state "$ID" | jq -r .pid)
  for k in createRuntime prestart; do
    jq -e --arg id "$ID" --arg b "$b" --argjson pid "$pid" \
      '.id == $id and .pid == $pid and .status == "creating" and .bundle == $b' "$BATS_TEST_TMPDIR/$k.json"
    # in the runtime's mount namespace
    [ "$(cat "$BATS_TEST_TMPDIR/$k.mntns")" = "$(readlink /proc/self/ns/mnt)" ]
  done
  # createContainer: the same state, in the container's mount namespace
  jq -e --arg id "$ID" --argjson pid "$pid" '.id == $id and .pid == $pid and .status == "creating"' \
    "$BATS_TEST_TMPDIR/createContainer.json"
  [ "$(cat "$BATS_TEST_TMPDIR/createContainer.mntns")" = "$(readlink "/proc/$pid/ns/mnt")" ]
  [ "$(cat "$BATS_TEST_TMPDIR/createContainer.mntns")" != "$(readlink /proc/self/ns/mnt)" ]
  [ ! -e "$BATS_TEST_TMPDIR/poststart.json" ]
  cellrt start "$ID"
  jq -e --arg id "$ID" --argjson pid "$pid" '.id == $id and .pid == $pid and .status == "running"' \
    "$BATS_TEST_TMPDIR/poststart.json"
  [ ! -e "$BATS_TEST_TMPDIR/poststop.json" ]
  cellrt delete --force "$ID"
  jq -e --arg id "$ID" --arg b "$b" '.id == $id and .status == "stopped" and .bundle == $b' \
    "$BATS_TEST_TMPDIR/poststop.json"
}

@test "createContainer joins the container's new user namespace too" {
  mkhook
  b=$(cell_bundle ".process.args = [\"sleep\", \"30\"] | .linux.namespaces += [{\"type\": \"user\"}] | .linux.uidMappings = [{\"containerID\": 0, \"hostID\": 0, \"size\": 65536}] | .linux.gidMappings = [{\"containerID\": 0, \"hostID\": 0, \"size\": 65536}] | $(hook createContainer)")
  cellrt create --bundle "$b" "$ID"
  pid=$(cellrt state "$ID" | jq -r .pid)
  [ "$(cat "$BATS_TEST_TMPDIR/createContainer.userns")" = "$(readlink "/proc/$pid/ns/user")" ]
  [ "$(cat "$BATS_TEST_TMPDIR/createContainer.userns")" != "$(readlink /proc/self/ns/user)" ]
  [ "$(cat "$BATS_TEST_TMPDIR/createContainer.mntns")" = "$(readlink "/proc/$pid/ns/mnt")" ]
}

@test "run runs poststart and poststop around the process" {
  mkhook
  b=$(cell_bundle ".process.args = [\"true\"] | $(hook poststart) | $(hook poststop)")
  cellrt run --bundle "$b" "$ID"
  jq -e --arg id "$ID" '.id == $id and .status == "running"' "$BATS_TEST_TMPDIR/poststart.json"
  jq -e --arg id "$ID" '.id == $id and .status == "stopped"' "$BATS_TEST_TMPDIR/poststop.json"
}

@test "a hook gets its args and env, and only its env" {
  mkhook
  b=$(cell_bundle ".process.args = [\"true\"] | .hooks.createRuntime = [{\"path\": \"$H\", \"args\": [\"hook.sh\", \"$BATS_TEST_TMPDIR/x\", \"a b\", \"c\"], \"env\": [\"HOOKVAR=v1\"]}]")
  HOOKVAR=leaked cellrt run --bundle "$b" "$ID"
  [ "$(cat "$BATS_TEST_TMPDIR/x.args")" = "a b c" ]
  [ "$(cat "$BATS_TEST_TMPDIR/x.env")" = "v1" ]
  b=$(cell_bundle ".process.args = [\"true\"] | .hooks.createRuntime = [{\"path\": \"$H\", \"args\": [\"hook.sh\", \"$BATS_TEST_TMPDIR/y\"]}]")
  HOOKVAR=leaked cellrt run --bundle "$b" "$ID"
  [ "$(cat "$BATS_TEST_TMPDIR/y.env")" = "" ]
}

@test "a failing createRuntime or createContainer hook fails create and leaves nothing behind" {
  b=$(cell_bundle '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]')
  refused "hooks.createRuntime[0]: /bin/sh exited with status 3" cellrt create --bundle "$b" "$ID"
  refused "hooks.createRuntime[0]: /bin/sh exited with status 3" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.hooks.createContainer = [{"path": "/bin/false"}]')
  refused "hooks.createContainer[0]: /bin/false exited with status 1" cellrt create --bundle "$b" "$ID"
}

@test "a hook past its timeout is killed and reported" {
  p=$BATS_TEST_TMPDIR/sleeper.pid
  printf '#!/bin/sh\necho $$ >%s\nexec sleep 37\n' "$p" >"$BATS_TEST_TMPDIR/sleeper.sh"
  chmod +x "$BATS_TEST_TMPDIR/sleeper.sh"
  b=$(cell_bundle ".hooks.createRuntime = [{\"path\": \"$BATS_TEST_TMPDIR/sleeper.sh\", \"timeout\": 1}]")
  SECONDS=0
  refused "hooks.createRuntime[0]: timed out after 1 s" cellrt create --bundle "$b" "$ID"
  [ "$SECONDS" -lt 10 ]
  # the hook was killed, not left running
  [ -s "$p" ]
  [ ! -e "/proc/$(cat "$p")" ] || grep -q '^State:.*Z' "/proc/$(cat "$p")/status"
}

@test "a failing poststart or poststop hook is a warning, not a failure" {
  b=$(cell_bundle '.process.args = ["sleep", "30"] | .hooks.poststart = [{"path": "/bin/false"}] | .hooks.poststop = [{"path": "/bin/false"}]')
  cellrt create --bundle "$b" "$ID"
  run cellrt start "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"hooks.poststart[0]: /bin/false exited with status 1"* ]]
  [ "$(cellrt state "$ID" | jq -r .status)" = running ]
  run cellrt delete --force "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"hooks.poststop[0]: /bin/false exited with status 1"* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "bad hooks are refused naming the field; unknown hook kinds are ignored" {
  b=$(cell_bundle '.hooks.poststart = [{"path": "/bin/true"}, {"path": "/bin/true", "timeout": 0}]')
  refused "hooks.poststart[1].timeout: must be greater than zero" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.hooks.prestart = [{"path": "bin/true"}]')
  refused "hooks.prestart[0].path: bin/true is not absolute" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.hooks.poststop = [{"path": "/nonexistent/hook"}]')
  refused "hooks.poststop[0].path: /nonexistent/hook: No such file or directory" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.hooks.startContainer = [{"path": "bin/true"}]')
  refused "hooks.startContainer[0].path: bin/true is not absolute" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.process.args = ["true"] | .hooks.someFutureKind = [{"path": "relative"}]')
  cellrt run --bundle "$b" "$ID"
}

@test "startContainer runs in the container after start, before the process, with its state" {
  # the hook is the container's own shell, in its root: it sees the container's hostname and
  # root, gets the state (pid as seen inside) and runs after start released the init
  b=$(cell_bundle '.hostname = "hooked" | .process.args = ["sh", "-c", "cat /dev/shm/start.log; echo process"] | .hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "{ hostname; readlink /proc/self/exe; cat; echo; echo $X; } >/dev/shm/start.log"], "env": ["X=from-env"]}]')
  cellrt create --bundle "$b" "$ID" >"$BATS_TEST_TMPDIR/out" 2>&1
  # not yet: nothing ran before start
  [ "$(cellrt state "$ID" | jq -r .status)" = created ]
  cellrt start "$ID"
  for i in $(seq 50); do grep -q process "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
  cat "$BATS_TEST_TMPDIR/out"
  [ "$(sed -n 1p "$BATS_TEST_TMPDIR/out")" = hooked ]
  [ "$(sed -n 2p "$BATS_TEST_TMPDIR/out")" = /bin/busybox ]
  [ "$(sed -n 3p "$BATS_TEST_TMPDIR/out" | jq -r '.id, .pid, .status' | tr '\n' ' ')" = "$ID 1 created " ]
  [ "$(sed -n 4p "$BATS_TEST_TMPDIR/out")" = from-env ]
  [ "$(sed -n 5p "$BATS_TEST_TMPDIR/out")" = process ]
}

@test "a failing startContainer hook stops the container before its process runs" {
  b=$(cell_bundle '.process.args = ["echo", "process ran"] | .hooks.startContainer = [{"path": "/bin/false"}]')
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"hooks.startContainer[0]: /bin/false exited with status 1"* ]]
  [[ "$output" != *"process ran"* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}
