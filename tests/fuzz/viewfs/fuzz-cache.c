/* fuzz-cache.c - the sampled connection's request parser (cache_dispatch) on arbitrary requests.
 *
 * An input is a sequence of requests, each a little-endian u16 n then n bytes (the last one takes
 * what is left). Unless n's top bit is set, the header's len is made n: most requests then get past
 * the length check and reach the handlers; with it set the bytes go as they are. The pid of each
 * request is made 0, this process or a pid that does not exist, so that binds and claims resolve
 * (or fail) the same way at every run. Each request sits in a buffer of its own size, so that a
 * read past its end is caught. Replies and notifications go to /dev/null. */
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cellfs_cache_state *st;
static struct load_tracker *load;
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache *cache;

static int setup(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	st = calloc(1, sizeof(*st));
	load = load_tracker_new();
	if (fd < 0 || !st || !load)
		abort();
	cache = cache_new(fd, st, load, &load_lock, 60);
	if (!cache)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once)
		once = setup() == 0;
	/* A fresh connection: every slot unused (a used one is cleared when it is taken). */
	memset(st->used, 0, sizeof(st->used));
	st->initialized = 0;
	while (size >= 2) {
		uint16_t hdr = (uint16_t)(data[0] | data[1] << 8);
		size_t n = hdr & 0x7fff;
		data += 2;
		size -= 2;
		if (n > size)
			n = size;
		/* Exactly n bytes (malloc aligns them): a read past the request's end is ASan's. */
		char *buf = malloc(n ? n : 1);
		if (!buf)
			abort();
		memcpy(buf, data, n);
		data += n;
		size -= n;
		struct fuse_in_header *in = (void *)buf;
		if (n >= sizeof(*in)) {
			if (!(hdr & 0x8000))
				in->len = (uint32_t)n;
			in->pid = in->pid % 3 == 0 ? 0 :
				  in->pid % 3 == 1 ? (uint32_t)getpid() :
						     0x3ffffff0;
		}
		int end = cache_dispatch(cache, buf, n);
		free(buf);
		if (end)
			break;
	}
	/* The sampler's side over what the requests left: refreshes, claims stored again. */
	cache_tick(cache, false);
	return 0;
}
