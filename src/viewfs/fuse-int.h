/* fuse-int.h - the views server's state, shared by its request loop (fuse.c) and its sampler
 * (fuse-upkeep.c). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache.h"
#include "fuse.h"
#include "viewfs.h"

#define NODE_SHIFT 6
#define KEPT_MAX 16384

struct handle {
	uint64_t nodeid; /* 0: free */
	struct vbuf content;
};

struct server {
	int fd, backing_dir;
	struct cellfs_state *st;
	bool passthrough;
	uint32_t gen;
	struct load_tracker *load;
	pthread_mutex_t load_lock;
	struct vbuf out;
	struct handle *handles;
	uint32_t next_handle;
	int backing_fd[CELLFS_MAX_SLOTS][CELLFS_MAX_NODES];
	off_t backing_len[CELLFS_MAX_SLOTS][CELLFS_MAX_NODES];	/* -1: unknown (a new server) */
	uint32_t last_open[CELLFS_MAX_SLOTS][CELLFS_MAX_NODES]; /* monotonic seconds */
	/* A copy of what a node's backing file holds (up to KEPT_MAX bytes; its length is
	 * backing_len): an open that renders the same bytes skips the write. Per slot, allocated
	 * on first use and given back by the idle sweep. */
	char **kept[CELLFS_MAX_SLOTS];
	unsigned idle_seconds;
	/* Monotonic seconds of a container directory's last LOOKUP or OPEN (request thread) and of
	 * the last invalidation the sampler sent for it. */
	uint32_t slot_active[CELLFS_MAX_SLOTS], slot_inval[CELLFS_MAX_SLOTS];
	struct cache *cache; /* the sampled connection; NULL from a holder without one */
	bool threads;	     /* the sampler (and the sampled connection's thread) started */
};

static inline uint64_t node_encode(int slot, unsigned index)
{
	return ((uint64_t)(slot + 1) << NODE_SHIFT) | index;
}

/* Give back a slot's kept copies. */
void server_kept_free(struct server *s, int slot);
/* The sampler thread: load ticks, the sampled connection, idle sweeps (fuse-upkeep.c). */
void *server_sampler(void *server);
