#!/usr/bin/env bats
# process.bats - every field of process seen from inside: args, env, cwd, user, groups, umask,
# rlimits, noNewPrivileges, the five capability sets, oomScoreAdj, seccomp, and stdio.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

@test "args, env and cwd" {
  b=$(cell_bundle '.process.env = ["PATH=/bin", "GREETING=hello world"] | .process.cwd = "/etc" | .process.args = ["sh", "-c", "echo \"$GREETING\"; pwd; echo \"$0 $1\"", "zero", "one"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "hello world" ]
  [ "${lines[1]}" = /etc ]
  [ "${lines[2]}" = "zero one" ]
}

@test "uid, gid, additionalGids and umask" {
  b=$(cell_bundle '.process.user = {"uid": 1, "gid": 100, "additionalGids": [5, 65534], "umask": 63} | .process.args = ["sh", "-c", "id -u; id -g; id -G; umask"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = 100 ]
  [ "${lines[2]}" = "100 5 65534" ]
  [ "${lines[3]}" = 0077 ]
}

@test "the default umask is 0022 and root has no supplementary groups" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "umask; id -G"]')
  run cellrt run --bundle "$b" "$ID"
  [ "${lines[0]}" = 0022 ]
  [ "${lines[1]}" = 0 ]
}

@test "rlimits: ulimit -n and -u" {
  b=$(cell_bundle '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}, {"type": "RLIMIT_NPROC", "soft": 77, "hard": 77}] | .process.args = ["sh", "-c", "ulimit -n; ulimit -Hn; ulimit -u"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 321 ]
  [ "${lines[1]}" = 654 ]
  [ "${lines[2]}" = 77 ]
}

@test "noNewPrivileges true and false" {
  b=$(cell_bundle '.process.args = ["grep", "NoNewPrivs", "/proc/self/status"]')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"1" ]]
  b=$(cell_bundle '.process.noNewPrivileges = false | .process.args = ["grep", "NoNewPrivs", "/proc/self/status"]')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"0" ]]
}

@test "the five capability sets as configured" {
  # CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_SYS_ADMIN=21
  b=$(cell_bundle '.process.user.uid = 1 | .process.capabilities = {"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"], "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"], "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"], "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]} | .process.args = ["grep", "^Cap", "/proc/self/status"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [[ "$output" == *"CapInh:"*"0000000000000400"* ]]
  [[ "$output" == *"CapPrm:"*"0000000000000400"* ]]
  [[ "$output" == *"CapEff:"*"0000000000000400"* ]]
  [[ "$output" == *"CapBnd:"*"0000000000200421"* ]]
  [[ "$output" == *"CapAmb:"*"0000000000000400"* ]]
}

@test "the default config's CapEff as root" {
  b=$(cell_bundle '.process.args = ["grep", "^CapEff", "/proc/self/status"]')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"0000000020000420" ]]
}

@test "oomScoreAdj" {
  b=$(cell_bundle '.process.oomScoreAdj = 123 | .process.args = ["cat", "/proc/self/oom_score_adj"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$output" = 123 ]
}

@test "linux.seccomp: a denied syscall fails with the configured errno" {
  b=$(cell_bundle '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}, {"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 0, "value": 99, "op": "SCMP_CMP_EQ"}]}]} | .process.args = ["sh", "-c", "mkdir /dev/shm/d 2>&1; echo still-running"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Operation not permitted"* ]]
  [ "${lines[1]}" = still-running ]
}

@test "stdio is passed through when terminal is false" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "read x; echo got:$x; echo to-stderr >&2"]')
  out=$(echo hello | cellrt run --bundle "$b" "$ID" 2>"$BATS_TEST_TMPDIR/err")
  [ "$out" = got:hello ]
  [ "$(cat "$BATS_TEST_TMPDIR/err")" = to-stderr ]
}

@test "a signal to run is forwarded to the container's process" {
  b=$(cell_bundle '.process.args = ["sh", "-c", "trap \"echo got-term; exit 9\" TERM; echo ready; while :; do sleep 0.1; done"]')
  "$CELLRT" --root "$CELL_TEST_ROOT" run --bundle "$b" "$ID" >"$BATS_TEST_TMPDIR/out" &
  pid=$!
  for _ in $(seq 50); do grep -q ready "$BATS_TEST_TMPDIR/out" && break; sleep 0.1; done
  kill -TERM "$pid"
  wait "$pid" || rc=$?
  [ "${rc:-0}" -eq 9 ]
  grep -q got-term "$BATS_TEST_TMPDIR/out"
}

