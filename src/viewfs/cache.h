/* cache.h - the sampled connection: views that change every 5 s, served from the page cache. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "fuse.h"
#include "viewfs.h"

struct cache;
/* Over the connection fd and its slots in the holder's state; rendering takes load_lock. Asks
 * the kernel to resend what a predecessor left unanswered. NULL when out of memory. */
struct cache *cache_new(int fd, struct cellfs_cache_state *st, struct load_tracker *load,
			pthread_mutex_t *load_lock, unsigned idle_seconds);
void cache_free(struct cache *c);
/* One request of len bytes at buf (8-byte aligned), answered on the connection fd; 1 when the
 * filesystem goes away. cache_serve's body, apart for the unit tests and the fuzzer. */
int cache_dispatch(struct cache *c, const char *buf, size_t len);
/* The connection's request loop (a thread of its own); returns at unmount. */
void *cache_serve(void *cache);
/* From the sampler, after each load tick: render every container's text and, where it changed
 * (or always with force, as after a restart), put it into the kernel's page cache. */
void cache_tick(struct cache *c, bool force);
