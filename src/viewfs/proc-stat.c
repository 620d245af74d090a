/* proc-stat.c - /proc/stat with the reader's cpus and the cgroup's own cpu time. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "viewfs.h"

int render_stat(const char *host, const struct stat_facts *f, struct vbuf *out)
{
	unsigned n = f->ncpus ? f->ncpus : 1;
	uint64_t busy = f->user_ticks + f->system_ticks;
	uint64_t cap = f->uptime_ticks * n;
	uint64_t idle = cap > busy ? cap - busy : 0;
	int r = vbuf_printf(out, "cpu  %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n",
			    f->user_ticks, f->system_ticks, idle);
	/* The cgroup's time has no per-cpu split on v2 (and none that matches the cut on v1):
	 * spread it evenly so that every line adds up to the total. */
	for (unsigned i = 0; i < n && r == 0; i++) {
		uint64_t u = f->user_ticks / n + (i == 0 ? f->user_ticks % n : 0);
		uint64_t s = f->system_ticks / n + (i == 0 ? f->system_ticks % n : 0);
		uint64_t id = f->uptime_ticks > u + s ? f->uptime_ticks - u - s : 0;
		r = vbuf_printf(out, "cpu%u %" PRIu64 " 0 %" PRIu64 " %" PRIu64 " 0 0 0 0 0 0\n", i,
				u, s, id);
	}
	if (r < 0)
		return r;
	/* intr, ctxt, btime, processes, procs_*, softirq: the host's */
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		if (strncmp(l, "cpu", 3) != 0 && (r = vbuf_put(out, l, len)) < 0)
			return r;
		l += len;
	}
	return 0;
}
