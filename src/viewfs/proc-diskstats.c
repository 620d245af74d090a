/* proc-diskstats.c - /proc/diskstats with the reader's cgroup I/O counters per device. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewfs.h"

int disk_table_parse(const char *host, struct disk_table *t)
{
	t->n = 0;
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		struct disk_name d;
		if (sscanf(l, "%u %u %63s", &d.major, &d.minor, d.name) == 3) {
			if (t->n == t->cap) {
				size_t cap = t->cap ? t->cap * 2 : 32;
				struct disk_name *nd = realloc(t->d, cap * sizeof(*nd));
				if (!nd)
					return -ENOMEM;
				t->d = nd;
				t->cap = cap;
			}
			t->d[t->n++] = d;
		}
		l += len;
	}
	return 0;
}

void disk_table_free(struct disk_table *t)
{
	free(t->d);
	*t = (struct disk_table){ 0 };
}

bool disk_table_covers(const struct disk_table *t, const struct io_dev *devs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool found = devs[i].rios + devs[i].wios == 0; /* not shown: needs no name */
		for (size_t k = 0; k < t->n && !found; k++)
			found = t->d[k].major == devs[i].major && t->d[k].minor == devs[i].minor;
		if (!found)
			return false;
	}
	return true;
}

int render_diskstats_table(const struct disk_table *t, const struct io_dev *devs, size_t n,
			   struct vbuf *out)
{
	/* In the host's order of devices, as /proc/diskstats lists them. */
	for (size_t k = 0; k < t->n; k++) {
		const struct disk_name *dn = &t->d[k];
		for (size_t i = 0; i < n; i++) {
			const struct io_dev *d = &devs[i];
			if (d->major != dn->major || d->minor != dn->minor ||
			    d->rios + d->wios == 0)
				continue;
			/* Times, merges and queue depth are not kept per cgroup: 0. */
			int r = vbuf_printf(out,
					    "%4u %7u %s %" PRIu64 " 0 %" PRIu64 " 0 %" PRIu64
					    " 0 %" PRIu64 " 0 0 0 0 0 0 0 0 0 0\n",
					    dn->major, dn->minor, dn->name, d->rios,
					    d->rbytes / 512, d->wios, d->wbytes / 512);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int render_diskstats(const char *host, const struct io_dev *devs, size_t n, struct vbuf *out)
{
	struct disk_table t = { 0 };
	int r = disk_table_parse(host, &t);
	if (r == 0)
		r = render_diskstats_table(&t, devs, n, out);
	disk_table_free(&t);
	return r;
}