@test "a signal that comes while run is still setting up waits and then reaches the process" {
  # The poststart hook runs inside run, before it waits for the process: a SIGTERM to run from
  # there used to kill run and leave the container behind.
  b=$(cell_bundle '.process.args = ["sh", "-c", "trap \"echo got-term; exit 9\" TERM; echo ready; while :; do sleep 0.1; done"]
    | .hooks.poststart = [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 1; kill -TERM $PPID"]}]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 9 ]
  [[ "$output" == *got-term* ]]
}

@test "exec --cap adds a capability, --no-new-privs sets no_new_privs, for that process only" {
  b=$(cell_bundle '.process.noNewPrivileges = false | .process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" "$ID"
  cellrt start "$ID"
  # CAP_SYS_ADMIN is bit 21, CAP_SYS_TIME bit 25: neither is in the config's sets
  before=$(cellrt exec "$ID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status')
  echo "$before"
  after=$(cellrt exec --cap CAP_SYS_ADMIN --cap cap_sys_time --no-new-privs "$ID" sh -c 'grep -E "^(CapEff|CapBnd|NoNewPrivs)" /proc/self/status')
  echo "$after"
  eff() { echo "$1" | awk -v k="$2:" '$1 == k { print "0x" $2 }'; }
  [ $(( $(eff "$before" CapEff) & (1 << 21 | 1 << 25) )) -eq 0 ]
  [ $(( $(eff "$after" CapEff) & (1 << 21 | 1 << 25) )) -eq $(( 1 << 21 | 1 << 25 )) ]
  [ $(( $(eff "$after" CapBnd) & (1 << 21) )) -ne 0 ]
  [[ "$before" == *"NoNewPrivs:"*0* ]]
  [[ "$after" == *"NoNewPrivs:"*1* ]]
  run cellrt exec --cap CAP_NO_SUCH "$ID" true
  [ "$status" -ne 0 ]
  [[ "$output" == *"--cap: unknown capability 'CAP_NO_SUCH'"* ]]
}

@test "linux.personality LINUX32 makes uname report a 32-bit machine, for exec too" {
  [ "$(uname -m)" = x86_64 ] || cell_skip "LINUX32 is observable as i686 on x86_64 hosts only"
  b=$(cell_bundle '.linux.personality = {"domain": "LINUX32"} | .process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" "$ID"
  cellrt start "$ID"
  [ "$(cellrt exec "$ID" uname -m)" = i686 ]
  b=$(cell_bundle '.linux.personality = {"domain": "LINUX", "flags": ["ADDR_NO_RANDOMIZE"]} | .process.args = ["cat", "/proc/self/personality"]')
  run cellrt run --bundle "$b" "$ID-2"
  [ "$output" = 00040000 ]
}

@test "process.ioPriority and process.scheduler are what the process runs with" {
  b=$(cell_bundle '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6} | .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7} | .process.args = ["sh", "-c", "ionice -p $$; cut -d\" \" -f19,41 /proc/self/stat"]')
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "best-effort: prio 6" ]
  # nice 7, policy 3 (SCHED_BATCH)
  [ "${lines[1]}" = "7 3" ]
  b=$(cell_bundle '.process.scheduler = {"policy": "SCHED_IDLE"} | .process.args = ["cut", "-d ", "-f41", "/proc/self/stat"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$output" = 5 ]
}

@test "bad personality, ioPriority and scheduler fields are refused naming the field" {
  b=$(cell_bundle '.linux.personality = {"domain": "PDP11"}')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.personality.domain: PDP11 is neither LINUX nor LINUX32"* ]]
  b=$(cell_bundle '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 9}')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"process.ioPriority.priority: 9 is not in 0..7"* ]]
  b=$(cell_bundle '.process.scheduler = {"policy": "SCHED_NOPE"}')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"process.scheduler.policy: unknown policy SCHED_NOPE"* ]]
  b=$(cell_bundle '.process.scheduler = {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_X"]}')
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"process.scheduler.flags[0]: unknown flag SCHED_FLAG_X"* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

# seccomp_agent SOCK LOG: a tiny seccomp agent in the background ($AGENT): it takes one
# connection, writes the message and what the fd is to LOG, answers the first notification
# with ETXTBSY, then exits (closing the listener: later notified calls get ENOSYS).
seccomp_agent() {
  python3 - "$1" "$2" <<'PY' &
import array, ctypes, errno, fcntl, json, os, socket, struct, sys
path, log = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_LEN(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
with open(log, "w") as f:
    f.write(msg.decode() + "\n")
    f.write(os.readlink("/proc/self/fd/%d" % fds[0]) + "\n")
# struct seccomp_notif (80 bytes) in, struct seccomp_notif_resp (24 bytes) out
notif = bytearray(80)
fcntl.ioctl(fds[0], 0xC0502100, notif)
nid, pid, flags, nr = struct.unpack_from("=QIIi", notif)
fcntl.ioctl(fds[0], 0xC0182101, struct.pack("=QqiI", nid, 0, -errno.ETXTBSY, 0))
with open(log, "a") as f:
    f.write("answered syscall %d\n" % nr)
PY
  AGENT=$!
  for i in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
  return 1
}

@test "seccomp SCMP_ACT_NOTIFY: the listener goes to listenerPath with the state and metadata" {
  need python3
  sock=$BATS_TEST_TMPDIR/agent.sock
  log=$BATS_TEST_TMPDIR/agent.log
  seccomp_agent "$sock" "$log"
  b=$(cell_bundle ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$sock\", \"listenerMetadata\": \"meta-$ID\", \"syscalls\": [{\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_NOTIFY\"}]} | .process.args = [\"sh\", \"-c\", \"mkdir /tmp/a; mkdir /tmp/b; echo done\"]")
  run cellrt run --bundle "$b" "$ID"
  wait "$AGENT" || true
  echo "$output"
  cat "$log"
  [ "$status" -eq 0 ]
  # the first mkdir was answered by the agent, the second found no listener any more
  [[ "${lines[0]}" == *"Text file busy"* ]]
  [[ "${lines[1]}" == *"Function not implemented"* ]]
  [ "${lines[2]}" = done ]
  [ "$(sed -n 1p "$log" | jq -r '[.fds[0], .metadata, .state.id, .state.status, (.pid > 0)] | join(" ")')" = "seccompFd meta-$ID $ID creating true" ]
  [ "$(sed -n 2p "$log")" = "anon_inode:seccomp notify" ]
  [[ "$(sed -n 3p "$log")" == "answered syscall "* ]]
  # this profile (its metadata names this test) is unique: drop its cached program
  rm -f $(grep -l -- "meta-$ID" "$CELL_TEST_ROOT"/.seccomp/*)
}

@test "seccomp SCMP_ACT_NOTIFY without listenerPath, or an agent that is not there, is refused" {
  b=$(cell_bundle '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"SCMP_ACT_NOTIFY needs listenerPath"* ]]
  b=$(cell_bundle ".linux.seccomp = {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$BATS_TEST_TMPDIR/nobody.sock\", \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_NOTIFY\"}]} | .process.args = [\"echo\", \"ran\"]")
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.seccomp.listenerPath: connect $BATS_TEST_TMPDIR/nobody.sock"* ]]
  [[ "$output" != *ran* ]]
  [ ! -e "$CELL_TEST_ROOT/$ID" ]
}

@test "the seccomp program cache: reused for the same profile, never for another one" {
  cache=$CELL_TEST_ROOT/.seccomp
  pa='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}], "listenerMetadata": "'$ID'-a"}'
  pb='{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}], "listenerMetadata": "'$ID'-b"}'
  b=$(cell_bundle ".linux.seccomp = $pa | .process.args = [\"mkdir\", \"/dev/shm/x\"]")
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"Operation not permitted"* ]]
  fa=$(grep -l -- "$ID-a" "$cache"/*)
  [ -n "$fa" ]
  # the same profile again: served from the cache file, same effect
  touch -d '1 hour ago' "$fa"
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"Operation not permitted"* ]]
  b=$(cell_bundle ".linux.seccomp = $pb | .process.args = [\"mkdir\", \"/dev/shm/x\"]")
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"Permission denied"* ]]
  fb=$(grep -l -- "$ID-b" "$cache"/*)
  # a cache file that holds another profile's program (as a name collision would) is not used
  cp "$fa" "$fb"
  run cellrt run --bundle "$b" "$ID"
  [[ "$output" == *"Permission denied"* ]]
  grep -q -- "$ID-b" "$fb"
  rm -f "$fa" "$fb"
}
