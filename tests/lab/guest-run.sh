# guest-run.sh - PID 1 of the lab after switch_root (busybox sh): run the caller's command with its
# output on the virtio ports, report its exit status, power off. While it waits for the command, ash
# reaps every child (waitpid(-1)), so orphans never linger as zombies, as under a real init.
bb=/run/cell-lab/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
run=$($bb cat /run/cell-lab/run-dir)
port=/dev/virtio-ports

# kvm-amd came from the initramfs; further modules load on demand through the host's own
# /sbin/modprobe and /lib/modules (same kernel package).
[ -c /dev/kvm ] || echo "cell-lab: no /dev/kvm" >$port/err

/bin/bash "$run/cmd.sh" </dev/null >$port/out 2>$port/err
echo $? >$port/status
$bb sync
$bb poweroff -f
