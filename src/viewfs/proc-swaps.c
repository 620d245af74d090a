/* proc-swaps.c - /proc/swaps showing the reader's swap limit as one virtual device. */
#include <inttypes.h>
#include <string.h>

#include "viewfs.h"

int render_swaps(const char *host_swaps, const struct mem_facts *f, uint64_t host_swap_kb,
		 struct vbuf *out)
{
	const char *nl = strchr(host_swaps, '\n');
	int r = nl ? vbuf_put(out, host_swaps, (size_t)(nl - host_swaps) + 1) :
		     vbuf_printf(out, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
	if (r < 0)
		return r;
	uint64_t total = f->swap_limit == VIEW_UNLIMITED || f->swap_limit / 1024 > host_swap_kb ?
				 host_swap_kb :
				 f->swap_limit / 1024;
	uint64_t used = f->swap_usage / 1024 < total ? f->swap_usage / 1024 : total;
	if (total == 0)
		return 0;
	return vbuf_printf(out, "none\t\t\t\t\tvirtual\t\t%" PRIu64 "\t\t%" PRIu64 "\t\t0\n", total,
			   used);
}
