#!/usr/bin/env bats
# badinput.bats - every bad input gives one line naming the field or path, a non-zero exit, and
# leaves nothing behind (state, cgroup, mount, process); unknown properties are ignored.

load "$CELL_SOURCE_ROOT/tests/integration/lib"
load runtime

@test "a missing config.json" {
  mkdir -p "$BATS_TEST_TMPDIR/empty"
  refused "empty/config.json: No such file or directory" cellrt run --bundle "$BATS_TEST_TMPDIR/empty" "$ID"
}

@test "a malformed config.json names the file, line and column" {
  b=$(cell_bundle)
  echo '{"ociVersion": "1.1.0", "process": {' >"$b/config.json"
  refused "config.json:" cellrt create --bundle "$b" "$ID"
}

@test "a field of the wrong type is named by its path" {
  b=$(cell_bundle '.process.args = "sh"')
  refused "process.args" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]')
  refused "process.rlimits[0].type: unknown rlimit 'RLIMIT_BOGUS'" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.mounts[0].destination = "relative"')
  refused "mounts[0].destination" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle 'del(.root)')
  refused "root: required" cellrt run --bundle "$b" "$ID"
}

@test "an unknown namespace type" {
  b=$(cell_bundle '.linux.namespaces += [{"type": "bogus"}]')
  refused "linux.namespaces[6].type: unknown namespace type 'bogus'" cellrt run --bundle "$b" "$ID"
}

@test "a nonexistent rootfs" {
  b=$(cell_bundle '.root.path = "/nonexistent/rootfs"')
  refused "root.path: /nonexistent/rootfs: No such file or directory" cellrt run --bundle "$b" "$ID"
}

@test "a duplicate container id leaves the first one alone" {
  b=$(cell_bundle '.process.args = ["sleep", "100"]')
  cellrt create --bundle "$b" "$ID"
  run cellrt create --bundle "$b" "$ID"
  [ "$status" -ne 0 ]
  [ "$output" = "cellrt: container $ID already exists" ]
  [ "$(cellrt state "$ID" | jq -r .status)" = created ]
  cellrt delete "$ID"
}

@test "a mapping the kernel refuses" {
  b=$(cell_bundle '.linux.namespaces += [{"type": "user"}] | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 10}, {"containerID": 5, "hostID": 200000, "size": 10}] | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 10}]')
  refused "linux.uidMappings: the kernel refused the mapping '0 100000 10,5 200000 10': Invalid argument" cellrt run --bundle "$b" "$ID"
}

@test "mappings without a user namespace, and a user namespace without mappings" {
  b=$(cell_bundle '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]')
  refused "linux.uidMappings" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.linux.namespaces += [{"type": "user"}]')
  refused "linux.uidMappings" cellrt run --bundle "$b" "$ID"
}

@test "a program that does not exist is named, and nothing is left" {
  b=$(cell_bundle '.process.args = ["/no/such/program"]')
  refused "process.args[0]: /no/such/program: No such file or directory" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.process.args = ["nosuchprogram"]')
  refused "nosuchprogram not found" cellrt create --bundle "$b" "$ID"
}

@test "a bad cwd and a failing mount are named" {
  b=$(cell_bundle '.process.cwd = "/nonexistent"')
  refused "process.cwd: /nonexistent" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.mounts += [{"destination": "/x", "type": "bind", "source": "/nonexistent-src"}]')
  refused "mounts[7]: mount /x: source /nonexistent-src" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]')
  refused "mounts[7]: mount /x" cellrt run --bundle "$b" "$ID"
}

@test "bad ids and unknown commands or flags" {
  b=$(cell_bundle)
  run cellrt run --bundle "$b" "a/b"
  [ "$status" -ne 0 ]
  [[ "$output" == "cellrt: container id 'a/b': invalid" ]]
  run cellrt state "$ID"
  [ "$status" -ne 0 ]
  [ "$output" = "cellrt: container $ID does not exist" ]
  run cellrt run --bogus "$ID"
  [ "$status" -ne 0 ]
}

