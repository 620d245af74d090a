/* proc-diskstats.c - /proc/diskstats with the reader's cgroup I/O counters per device. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "viewfs.h"

int render_diskstats(const char *host, const struct io_dev *devs, size_t n, struct vbuf *out)
{
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		unsigned ma, mi;
		char name[64];
		if (sscanf(l, "%u %u %63s", &ma, &mi, name) == 3) {
			for (size_t i = 0; i < n; i++) {
				const struct io_dev *d = &devs[i];
				if (d->major != ma || d->minor != mi || d->rios + d->wios == 0)
					continue;
				/* Times, merges and queue depth are not kept per cgroup: 0. */
				int r = vbuf_printf(out,
						    "%4u %7u %s %" PRIu64 " 0 %" PRIu64
						    " 0 %" PRIu64 " 0 %" PRIu64
						    " 0 0 0 0 0 0 0 0 0 0\n",
						    ma, mi, name, d->rios, d->rbytes / 512, d->wios,
						    d->wbytes / 512);
				if (r < 0)
					return r;
			}
		}
		l += len;
	}
	return 0;
}
