/* proc-meminfo.c - /proc/meminfo as the reader's memory cgroup sees it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The lines a container's view replaces, sorted for bsearch: each host line is looked up once. */
enum mem_key {
	MK_ACTIVE,
	MK_ACTIVE_ANON,
	MK_ACTIVE_FILE,
	MK_ANON_PAGES,
	MK_BUFFERS,
	MK_CACHED,
	MK_INACTIVE,
	MK_INACTIVE_ANON,
	MK_INACTIVE_FILE,
	MK_MAPPED,
	MK_MEM_AVAILABLE,
	MK_MEM_FREE,
	MK_MEM_TOTAL,
	MK_SRECLAIMABLE,
	MK_SUNRECLAIM,
	MK_SHMEM,
	MK_SLAB,
	MK_SWAP_CACHED,
	MK_SWAP_FREE,
	MK_SWAP_TOTAL,
	MK_UNEVICTABLE,
	MK_COUNT,
};
static const char *const mem_keys[MK_COUNT] = {
	"Active",   "Active(anon)",   "Active(file)",	"AnonPages", "Buffers",	     "Cached",
	"Inactive", "Inactive(anon)", "Inactive(file)", "Mapped",    "MemAvailable", "MemFree",
	"MemTotal", "SReclaimable",   "SUnreclaim",	"Shmem",     "Slab",	     "SwapCached",
	"SwapFree", "SwapTotal",      "Unevictable",
};

static int key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* Every replaced value (kB); -1 keeps the host's line. */
static void mem_fields(const struct mem_facts *f, uint64_t total_kb, uint64_t host_swap_kb,
		       int64_t *v)
{
	uint64_t used_kb = min_u64(f->usage / 1024, total_kb);
	uint64_t free_kb = total_kb - used_kb;
	uint64_t swap_total = f->swap_limit == VIEW_UNLIMITED ?
				      host_swap_kb :
				      min_u64(f->swap_limit / 1024, host_swap_kb);
	uint64_t swap_used = min_u64(f->swap_usage / 1024, swap_total);
	v[MK_BUFFERS] = 0;
	v[MK_SWAP_CACHED] = 0;
	v[MK_MEM_TOTAL] = (int64_t)total_kb;
	v[MK_MEM_FREE] = (int64_t)free_kb;
	/* Page cache that can be dropped is available too, as the kernel counts it. */
	v[MK_MEM_AVAILABLE] =
		(int64_t)min_u64(free_kb + (f->active_file + f->inactive_file) / 1024, total_kb);
	v[MK_CACHED] = (int64_t)min_u64(f->cache / 1024, total_kb);
	v[MK_ACTIVE] = (int64_t)((f->active_anon + f->active_file) / 1024);
	v[MK_INACTIVE] = (int64_t)((f->inactive_anon + f->inactive_file) / 1024);
	v[MK_ACTIVE_ANON] = (int64_t)(f->active_anon / 1024);
	v[MK_INACTIVE_ANON] = (int64_t)(f->inactive_anon / 1024);
	v[MK_ACTIVE_FILE] = (int64_t)(f->active_file / 1024);
	v[MK_INACTIVE_FILE] = (int64_t)(f->inactive_file / 1024);
	v[MK_UNEVICTABLE] = (int64_t)(f->unevictable / 1024);
	v[MK_ANON_PAGES] = (int64_t)(f->anon / 1024);
	v[MK_MAPPED] = (int64_t)(f->mapped / 1024);
	v[MK_SHMEM] = (int64_t)(f->shmem / 1024);
	v[MK_SWAP_TOTAL] = (int64_t)swap_total;
	v[MK_SWAP_FREE] = (int64_t)(swap_total - swap_used);
	v[MK_SLAB] =
		f->have_slab ? (int64_t)((f->slab_reclaimable + f->slab_unreclaimable) / 1024) : -1;
	v[MK_SRECLAIMABLE] = f->have_slab ? (int64_t)(f->slab_reclaimable / 1024) : -1;
	v[MK_SUNRECLAIM] = f->have_slab ? (int64_t)(f->slab_unreclaimable / 1024) : -1;
}

int render_meminfo(const char *host, const struct mem_facts *f, struct vbuf *out)
{
	uint64_t host_total = meminfo_value_kb(host, "MemTotal");
	uint64_t host_swap = meminfo_value_kb(host, "SwapTotal");
	uint64_t total_kb =
		f->limit == VIEW_UNLIMITED ? host_total : min_u64(f->limit / 1024, host_total);
	int64_t values[MK_COUNT];
	mem_fields(f, total_kb, host_swap, values);
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		const char *colon = memchr(l, ':', len);
		char key[64];
		int64_t v = -1;
		if (colon && (size_t)(colon - l) < sizeof(key)) {
			memcpy(key, l, (size_t)(colon - l));
			key[colon - l] = '\0';
			const char *const *k =
				bsearch(key, mem_keys, MK_COUNT, sizeof(*mem_keys), key_cmp);
			v = k ? values[k - mem_keys] : -1;
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
