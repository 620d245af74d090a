/* fuzz-cgroup.c - every cgroup-file parser and the host-file renderers on arbitrary input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "viewfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cpumask mask;
	static struct io_dev devs[8];
	char *s = malloc(size + 1);
	uint64_t a, b;
	size_t n;
	char path[64];
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)cg_parse_limit(s, &a);
	(void)cg_parse_cpulist(s, &mask);
	(void)cg_parse_cpu_max(s, &a, &b);
	(void)cg_parse_keyed(s, "total_cache", &a);
	(void)cg_parse_proc_cgroup(s, "memory", path, sizeof(path));
	(void)cg_parse_proc_cgroup(s, "", path, sizeof(path));
	(void)cg_parse_io_stat_v2(s, devs, 8, &n);
	(void)cg_parse_blkio_v1(s, s, devs, 8, &n);
	/* the renderers walk host files line by line: they must cope with any text */
	struct vbuf out = { 0 };
	struct mem_facts mf = { .limit = 1 << 28, .usage = a, .swap_limit = VIEW_UNLIMITED };
	unsigned cpus[2] = { 0, 1 };
	struct stat_facts sf = {
		.ncpus = 2, .user_ticks = a, .system_ticks = b, .uptime_ticks = 1
	};
	(void)render_meminfo(s, &mf, &out);
	(void)render_cpuinfo(s, cpus, 2, &out);
	(void)render_stat(s, &sf, &out);
	(void)render_diskstats(s, devs, n < 8 ? n : 0, &out);
	(void)render_swaps(s, &mf, 1024, &out);
	(void)render_cpumap(s, (unsigned)(a % 80), &out);
	vbuf_free(&out);
	free(s);
	return 0;
}
