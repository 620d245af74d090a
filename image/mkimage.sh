#!/bin/sh
# mkimage.sh OUTDIR - build the built-in busybox image offline: OUTDIR/rootfs and OUTDIR/config.json.
# Only Debian's busybox-static is needed; the result is rebuilt in well under a second.
set -eu

out=$1
template=$2
busybox=${BUSYBOX:-/bin/busybox}

if [ ! -x "$busybox" ] || ! "$busybox" --list-full >/dev/null 2>&1; then
  echo "mkimage: $busybox is missing or not busybox; install busybox-static (scripts/setup.sh)" >&2
  exit 1
fi
# A dynamically linked busybox would not run in a rootfs without a libc.
if grep -q '\.interp' "$busybox"; then
  echo "mkimage: $busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
root="$tmp/rootfs"
mkdir -p "$root"
for d in bin sbin usr/bin usr/sbin etc root tmp proc sys dev run var/log var/tmp home; do
  mkdir -p "$root/$d"
done
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
cp "$busybox" "$root/bin/busybox"
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  mkdir -p "$root/$(dirname "$applet")"
  ln -sf /bin/busybox "$root/$applet"
done

cat >"$root/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$root/etc/group" <<'GR'
root:x:0:
daemon:x:1:
tty:x:5:
users:x:100:
nogroup:x:65534:
GR
echo cell >"$root/etc/hostname"
printf 'Cell busybox image\n' >"$root/etc/issue"
printf 'NAME="cell busybox"\nID=busybox\n' >"$root/etc/os-release"
: >"$root/etc/resolv.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

# Instances with a nic device get eth0 from celld; busybox init runs rcS, which asks for a lease
# (as LXD's images do), and udhcpc's script applies it: address, default route, resolv.conf.
# /etc/cell/nic-up IFNAME is also what celld runs in the container when a nic is hot-plugged.
mkdir -p "$root/etc/init.d" "$root/etc/udhcpc" "$root/etc/cell"
cat >"$root/etc/init.d/rcS" <<'RC'
#!/bin/sh
ip link set lo up 2>/dev/null
for dev in /sys/class/net/eth*; do
  [ -e "$dev" ] || continue
  /etc/cell/nic-up "${dev##*/}"
done
RC
cat >"$root/etc/cell/nic-up" <<'UP'
#!/bin/sh
ip link set "$1" up
udhcpc -b -i "$1" -x "hostname:$(hostname)" -s /etc/udhcpc/default.script >/dev/null 2>&1
UP
cat >"$root/etc/udhcpc/default.script" <<'SCRIPT'
#!/bin/sh
case "$1" in
deconfig)
  ip -4 addr flush dev "$interface"
  ip link set "$interface" up
  ;;
bound|renew)
  ip -4 addr flush dev "$interface"
  ip addr add "$ip/${mask:-24}" dev "$interface"
  for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
  { [ -n "$domain" ] && echo "search $domain"; for s in $dns; do echo "nameserver $s"; done; } >/etc/resolv.conf
  ;;
esac
exit 0
SCRIPT
chmod 0755 "$root/etc/init.d/rcS" "$root/etc/udhcpc/default.script" "$root/etc/cell/nic-up"

cp "$template" "$tmp/config.json"

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
