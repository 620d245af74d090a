/* proc-cpuinfo.c - /proc/cpuinfo cut to the cpus the reader may use, numbered from 0. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viewfs.h"

/* The block's "processor : N" number, or -1. */
static long block_cpu(const char *b, size_t len)
{
	if (len < 9 || strncmp(b, "processor", 9) != 0)
		return -1;
	const char *colon = memchr(b, ':', len);
	return colon ? strtol(colon + 1, NULL, 10) : -1;
}

int render_cpuinfo(const char *host, const unsigned *cpus, unsigned n, struct vbuf *out)
{
	unsigned shown = 0;
	/* x86 and arm64 print one blank-line-separated block per cpu, led by "processor". */
	for (const char *b = host; *b;) {
		const char *end = strstr(b, "\n\n");
		size_t len = end ? (size_t)(end - b) + 2 : strlen(b);
		long cpu = block_cpu(b, len);
		bool keep = false;
		for (unsigned i = 0; i < n && cpu >= 0; i++)
			keep |= cpus[i] == (unsigned)cpu;
		if (keep) {
			const char *nl = memchr(b, '\n', len);
			const char *colon = memchr(b, ':', len);
			int r = vbuf_printf(out, "%.*s: %u", (int)(colon - b), b, shown++);
			/* a block cut short after "processor : N" (no newline) ends there */
			if (r == 0 && nl)
				r = vbuf_put(out, nl, len - (size_t)(nl - b));
			if (r < 0)
				return r;
		} else if (cpu < 0) {
			/* trailing global lines (arm64 "Hardware", s390 headers): keep */
			int r = vbuf_put(out, b, len);
			if (r < 0)
				return r;
		}
		b += len;
	}
	return 0;
}
