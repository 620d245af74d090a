#!/usr/bin/env bats
# manager-network.bats - managed networks: bridge, NAT, DHCP and DNS through dnsmasq, nic devices.
# celld runs inside a network namespace this suite creates (a holder process keeps it alive across
# celld restarts), so every bridge, veth, nftables table and packet stays in there.

load helpers

# The holder's namespace file; never the host's (unshare may not have made its own yet, and a
# reused pid would be some other process).
holder_ns() {
  local ns=/proc/$(cat "$BATS_FILE_TMPDIR/holder.pid")/ns/net
  [ "$(readlink "$ns")" != "$(readlink /proc/self/ns/net)" ] || {
    echo "holder's network namespace is the host's" >&2
    return 1
  }
  echo "$ns"
}

in_ns() {
  local ns
  ns=$(holder_ns) && nsenter --net="$ns" "$@"
}

netcelld_start() {
  # nsenter execs celld, so $! is celld's pid (a function here would fork a subshell).
  local ns
  ns=$(holder_ns) || return 1
  nsenter --net="$ns" "$CELLD" --state-dir "$MGR_STATE" --runtime "$MGR_RUNTIME" --image-dir "$CELL_IMAGE" \
    --cgroup-parent cell-test 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/celld.pid"
  local i
  for i in $(seq 100); do
    [ -S "$CELL_SOCKET" ] && "$CELL" list >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  cat "$MGR_STATE/celld.log" >&2
  return 1
}

setup_file() {
  need_root
  need unshare
  need nsenter
  need nft "nft is not installed (scripts/setup.sh --test installs nftables)"
  need dnsmasq "dnsmasq is not installed (scripts/setup.sh installs dnsmasq-base)"
  export MGR_STATE=$CELL_TEST_ROOT/$CELL_TEST_PREFIX-celld-net
  export CELL_SOCKET=$MGR_STATE/unix.socket
  export MGR_RUNTIME
  MGR_RUNTIME=$(manager_runtime)
  [ -n "$MGR_RUNTIME" ] || cell_skip "no runc-compatible runtime (cellrt or runc)"
  mkdir -p "$CELL_TEST_ROOT"
  leak_snapshot "$BATS_FILE_TMPDIR/leaks.before"
  unshare -n sleep 100000 3>&- &
  echo $! >"$BATS_FILE_TMPDIR/holder.pid"
  # $! is unshare's pid: wait until it has its own namespace (before that it is in the host's).
  local i
  for i in $(seq 100); do
    holder_ns >/dev/null 2>&1 && break
    sleep 0.02
  done
  export NET=cellbr0 SUBNET=10.181.$((RANDOM % 250)) N1=$CELL_TEST_PREFIX-n1 N2=$CELL_TEST_PREFIX-n2
  netcelld_start
}

