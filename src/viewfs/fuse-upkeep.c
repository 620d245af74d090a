/* fuse-upkeep.c - the views server's sampler thread: load ticks, the sampled connection's
 * updates, and the sweeps that keep memory and container slots bounded. */
#include <errno.h>
#include <linux/fuse.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuse-int.h"
#include "log.h"

void server_kept_free(struct server *s, int slot)
{
	if (!s->kept[slot])
		return;
	for (unsigned n = 0; n < CELLFS_MAX_NODES; n++)
		free(s->kept[slot][n]);
	free(s->kept[slot]);
	s->kept[slot] = NULL;
}

static void notify_inval_entry(int fd, uint64_t parent, const char *name)
{
	int r = fuse_notify_inval_entry(fd, parent, name);
	/* ENOENT: the kernel holds no such entry (or parent) now - nothing to drop. */
	if (r < 0 && r != -ENOENT)
		log_debug("invalidate %s: %s", name, strerror(-r));
}

/*
 * A backing file keeps the last content its node served, which only a reader between OPEN and
 * RELEASE needs. Containers come and go and the kernel keeps their inodes (day-long timeouts), so
 * without this the tmpfs would grow with every container ever seen: the content of nodes nobody
 * opened for idle_seconds is dropped (the file, its fd and backing id stay for the next open).
 * Runs in the sampler thread, under the lock do_open fills backing files with.
 */
static void backing_sweep(struct server *s)
{
	uint32_t now = mono_s();
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		if (!s->st->slots[i].used)
			continue;
		for (unsigned n = 0; n < CELLFS_MAX_NODES; n++) {
			if (s->backing_len[i][n] == 0 || s->backing_fd[i][n] < 0 ||
			    s->st->slots[i].opens[n] > 0 ||
			    now - s->last_open[i][n] <= s->idle_seconds)
				continue;
			if (ftruncate(s->backing_fd[i][n], 0) == 0)
				s->backing_len[i][n] = 0;
		}
		/* With every file empty the copies say nothing: give them back too. */
		bool holding = false;
		for (unsigned n = 0; n < CELLFS_MAX_NODES && !holding; n++)
			holding = s->backing_len[i][n] > 0;
		if (!holding)
			server_kept_free(s, i);
	}
}

/*
 * The kernel keeps a container's inodes (day-long entry timeouts) until memory pressure evicts
 * them, and only its FORGETs free the container's slot: a host that churns containers would run
 * out of the 4096 slots. Every entry of a container directory nobody looked up or opened for
 * idle_seconds is invalidated (FUSE_NOTIFY_INVAL_ENTRY), leaves first, then the directory in the
 * root: the kernel drops at once the dentries nothing holds, and unhashes the ones a live
 * container's bind mounts hold (its readers open through the mounts and never notice), so those
 * die - and the FORGETs free the slot - as soon as the container's mounts go away. At most one
 * round per slot per idle period. Sent from the sampler thread, never with load_lock held: the
 * kernel takes the parent directory's lock, which a LOOKUP queued behind an OPEN waiting for
 * load_lock could hold.
 */
static void slots_reclaim(struct server *s)
{
	uint32_t now = mono_s();
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		struct cellfs_slot *sl = &s->st->slots[i];
		uint32_t active = __atomic_load_n(&s->slot_active[i], __ATOMIC_RELAXED);
		if (!__atomic_load_n(&sl->used, __ATOMIC_ACQUIRE) ||
		    now - active <= s->idle_seconds || now - s->slot_inval[i] <= s->idle_seconds)
			continue;
		s->slot_inval[i] = now;
		/* Children come after their parents in view_nodes: backwards is leaves first. */
		for (unsigned n = view_nodes_count; n-- > 1;)
			notify_inval_entry(s->fd, node_encode(i, (unsigned)view_nodes[n].parent),
					   view_nodes[n].name);
		/* The request thread may reuse the slot meanwhile: a torn name only costs the kernel
		 * a LOOKUP of some entry. */
		char name[sizeof(sl->name)];
		memcpy(name, sl->name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		notify_inval_entry(s->fd, FUSE_ROOT_ID, name);
	}
}

/* The 5-second load-average sampler: its own thread, so the request loop can block in read(),
 * which is cheaper per request than epoll on /dev/fuse (the poll takes the connection's lock). */
void *server_sampler(void *arg)
{
	struct server *s = arg;
	/* A new server first hands the kernel the sampled connection's texts (its predecessor's
	 * may be up to 5 s old), then every 5 s the fresh ones: after the load tick. */
	for (bool first = true;; first = false) {
		if (!first) {
			sleep(5);
			pthread_mutex_lock(&s->load_lock);
			load_tracker_tick(s->load);
			view_tick();
			backing_sweep(s);
			read_text_sweep(s->idle_seconds);
			pthread_mutex_unlock(&s->load_lock);
			slots_reclaim(s);
		}
		if (s->cache)
			cache_tick(s->cache, first);
	}
	return NULL;
}
