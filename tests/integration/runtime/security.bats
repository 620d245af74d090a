#!/usr/bin/env bats
# security.bats - the runtime's binary cannot be reached for writing from inside a container (the
# CVE-2019-5736 class), the waiting init is not inspectable, and capabilities stay bounded.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

setup() {
  runtime_setup
  SUM=$(sha256sum "$CELLRT" | cut -d' ' -f1)
}

teardown() {
  cellrt delete --force "$ID" >/dev/null 2>&1 || true
  cellrt delete --force "$ID-b" >/dev/null 2>&1 || true
  # whatever a test did, the runtime's binary is unchanged
  [ "$(sha256sum "$CELLRT" | cut -d' ' -f1)" = "$SUM" ]
}

@test "a container's entrypoint /proc/self/exe does not run the runtime" {
  b=$(cell_bundle '.process.args = ["/proc/self/exe", "--version"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Permission denied"* ]]
  [[ "$output" != *"cellrt version"* ]]
}

@test "a script whose interpreter is /proc/self/exe does not run the runtime" {
  b=$(cell_bundle '.root.readonly = false | .process.args = ["/evil"]')
  rm -f "$b/rootfs"
  cp -a "$CELL_IMAGE/rootfs" "$b/rootfs"
  printf '#!/proc/self/exe\n' >"$b/rootfs/evil"
  chmod +x "$b/rootfs/evil"
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" != *"cellrt version"* && "$output" != *"usage: cellrt"* ]]
}

@test "exec into a container cannot run the runtime through /proc/self/exe either" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" "$ID"
  cellrt start "$ID"
  run cellrt exec "$ID" /proc/self/exe --version
  [ "$status" -ne 0 ]
  [[ "$output" != *"cellrt version"* ]]
  # the container's own programs still run, through their own /proc/self/exe too
  run cellrt exec "$ID" sh -c 'ln -s /proc/self/exe /dev/shm/echo && /dev/shm/echo ok'
  [ "$output" = ok ]
}

@test "the waiting init's exe, mem and fds cannot be opened from inside its pid namespace" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" --pid-file "$BATS_TEST_TMPDIR/pid" "$ID"
  pid=$(cat "$BATS_TEST_TMPDIR/pid")
  # a second container in the same pid namespace, as root but without CAP_SYS_PTRACE
  b2=$BATS_TEST_TMPDIR/b2
  mkdir -p "$b2"
  ln -s "$CELL_IMAGE/rootfs" "$b2/rootfs"
  jq --arg p "/proc/$pid/ns/pid" '.process.terminal = false | .linux.namespaces |= map(if .type == "pid" then .path = $p else . end) | .process.args = ["sh", "-c", "cat /proc/1/cmdline >/dev/null; echo x >> /proc/1/exe 2>&1; ls -l /proc/1/exe 2>&1; ls /proc/1/fd 2>&1; head -c1 /proc/1/mem 2>&1; echo done"]' "$CELL_IMAGE/config.json" >"$b2/config.json"
  run cellrt run --bundle "$b2" "$ID-b"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"done"* ]]
  [[ "$output" != *"-> "*cellrt* ]]
  [ "$(echo "$output" | grep -c 'Permission denied')" -ge 3 ]
}

@test "descriptors the runtime inherits do not reach the container" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "ls /proc/self/fd | tr \"\\n\" \" \""]')
  run cellrt run --bundle "$b" "$ID" 7<"$BATS_TEST_TMPDIR" 8>"$BATS_TEST_TMPDIR/w"
  [ "$status" -eq 0 ]
  # 0-2, and the descriptor ls itself opened on /proc/self/fd
  [ "$output" = "0 1 2 3 " ]
}

@test "--preserve-fds N passes fds 3 .. 2+N to the container, and no others" {
  echo three >"$BATS_TEST_TMPDIR/f3"
  echo four >"$BATS_TEST_TMPDIR/f4"
  b=$(cell_bundle '.process.args = ["sh", "-c", "cat <&3; cat <&4; ls /proc/self/fd | tr \"\\n\" \" \""]')
  run cellrt run --preserve-fds 2 --bundle "$b" "$ID" 3<"$BATS_TEST_TMPDIR/f3" 4<"$BATS_TEST_TMPDIR/f4" 5<"$BATS_TEST_TMPDIR/f4"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'three\nfour\n0 1 2 3 4 5 ')" ]
}

@test "the runtime binary stays unchanged and unopened for writing after all of it" {
  run sh -c "exec 3>>'$CELLRT'"
  # the binary itself is writable from the host: the guard is per container, not on the file
  [ "$status" -eq 0 ]
}
