# guest-run.sh - PID 1 of the lab after switch_root (busybox sh): load kvm-amd, run the caller's
# command with its output on the virtio ports, report its exit status, power off.
bb=/run/cell-lab/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
run=$($bb cat /run/cell-lab/run-dir)
port=/dev/virtio-ports

# From here on the host's own /sbin/modprobe and /lib/modules serve the lab kernel.
modprobe kvm-amd 2>/dev/null || echo "cell-lab: modprobe kvm-amd failed" >$port/err

/bin/bash "$run/cmd.sh" </dev/null >$port/out 2>$port/err
echo $? >$port/status
$bb sync
$bb poweroff -f
