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

int meminfo_tmpl_build(const char *host, struct meminfo_tmpl *t)
{
	memset(t, 0, sizeof(*t));
	t->host = host;
	t->host_total_kb = meminfo_value_kb(host, "MemTotal");
	t->host_swap_kb = meminfo_value_kb(host, "SwapTotal");
	for (const char *l = host; *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) + 1 : strlen(l);
		const char *colon = memchr(l, ':', len);
		char key[64];
		int k = -1;
		if (colon && (size_t)(colon - l) < sizeof(key)) {
			memcpy(key, l, (size_t)(colon - l));
			key[colon - l] = '\0';
			const char *const *f =
				bsearch(key, mem_keys, MK_COUNT, sizeof(*mem_keys), key_cmp);
			k = f ? (int)(f - mem_keys) : -1;
		}
		struct meminfo_seg *last = t->n ? &t->seg[t->n - 1] : NULL;
		if (k < 0 && last && last->key < 0) {
			last->len += (uint32_t)len; /* kept lines in a row: one copy */
		} else {
			if (t->n == MEMINFO_MAX_SEGS)
				return -E2BIG;
			t->seg[t->n++] = (struct meminfo_seg){
				.off = (uint32_t)(l - host),
				.len = (uint32_t)len,
				.key = (int16_t)k,
				.keylen = (uint16_t)(k < 0 ? 0 : colon - l + 1)
			};
		}
		l += len;
	}
	return 0;
}

/* "Key:" then the number right-aligned as the kernel pads it (to column 24, or 8 wide), " kB". */
static int put_line(struct vbuf *out, const char *key, unsigned keylen, uint64_t v)
{
	char num[24], line[128];
	int n = 0;
	do {
		num[sizeof(num) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	unsigned width = keylen < 16 ? 24 - keylen : 8;
	unsigned pad = (unsigned)n < width ? width - (unsigned)n : 0;
	if (keylen + pad + (unsigned)n + 4 > sizeof(line))
		return -E2BIG;
	memcpy(line, key, keylen);
	memset(line + keylen, ' ', pad);
	memcpy(line + keylen + pad, num + sizeof(num) - n, (size_t)n);
	memcpy(line + keylen + pad + n, " kB\n", 4);
	return vbuf_put(out, line, keylen + pad + (unsigned)n + 4);
}

int render_meminfo_tmpl(const struct meminfo_tmpl *t, const struct mem_facts *f, struct vbuf *out)
{
	uint64_t total_kb = f->limit == VIEW_UNLIMITED ? t->host_total_kb :
							 min_u64(f->limit / 1024, t->host_total_kb);
	int64_t values[MK_COUNT];
	mem_fields(f, total_kb, t->host_swap_kb, values);
	for (unsigned i = 0; i < t->n; i++) {
		const struct meminfo_seg *g = &t->seg[i];
		const char *l = t->host + g->off;
		int64_t v = g->key < 0 ? -1 : values[g->key];
		int r = v < 0 ? vbuf_put(out, l, g->len) : put_line(out, l, g->keylen, (uint64_t)v);
		if (r < 0)
			return r;
	}
	return 0;
}

int render_meminfo(const char *host, const struct mem_facts *f, struct vbuf *out)
{
	struct meminfo_tmpl *t = malloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	int r = meminfo_tmpl_build(host, t);
	if (r == 0)
		r = render_meminfo_tmpl(t, f, out);
	free(t);
	return r;
}
