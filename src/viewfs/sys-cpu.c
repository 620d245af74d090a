/* sys-cpu.c - the cpu masks under /sys (cpu/online, node0/cpulist, node0/cpumap): the reader's
 * cpus, renumbered from 0. */
#include <errno.h>
#include <string.h>

#include "viewfs.h"

int render_cpu_online(unsigned n, struct vbuf *out)
{
	return n <= 1 ? vbuf_printf(out, "0\n") : vbuf_printf(out, "0-%u\n", n - 1);
}

/*
 * node0/cpumap is the kernel's "%*pb": 32-bit groups in hex, most significant first, separated
 * by commas, as many as the host's nr_cpu_ids needs; the first group as wide as the host prints
 * it, the others 8 digits. The host's own text gives that shape (lscpu and libnuma parse it).
 */
int render_cpumap(const char *host, unsigned n, struct vbuf *out)
{
	size_t len = strcspn(host, "\n");
	unsigned groups = 1;
	for (size_t i = 0; i < len; i++)
		groups += host[i] == ',';
	int first = (int)strcspn(host, ",\n");
	if (len == 0 || first == 0 || first > 8 || n > groups * 32)
		return -EINVAL;
	for (unsigned g = groups; g-- > 0;) {
		unsigned lo = g * 32;
		uint32_t bits = n <= lo	     ? 0 :
				n - lo >= 32 ? UINT32_MAX :
					       (UINT32_C(1) << (n - lo)) - 1;
		int r = g == groups - 1 ? vbuf_printf(out, "%0*x", first, bits) :
					  vbuf_printf(out, ",%08x", bits);
		if (r < 0)
			return r;
	}
	return vbuf_printf(out, "\n");
}