@test "unknown properties are ignored, as the spec requires" {
  b=$(cell_bundle '.futureThing = {"a": [1, 2]} | .process.futureField = true | .linux.futureLinux = "x" | .mounts[0].futureMount = 1 | .process.args = ["echo", "fine"]')
  run cellrt run --bundle "$b" "$ID"
  [ "$status" -eq 0 ]
  [ "$output" = fine ]
}

@test "config fields this runtime cannot honour or read are refused by name, not ignored" {
  b=$(cell_bundle '.linux.intelRdt = {"closID": "x"}')
  refused "linux.intelRdt: not supported" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.linux.personality = {"domain": "LINUX64"}')
  refused "linux.personality.domain: LINUX64 is neither LINUX nor LINUX32" cellrt run --bundle "$b" "$ID"
  b=$(cell_bundle '.process.ioPriority = {"class": "IOPRIO_CLASS_NONE", "priority": 0}')
  refused "process.ioPriority.class: unknown class IOPRIO_CLASS_NONE" cellrt create --bundle "$b" "$ID"
  b=$(cell_bundle '.process.scheduler = {"nice": 3}')
  refused "process.scheduler.policy: required" cellrt create --bundle "$b" "$ID"
}

@test "a seccomp rule naming a syscall no architecture has is refused, naming it and where" {
  # run before create: a create that wrongly succeeded would hold refused's output pipe open
  b=$(cell_bundle '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}, {"names": ["mkdirat", "openatt"], "action": "SCMP_ACT_ERRNO"}]} | .process.args = ["true"]')
  refused "linux.seccomp.syscalls[1].names[1]: unknown syscall 'openatt'" cellrt run --bundle "$b" "$ID"
  refused "linux.seccomp.syscalls[1].names[1]: unknown syscall 'openatt'" cellrt create --bundle "$b" "$ID"
  # also in a rule whose action is the default one, which adds nothing to the filter
  b=$(cell_bundle '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpidd"], "action": "SCMP_ACT_ALLOW"}]} | .process.args = ["true"]')
  refused "linux.seccomp.syscalls[0].names[0]: unknown syscall 'getpidd'" cellrt run --bundle "$b" "$ID"
}

@test "seccomp names of other architectures (as default profiles list them) are skipped, not refused" {
  # socketcall is i386's, arm_fadvise64_64 arm's, s390_runtime_instr s390's; mseal is newer than
  # Debian 12's libseccomp (skipped with a warning there)
  b=$(cell_bundle '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "syscalls": [{"names": ["socketcall", "arm_fadvise64_64", "s390_runtime_instr", "mseal", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]} | .process.args = ["sh", "-c", "mkdir /dev/shm/d 2>&1; echo ran"]')
  run cellrt run --bundle "$b" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Operation not permitted"*ran* ]]
  [[ "$output" != *socketcall* && "$output" != *arm_fadvise64_64* ]]
}

@test "--preserve-fds past the open fds is refused naming the first missing one" {
  b=$(cell_bundle '.process.args = ["true"]')
  refused "--preserve-fds 2: fd 3 is not open" cellrt run --preserve-fds 2 --bundle "$b" "$ID" 3<&- 4</dev/null
  refused "--preserve-fds 3: fd 5 is not open" cellrt create --preserve-fds 3 --bundle "$b" "$ID" 3</dev/null 4</dev/null 5<&-
  # the count is checked against what cellrt inherited, not what it opened itself (the log)
  refused "--preserve-fds 1: fd 3 is not open" cellrt --log "$BATS_TEST_TMPDIR/log" create --preserve-fds 1 --bundle "$b" "$ID" 3<&-
  refused "--preserve-fds: 'x' is not a count of fds" cellrt create --preserve-fds x --bundle "$b" "$ID"
}
