#!/usr/bin/python3
"""cri-pod.py - drive a pod through a CRI runtime's gRPC API the way the kubelet does, without crictl
(not in Debian 12): RunPodSandbox with a runtime handler, CreateContainer, StartContainer, ExecSync,
then stop and remove everything. Only Debian's python3-grpcio is needed: the few CRI messages used
are encoded here by field number (k8s.io/cri-api, runtime.v1).

usage: cri-pod.py SOCKET HANDLER NAME CGROUP_PARENT LOG_DIR IMAGE MEMORY_BYTES [CHECK]
Prints one line per step ("sandbox <id>", "container <id>", "exec <exit> <stdout>", "removed").
CHECK, a shell command, runs while the container does, with CRI_CONTAINER_ID set ("check <out>").
"""
import os
import subprocess
import sys

import grpc

SERVICE = "/runtime.v1.RuntimeService/"
NODE, CONTAINER = 2, 1  # NamespaceMode


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def msg(*fields):
    """Encode a message from (field number, value) pairs: int -> varint, str/bytes -> bytes,
    tuple -> nested message (already encoded with msg), list -> repeated."""
    out = bytearray()
    for num, value in fields:
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, bool) or isinstance(v, int):
                out += varint(num << 3) + varint(int(v))
            else:
                data = v.encode() if isinstance(v, str) else bytes(v)
                out += varint(num << 3 | 2) + varint(len(data)) + data
    return bytes(out)


def parse(data):
    """Decode one message level: {field number: [values]} (varints as int, the rest as bytes)."""
    fields, i = {}, 0
    while i < len(data):
        key, i = read_varint(data, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            v, i = data[i:i + n], i + n
        elif wire == 1:
            v, i = data[i:i + 8], i + 8
        elif wire == 5:
            v, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {wire}")
        fields.setdefault(num, []).append(v)
    return fields


def read_varint(data, i):
    n = shift = 0
    while True:
        b = data[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def main():
    sock, handler, name, cgparent, logdir, image, memory = sys.argv[1:8]
    channel = grpc.insecure_channel("unix://" + sock)

    def call(method, body, timeout=60):
        rpc = channel.unary_unary(SERVICE + method, request_serializer=lambda b: b,
                                  response_deserializer=lambda b: b)
        return parse(rpc(body, timeout=timeout))

    # The pod: the node's network (no CNI here), its own pid namespace per container.
    ns_opts = msg((1, NODE), (2, CONTAINER), (3, NODE))
    sandbox_config = msg(
        (1, msg((1, name), (2, name + "-uid"), (3, "default"), (4, 0))),  # metadata
        (3, logdir),  # log_directory
        (8, msg((1, cgparent), (2, msg((1, ns_opts))))),  # linux: cgroup_parent, security_context
    )
    sandbox = call("RunPodSandbox", msg((1, sandbox_config), (2, handler)))[1][0].decode()
    print("sandbox", sandbox, flush=True)
    try:
        resources = msg((4, int(memory)))  # memory_limit_in_bytes
        security = msg((3, ns_opts))
        config = msg(
            (1, msg((1, "main"), (2, 0))),  # metadata
            (2, msg((1, image))),  # image
            (3, ["sleep", "1000"]),  # command
            (11, "main.log"),  # log_path
            (15, msg((1, resources), (2, security))),  # linux
        )
        ctr = call("CreateContainer", msg((1, sandbox), (2, config), (3, sandbox_config)))
        cid = ctr[1][0].decode()
        print("container", cid, flush=True)
        call("StartContainer", msg((1, cid)))
        out = call("ExecSync", msg((1, cid), (2, ["sh", "-c", "echo hello from a pod"]), (3, 30)))
        stdout = out.get(1, [b""])[0].decode().strip()
        print("exec", out.get(3, [0])[0], stdout, flush=True)
        if len(sys.argv) > 8:
            env = dict(os.environ, CRI_CONTAINER_ID=cid)
            check = subprocess.run(["sh", "-c", sys.argv[8]], env=env, capture_output=True,
                                   text=True)
            print("check", check.stdout.strip() or check.stderr.strip(), flush=True)
        call("StopContainer", msg((1, cid), (2, 0)))
        call("RemoveContainer", msg((1, cid)))
    finally:
        call("StopPodSandbox", msg((1, sandbox)))
        call("RemovePodSandbox", msg((1, sandbox)))
        print("removed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        print(f"cri-pod: {e.code().name}: {e.details()}", file=sys.stderr)
        sys.exit(1)
