/* proc-meminfo.c - /proc/meminfo as the reader's memory cgroup sees it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "viewfs.h"

uint64_t meminfo_value_kb(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		unsigned long long v;
		if (strncmp(l, key, klen) == 0 && l[klen] == ':' &&
		    sscanf(l + klen + 1, "%llu", &v) == 1)
			return v;
	}
	return 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The value (kB) to print for key, or -1 to keep the host's line. */
static int64_t mem_field(const char *key, const struct mem_facts *f, uint64_t total_kb,
			 uint64_t host_swap_kb)
{
	uint64_t used_kb = min_u64(f->usage / 1024, total_kb);
	uint64_t free_kb = total_kb - used_kb;
	uint64_t swap_total = f->swap_limit == VIEW_UNLIMITED ?
				      host_swap_kb :
				      min_u64(f->swap_limit / 1024, host_swap_kb);
	uint64_t swap_used = min_u64(f->swap_usage / 1024, swap_total);
	static const char *const zero[] = { "Buffers", "SwapCached", NULL };
	for (size_t i = 0; zero[i]; i++)
		if (!strcmp(key, zero[i]))
			return 0;
#define F(name, value)          \
	if (!strcmp(key, name)) \
	return (int64_t)(value)
	F("MemTotal", total_kb);
	F("MemFree", free_kb);
	/* Page cache that can be dropped is available too, as the kernel counts it. */
	F("MemAvailable", min_u64(free_kb + (f->active_file + f->inactive_file) / 1024, total_kb));
	F("Cached", min_u64(f->cache / 1024, total_kb));
	F("Active", (f->active_anon + f->active_file) / 1024);
	F("Inactive", (f->inactive_anon + f->inactive_file) / 1024);
	F("Active(anon)", f->active_anon / 1024);
	F("Inactive(anon)", f->inactive_anon / 1024);
	F("Active(file)", f->active_file / 1024);
	F("Inactive(file)", f->inactive_file / 1024);
	F("Unevictable", f->unevictable / 1024);
	F("AnonPages", f->anon / 1024);
	F("Mapped", f->mapped / 1024);
	F("Shmem", f->shmem / 1024);
	F("SwapTotal", swap_total);
	F("SwapFree", swap_total - swap_used);
	if (f->have_slab) {
		F("Slab", (f->slab_reclaimable + f->slab_unreclaimable) / 1024);
		F("SReclaimable", f->slab_reclaimable / 1024);
		F("SUnreclaim", f->slab_unreclaimable / 1024);
	}
#undef F
	return -1;
}

int render_meminfo(const char *host, const struct mem_facts *f, struct vbuf *out)
{
	uint64_t host_total = meminfo_value_kb(host, "MemTotal");
	uint64_t host_swap = meminfo_value_kb(host, "SwapTotal");
	uint64_t total_kb =
		f->limit == VIEW_UNLIMITED ? host_total : min_u64(f->limit / 1024, host_total);
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		const char *colon = memchr(l, ':', len);
		char key[64];
		int64_t v = -1;
		if (colon && (size_t)(colon - l) < sizeof(key)) {
			memcpy(key, l, (size_t)(colon - l));
			key[colon - l] = '\0';
			v = mem_field(key, f, total_kb, host_swap);
		}
		int r;
		if (v < 0) {
			r = vbuf_put(out, l, len);
		} else {
			/* The kernel pads "Key:" to 16 columns and the number to 8. */
			int keylen = (int)(colon - l) + 1;
			int width = keylen < 16 ? 24 - keylen : 8;
			r = vbuf_printf(out, "%.*s%*llu kB\n", keylen, l, width,
					(unsigned long long)v);
		}
		if (r < 0)
			return r;
		l += len;
	}
	return 0;
}
