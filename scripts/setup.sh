#!/bin/sh
# setup.sh [--test] - install what cell needs from Debian's archive (as root). With --test, also the
# peers and tools the test suites and benchmarks drive (crun, runc, bats, QEMU and a kernel for the lab,
# podman/conmon and containerd as real OCI clients of cellrt, umoci to build their images).
set -eu

build_pkgs="meson ninja-build gcc pkg-config libc6-dev
  libjansson-dev libseccomp-dev libcap-dev libfuse3-dev libmnl-dev libsqlite3-dev libarchive-dev
  libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libbpf-dev liblz4-dev
  libnftables-dev dnsmasq-base busybox-static iproute2 python3 debootstrap"
test_pkgs="libcmocka-dev bats jq tmux clang lld libclang-rt-14-dev clang-format crun runc fuse3
  lxcfs qemu-system-x86 qemu-utils linux-image-cloud-amd64 cpio kmod git strace lxc lxd-client
  podman conmon containerd umoci containernetworking-plugins iptables nftables python3-grpcio
  btrfs-progs"

pkgs=$build_pkgs
[ "${1:-}" = --test ] && pkgs="$pkgs $test_pkgs"

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: run as root to install:$missing" >&2
    exit 1
  fi
  echo "setup: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
