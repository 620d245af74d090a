/* sys-cpu.c - /sys/devices/system/cpu/online: the reader's cpus, renumbered from 0. */
#include "viewfs.h"

int render_cpu_online(unsigned n, struct vbuf *out)
{
	return n <= 1 ? vbuf_printf(out, "0\n") : vbuf_printf(out, "0-%u\n", n - 1);
}