net_teardown() {
  [ -n "${MGR_STATE:-}" ] || return 0
  local n p
  for n in $("$CELL" list --format csv 2>/dev/null | cut -d, -f1); do
    "$CELL" delete --force "$n" >/dev/null 2>&1 || true
  done
  "$CELL" profile device remove default eth0 >/dev/null 2>&1 || true
  for n in $("$CELL" network list --format csv 2>/dev/null | cut -d, -f1); do
    "$CELL" network delete "$n" >/dev/null 2>&1 || true
  done
  for p in "$MGR_STATE"/networks/*/dnsmasq.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
  done
  mgr_teardown_file
  [ -f "$BATS_FILE_TMPDIR/holder.pid" ] && kill "$(cat "$BATS_FILE_TMPDIR/holder.pid")" 2>/dev/null
  rm -f "$BATS_FILE_TMPDIR/holder.pid"
}

teardown_file() {
  net_teardown
}

# wait_ipv4 NAME [IFNAME]: the instance's address on eth0 (or IFNAME) once DHCP gave it one.
wait_ipv4() {
  local i a
  for i in $(seq 100); do
    a=$(cell exec "$1" -- ip -4 -o addr show "${2:-eth0}" 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.2
  done
  echo "no DHCP address on $1" >&2
  return 1
}

@test "network create: bad input is refused with one line and nothing is made" {
  run cell network create badnet ipv4.address=10.0.0.300/24
  [ "$status" -ne 0 ]
  [[ "$output" == *'invalid value for ipv4.address: "10.0.0.300/24"'* ]]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  run cell network create badnet ipv4.address=10.9.9.0/24
  [[ "$output" == *'invalid value for ipv4.address'* ]]
  run cell network create badnet ipv4.nat=maybe
  [[ "$output" == *'invalid value for ipv4.nat: "maybe"'* ]]
  run cell network create badnet foo.bar=1
  [[ "$output" == *'unknown network config key: foo.bar'* ]]
  run cell network create 0bad
  [[ "$output" == *'invalid network name "0bad"'* ]]
  run cell network create lo
  [ "$status" -ne 0 ]
  [[ "$output" == *'interface named lo exists'* ]]
  run cell network list --format csv
  [ -z "$output" ]
  run in_ns ip -o link show
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  [ -z "$(in_ns nft list ruleset)" ]
  [ -z "$(ls "$MGR_STATE/networks" 2>/dev/null)" ]
}

@test "network create, list, show, set, get; a taken name is refused" {
  cell network create "$NET" ipv4.address="$SUBNET.1/24" ipv4.nat=true \
    ipv6.address=fd42:181::1/64 ipv6.nat=true
  run cell network create "$NET"
  [ "$status" -ne 0 ]
  [ "$output" = "cell: network already exists: $NET" ]
  run cell network list
  [[ "$output" == *"$NET"*"bridge"*"YES"*"$SUBNET.1/24"*"fd42:181::1/64"* ]]
  run cell network list --format json
  [ "$(echo "$output" | jq -r '.[0].config["ipv4.nat"]')" = true ]
  run cell network show "$NET"
  [[ "$output" == *"ipv4.address: $SUBNET.1/24"* ]]
  # cellbr0, like LXD's lxdbr0 after `lxd init`, is eth0 of the default profile.
  [[ "$output" == *"- /1.0/profiles/default"* ]]
  cell network set "$NET" dns.domain=cell.test
  [ "$(cell network get "$NET" dns.domain)" = cell.test ]
  cell network unset "$NET" dns.domain
  [ -z "$(cell network get "$NET" dns.domain)" ]
  in_ns ip -o addr show dev "$NET" | grep -q "inet $SUBNET.1/24"
  in_ns ip -o addr show dev "$NET" | grep -q "inet6 fd42:181::1/64"
  curl -sf --unix-socket "$CELL_SOCKET" http://cell/1.0 | jq -e '.metadata.api_extensions | index("network")'
}

@test "network create with no keys: auto subnets with NAT, as LXD" {
  cell network create autonet
  run cell network list --format json
  echo "$output" | jq -e '.[] | select(.name == "autonet") | .config["ipv4.address"] | test("^10\\.[0-9]+\\.[0-9]+\\.1/24$")'
  echo "$output" | jq -e '.[] | select(.name == "autonet") | .config["ipv4.nat"] == "true"'
  [[ "$(cell network get autonet ipv4.address)" != "$SUBNET.1/24" ]]
  in_ns nft list table inet cell-autonet | grep -q masquerade
  cell network delete autonet
  ! in_ns ip link show autonet 2>/dev/null
}

@test "NAT: the network's masquerade rules are in the ruleset" {
  run in_ns nft list table inet "cell-$NET"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ip saddr $SUBNET.0/24 ip daddr != $SUBNET.0/24 masquerade"* ]]
  [[ "$output" == *"ip6 saddr fd42:181::/64 ip6 daddr != fd42:181::/64 masquerade"* ]]
  cell network set "$NET" ipv4.nat=false
  run in_ns nft list table inet "cell-$NET"
  [[ "$output" != *"ip saddr"* ]]
  cell network set "$NET" ipv4.nat=true
  in_ns nft list table inet "cell-$NET" | grep -q "ip saddr $SUBNET.0/24"
}

@test "two instances get addresses (DHCP, static), ping each other and the gateway, resolve by name" {
  cell launch busybox "$N1"
  cell init busybox "$N2"
  cell config device add "$N2" eth0 nic network="$NET" ipv4.address="$SUBNET.50"
  cell start "$N2"
  a1=$(wait_ipv4 "$N1")
  a2=$(wait_ipv4 "$N2")
  [[ "$a1" == "$SUBNET".* ]]
  [ "$a2" = "$SUBNET.50" ]
  cell exec "$N1" -- ping -c 1 -W 2 "$a2"
  cell exec "$N2" -- ping -c 1 -W 2 "$a1"
  cell exec "$N1" -- ping -c 1 -W 2 "$SUBNET.1"
  run cell exec "$N1" -- nslookup "$N2.cell" "$SUBNET.1"
  [[ "$output" == *"Address: $SUBNET.50"* ]]
  # IPv6: SLAAC from dnsmasq's router advertisements.
  for i in $(seq 50); do
    # Usable once duplicate address detection is over (no longer "tentative").
    v6=$(cell exec "$N2" -- ip -6 -o addr show eth0 scope global | grep -v tentative |
      awk '{print $4}' | cut -d/ -f1)
    [ -n "$v6" ] && break
    sleep 0.2
  done
  [[ "$v6" == fd42:181::* ]]
  cell exec "$N2" -- ping6 -c 1 -W 2 fd42:181::1
  for i in $(seq 25); do
    cell exec "$N1" -- ip -6 -o addr show eth0 scope global | grep -v -q tentative && break
    sleep 0.2
  done
  cell exec "$N1" -- ping6 -c 1 -W 2 "$v6"
  run cell exec "$N2" -- nslookup "$N1.cell"
  [[ "$output" == *"Address: $a1"* ]]
  run cell network list-leases "$NET"
  echo "$output"
  # dnsmasq keeps host names in lower case.
  [[ "$output" == *"${N1,,}"*"$a1"*dynamic* ]]
  [[ "$output" == *"${N2,,}"*"$SUBNET.50"*static* ]]
  # LXD's state.network, which `lxc list` shows as IPV4.
  run curl -sf --unix-socket "$CELL_SOCKET" "http://cell/1.0/instances/$N2/state"
  [ "$(echo "$output" | jq -r '.metadata.network.eth0.addresses[0].address')" = "$SUBNET.50" ]
  # One veth per running container, host side on the bridge.
  [ "$(in_ns ip -o link show master "$NET" type veth | wc -l)" -eq 2 ]
  run cell network show "$NET"
  [[ "$output" == *"/1.0/instances/$N1"* && "$output" == *"/1.0/instances/$N2"* ]]
}

@test "LXD's lxc client: network list/show, launch -n NETWORK, the address in lxc info" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  export LXD_DIR=$MGR_STATE HOME=$BATS_FILE_TMPDIR
  n=$CELL_TEST_PREFIX-l1
  run lxc network list
  [[ "$output" == *"| $NET "*"| bridge "*"| YES "*"$SUBNET.1/24"* ]]
  run lxc network show "$NET"
  [[ "$output" == *"ipv4.address: $SUBNET.1/24"* ]]
  lxc launch busybox "$n" -n "$NET"
  a=$(wait_ipv4 "$n") || true
  devices=$(lxc config device show "$n")
  info=$(lxc info "$n")
  lxc delete -f "$n"
  [[ "$devices" == *"parent: $NET"* ]]
  [[ "$a" == "$SUBNET".* ]]
  # lxc info shows the instance's state.network.
  [[ "$info" == *"$a"* ]]
}

@test "nic devices: bad static addresses and unknown networks are refused" {
  n=$CELL_TEST_PREFIX-n3
  cell init busybox "$n"
  run cell config device add "$n" eth1 nic network="$NET" ipv4.address=192.168.7.5
  [ "$status" -ne 0 ]
  [[ "$output" == *"ipv4.address 192.168.7.5 is not a free host address of network $NET"* ]]
  run cell config device add "$n" eth1 nic network="$NET" ipv4.address="$SUBNET.50"
  [[ "$output" == *"ipv4.address $SUBNET.50 is already used by instance $N2"* ]]
  run cell config device add "$n" eth1 nic network=nosuchnet
  [[ "$output" == *"network not found: nosuchnet"* ]]
  run cell config device add "$n" eth1 nic network="$NET" hwaddr=zz
  [[ "$output" == *"invalid value for hwaddr"* ]]
  run cell config device list "$n"
  [ -z "$output" ]
  cell delete "$n"
}

@test "nic hot-plug: config device add/remove on a running instance, and through its profile" {
  n=$CELL_TEST_PREFIX-hp
  cell network create hpnet ipv4.address=10.183.7.1/24 ipv6.address=none
  cell profile create hp
  cell launch busybox "$n"
  cell config device add "$n" eth1 nic network=hpnet ipv4.address=10.183.7.20
  [ "$(wait_ipv4 "$n" eth1)" = 10.183.7.20 ]
  cell exec "$n" -- ping -c 1 -W 2 10.183.7.1
  [ "$(in_ns ip -o link show master hpnet type veth | wc -l)" -eq 1 ]
  [ -n "$(ls "$MGR_STATE/networks/hpnet/dnsmasq.hosts")" ]
  cell network list-leases hpnet | grep -q 10.183.7.20
  cell config device remove "$n" eth1
  run cell exec "$n" -- ip link show eth1
  [ "$status" -ne 0 ]
  [ "$(in_ns ip -o link show master hpnet type veth | wc -l)" -eq 0 ]
  [ -z "$(ls "$MGR_STATE/networks/hpnet/dnsmasq.hosts")" ]
  # Its lease is gone too.
  [ "$(cell network list-leases hpnet | grep -c 10.183.7.20)" -eq 0 ]
  # A nic added to (then removed from) a profile the running instance uses: live too, as LXD.
  cell profile assign "$n" default,hp
  cell profile device add hp eth2 nic network=hpnet
  [[ "$(wait_ipv4 "$n" eth2)" == 10.183.7.* ]]
  cell exec "$n" -- ping -c 1 -W 2 10.183.7.1
  cell profile device remove hp eth2
  run cell exec "$n" -- ip link show eth2
  [ "$status" -ne 0 ]
  # eth0 was never touched.
  cell exec "$n" -- ping -c 1 -W 2 "$SUBNET.1"
  [ "$(in_ns ip -o link show master hpnet type veth | wc -l)" -eq 0 ]
  # A nic refused (an address taken on the network) or failing to plug (its interface name is
  # taken in the instance) changes nothing, even next to one that would plug.
  run cell config device add "$n" eth1 nic network="$NET" ipv4.address="$SUBNET.50"
  [ "$status" -ne 0 ]
  curl -s --unix-socket "$CELL_SOCKET" -X PATCH "http://cell/1.0/instances/$n" -d \
    '{"devices": {"eth5": {"type": "nic", "network": "hpnet"}, "eth6": {"type": "nic", "network": "hpnet", "name": "eth0"}}}' |
    tee "$BATS_TEST_TMPDIR/patch.json"
  [[ "$(jq -r .error "$BATS_TEST_TMPDIR/patch.json")" == "device eth6: "*"File exists"* ]]
  [ -z "$(cell config device list "$n")" ]
  [ "$(cell exec "$n" -- ls /sys/class/net | grep -c eth)" -eq 1 ]
  [ "$(in_ns ip -o link show master hpnet type veth | wc -l)" -eq 0 ]
  [ -z "$(ls "$MGR_STATE/networks/hpnet/dnsmasq.hosts")" ]
  cell delete -f "$n"
  cell profile delete hp
  cell network delete hpnet
  ! in_ns ip link show hpnet 2>/dev/null
}

@test "nic hot-plug through LXD's lxc client (config device add/remove)" {
  need lxc "Debian's lxd-client is not installed (scripts/setup.sh --test)"
  export LXD_DIR=$MGR_STATE HOME=$BATS_FILE_TMPDIR
  lxc config device add "$N1" eth3 nic network="$NET"
  [[ "$(wait_ipv4 "$N1" eth3)" == "$SUBNET".* ]]
  [ "$(in_ns ip -o link show master "$NET" type veth | wc -l)" -eq 3 ]
  lxc config device remove "$N1" eth3
  run cell exec "$N1" -- ip link show eth3
  [ "$status" -ne 0 ]
  [ "$(in_ns ip -o link show master "$NET" type veth | wc -l)" -eq 2 ]
}

@test "static IPv6 addresses (ipv6.address) at start and hot-plugged answer ping -6; bad ones refused" {
  n=$CELL_TEST_PREFIX-v6
  run cell config device add "$N1" eth1 nic network="$NET" ipv6.address=fd42:999::10
  [ "$status" -ne 0 ]
  [ "$output" = "cell: device eth1: ipv6.address fd42:999::10 is not a free host address of network $NET (fd42:181::1/64)" ]
  run cell config device add "$N1" eth1 nic network="$NET" ipv6.address=zz::1
  [ "$output" = 'cell: device eth1: invalid value for ipv6.address: "zz::1" (expected an IPv6 address like fd42:181::10)' ]
  run cell config device add "$N1" eth1 nic network="$NET" ipv6.address="$SUBNET.9"
  [[ "$output" == *"invalid value for ipv6.address: \"$SUBNET.9\""* ]]
  run cell config device add "$N1" eth1 nic network="$NET" ipv6.address=fd42:181::1
  [[ "$output" == *"ipv6.address fd42:181::1 is not a free host address"* ]]
  [ -z "$(cell config device list "$N1")" ]
  cell init busybox "$n"
  cell config device add "$n" eth0 nic network="$NET" ipv6.address=fd42:181::10
  run cell config device add "$N2" eth1 nic network="$NET" ipv6.address=fd42:181:0::10
  [[ "$output" == *"ipv6.address fd42:181:0::10 is already used by instance $n"* ]]
  cell start "$n"
  cell exec "$n" -- ip -6 -o addr show eth0 | grep -q "fd42:181::10/64"
  cell exec "$N1" -- ping6 -c 1 -W 2 fd42:181::10
  curl -sf --unix-socket "$CELL_SOCKET" "http://cell/1.0/instances/$n/state" |
    jq -e '.metadata.network.eth0.addresses[] | select(.family == "inet6" and .address == "fd42:181::10")'
  cell config device add "$n" eth1 nic network="$NET" ipv6.address=fd42:181::11
  cell exec "$n" -- ip -6 -o addr show eth1 | grep -q "fd42:181::11/64"
  cell exec "$N1" -- ping6 -c 1 -W 2 fd42:181::11
  cell delete -f "$n"
}

@test "deleting a network in use is refused and changes nothing" {
  run cell network delete "$NET"
  [ "$status" -ne 0 ]
  [[ "$output" == "cell: network is in use: $NET (by instances/$N1, instances/$N2, profiles/default)" ]]
  in_ns ip link show "$NET" >/dev/null
  cell exec "$N1" -- ping -c 1 -W 2 "$SUBNET.50"
}

@test "a stopped instance's veth is gone; it comes back at start" {
  cell stop "$N1"
  [ "$(in_ns ip -o link show master "$NET" type veth | wc -l)" -eq 1 ]
  cell start "$N1"
  [ "$(in_ns ip -o link show master "$NET" type veth | wc -l)" -eq 2 ]
  wait_ipv4 "$N1"
}

@test "celld re-attaches to a running dnsmasq, and restarts one that died" {
  pidf=$MGR_STATE/networks/$NET/dnsmasq.pid
  before=$(cat "$pidf")
  celld_stop
  kill -0 "$before"
  netcelld_start
  [ "$(cat "$pidf")" = "$before" ]
  kill "$before"
  while kill -0 "$before" 2>/dev/null; do sleep 0.05; done
  celld_stop
  netcelld_start
  after=$(cat "$pidf")
  [ "$after" != "$before" ]
  kill -0 "$after"
  run cell exec "$N1" -- nslookup "$N2.cell" "$SUBNET.1"
  [[ "$output" == *"Address: $SUBNET.50"* ]]
}

@test "delete leaves nothing: no veth, no nftables table, no dnsmasq, no state" {
  pid=$(cat "$MGR_STATE/networks/$NET/dnsmasq.pid")
  cell delete -f "$N1" "$N2"
  [ -z "$(ls "$MGR_STATE/networks/$NET/dnsmasq.hosts")" ]
  cell profile device remove default eth0
  cell network delete "$NET"
  run cell network list --format csv
  [ -z "$output" ]
  [ "$(in_ns ip -o link show | wc -l)" -eq 1 ]
  [ -z "$(in_ns nft list ruleset)" ]
  ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ]
  [ ! -e "$MGR_STATE/networks/$NET" ]
}

@test "cellbr0 is created on demand when the first instance using it starts" {
  n=$CELL_TEST_PREFIX-n4
  cell init busybox "$n"
  cell config device add "$n" eth0 nic network=cellbr0
  run cell network list --format csv
  [ -z "$output" ]
  cell start "$n"
  run cell network get cellbr0 ipv4.address
  [[ "$output" =~ ^10\.[0-9]+\.[0-9]+\.1/24$ ]]
  [[ "$(wait_ipv4 "$n")" == "${output%.1/24}".* ]]
  cell delete -f "$n"
  cell profile device remove default eth0
  cell network delete cellbr0
  [ "$(in_ns ip -o link show | wc -l)" -eq 1 ]
}

@test "celld killed mid-change: a network left creating is undone, one left deleting is finished" {
  cell network create crash1 ipv4.address=10.182.1.1/24 ipv6.address=none
  cell network create crash2 ipv4.address=10.182.2.1/24 ipv6.address=none
  pid1=$(cat "$MGR_STATE/networks/crash1/dnsmasq.pid")
  celld_kill9
  # What a SIGKILL between the row's intent and the host work leaves in the database.
  python3 - "$MGR_STATE/cell.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE networks SET state = 'creating' WHERE name = 'crash1'")
db.execute("UPDATE networks SET state = 'deleting' WHERE name = 'crash2'")
db.commit()
PY
  netcelld_start
  run cell network list --format csv
  [ -z "$output" ]
  [ "$(in_ns ip -o link show | wc -l)" -eq 1 ]
  [ -z "$(in_ns nft list ruleset)" ]
  [ -z "$(ls "$MGR_STATE/networks")" ]
  ! kill -0 "$pid1" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid1/stat")" = Z ]
}

@test "the suite leaves no instance, network, mount, cgroup or process behind" {
  net_teardown
  mgr_leak_check "$BATS_FILE_TMPDIR/leaks.before"
}
