/*
 * cache.c - the sampled connection: <id>/proc/loadavg with no round trip per open or read.
 *
 * A load average is a 5-second sample (the kernel's avenrun, LXCFS's thread and cellfs's own
 * tracker all update every 5 s), so nothing is gained by asking cellfs at each open. This second
 * FUSE connection answers the kernel's first OPEN and FLUSH with ENOSYS: the kernel then stops
 * sending them for good (fc->no_open, fc->no_flush; no RELEASE either, fs/fuse/file.c), files
 * open with FOPEN_KEEP_CACHE, and with day-long entry and attribute timeouts a read is served
 * from the page cache: open, read, close cost no request. Every 5 s the sampler renders each
 * container's text and, where it changed, drops the inode's pages and attributes
 * (FUSE_NOTIFY_INVAL_INODE) and stores the new text (FUSE_NOTIFY_STORE). The next reader then
 * sends one GETATTR (the attributes were dropped: its answer is the new size), and when the text
 * got shorter also one READ (a store shorter than i_size cannot mark the page up to date).
 *
 * Tearing: the store fills a new, locked page (the old one was dropped), so a read() sees one
 * text or the other, whole. A reader that reads the file in several read()s across an update
 * sees the old text and then, only if the new one is longer, the new text's last bytes where it
 * reads on past the old end (a read to EOF of the old text meets the new size).
 *
 * Which cgroup: there is no OPEN, hence no reader pid per open. The runtime's init, once it is in
 * the container's cgroup, claims its /proc/loadavg: a SETATTR of the times (utimensat) or, where
 * it may not touch a file of the host's root (a user namespace), a GETXATTR of
 * "user.cellfs.claim". A claim binds the directory to the caller's cgroup whatever bound it
 * before and stores that cgroup's text at once. Without a claim (an older runtime, a bind made by
 * hand) the directory takes the cgroup of the first process that reads its loadavg (the GETATTR or
 * READ of the first read: the runtime only looks the files up to bind-mount them, before its init
 * joins the cgroup). Until bound, the file's attributes are not cached, so the first reader's read
 * always reaches cellfs. A binding ends when its cgroup is removed.
 *
 * Node ids: root is 1; node i (0 the directory, 1 proc, 2 loadavg) of slot s is (s+1) << 2 | i.
 */
#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "log.h"

#define CNODE_SHIFT 2
#define TIMEOUT_LONG 86400
#define CACHE_TEXT 128
#define CACHE_REQ_BUF (64 * 1024)
enum { CN_TOP, CN_PROC, CN_LOADAVG };
static const char *const cnode_names[CACHE_NODES] = { "", "proc", "loadavg" };

struct cache_text {
	char p[CACHE_TEXT];
	uint32_t len;
};

struct cache {
	int fd;
	struct cellfs_cache_state *st;
	struct load_tracker *load;
	pthread_mutex_t *load_lock;
	pthread_mutex_t lock; /* slots and texts; never held while notifying the kernel */
	unsigned idle_seconds;
	struct vbuf out;	  /* rendering, under load_lock */
	struct cache_text *texts; /* per slot: what the kernel has, or is given next */
	uint32_t *active, *inval; /* per slot: last LOOKUP, last entry invalidation (seconds) */
	uint8_t *claimed;	  /* per slot: claimed since the sampler's last look */
};

static uint64_t cnode(int slot, unsigned i)
{
	return ((uint64_t)(slot + 1) << CNODE_SHIFT) | i;
}

/* Slot (-1: root) and node of an id; under c->lock. */
static int cnode_decode(struct cache *c, uint64_t nodeid, int *slot, unsigned *i)
{
	if (nodeid == FUSE_ROOT_ID) {
		*slot = -1;
		*i = 0;
		return 0;
	}
	uint64_t s = (nodeid >> CNODE_SHIFT) - 1;
	*i = nodeid & ((1u << CNODE_SHIFT) - 1);
	if ((nodeid >> CNODE_SHIFT) == 0 || s >= CELLFS_MAX_SLOTS || *i >= CACHE_NODES ||
	    !c->st->used[s])
		return -ENOENT;
	*slot = (int)s;
	return 0;
}

static int cslot_get(struct cache *c, const char *name)
{
	int free_slot = -1;
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		if (c->st->used[i] && !strcmp(c->st->slots[i].name, name))
			return i;
		if (!c->st->used[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	struct cellfs_cache_slot *sl = &c->st->slots[free_slot];
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->name, sizeof(sl->name), "%s", name);
	c->st->used[free_slot] = 1;
	c->texts[free_slot].len = 0;
	return free_slot;
}

static void slot_cgroup(const struct cellfs_cache_slot *sl, struct reader_cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->v2 = sl->v2;
	cg->root = sl->root;
	snprintf(cg->cpu, sizeof(cg->cpu), "%s", sl->cgroup);
}

/* Whether the slot is still bound to cg (a claim may have bound it anew meanwhile). */
static bool slot_is(const struct cellfs_cache_slot *sl, const struct reader_cgroup *cg)
{
	return sl->bound && sl->v2 == cg->v2 && sl->root == cg->root &&
	       !strcmp(sl->cgroup, cg->cpu);
}

/* The text for a cgroup, rendered now (takes load_lock). */
static int render(struct cache *c, const struct reader_cgroup *cg, struct cache_text *t)
{
	pthread_mutex_lock(c->load_lock);
	int r = view_render_loadavg(cg, c->load, &c->out);
	if (r == 0 && c->out.len >= CACHE_TEXT)
		r = -EOVERFLOW;
	if (r == 0) {
		memcpy(t->p, c->out.p, c->out.len);
		t->len = (uint32_t)c->out.len;
	}
	pthread_mutex_unlock(c->load_lock);
	return r;
}

/*
 * Give the slot the cgroup of the process behind this request (see the top): a reader's request
 * binds only an unbound slot, a claim (firm) overrides any earlier binding. 0, or -errno when
 * the pid cannot be resolved or its text rendered.
 */
static int bind_slot(struct cache *c, int slot, pid_t pid, bool firm)
{
	struct reader_cgroup cg;
	struct cache_text t;
	int r = pid > 0 ? reader_cgroup_resolve(pid, &cg) : -ESRCH;
	if (r < 0 || (r = render(c, &cg, &t)) < 0)
		return r;
	pthread_mutex_lock(&c->lock);
	struct cellfs_cache_slot *sl = &c->st->slots[slot];
	if (!c->st->used[slot])
		r = -ENOENT;
	else if (firm || !sl->bound) {
		snprintf(sl->cgroup, sizeof(sl->cgroup), "%s", cg.cpu);
		sl->v2 = cg.v2;
		sl->root = cg.root;
		c->texts[slot] = t;
		c->claimed[slot] |= firm;
		__atomic_store_n(&sl->bound, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

/* Attributes of a node; the file's size is its text's, cached only once the slot is bound. */
static uint64_t cache_attr(struct cache *c, int slot, unsigned i, uint64_t nodeid,
			   struct fuse_attr *a)
{
	bool file = slot >= 0 && i == CN_LOADAVG;
	bool bound = file && c->st->slots[slot].bound;
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->mode = file ? (S_IFREG | 0444) : (S_IFDIR | 0555);
	a->nlink = file ? 1 : 2;
	a->blksize = 4096;
	a->size = bound ? c->texts[slot].len : 0;
	return !file || bound ? TIMEOUT_LONG : 0;
}

static void do_lookup(struct cache *c, const struct fuse_in_header *in, const char *name)
{
	int slot;
	unsigned i, child;
	struct fuse_entry_out e = { .entry_valid = TIMEOUT_LONG };
	pthread_mutex_lock(&c->lock);
	int r = cnode_decode(c, in->nodeid, &slot, &i);
	if (r == 0 && slot < 0) {
		r = fuse_valid_name(name) ? cslot_get(c, name) : -ENOENT;
		slot = r;
		child = CN_TOP;
	} else if (r == 0) {
		child = i + 1;
		if (child >= CACHE_NODES || strcmp(name, cnode_names[child]) != 0)
			r = -ENOENT;
	}
	if (r >= 0) {
		e.nodeid = cnode(slot, child);
		e.attr_valid = cache_attr(c, slot, child, e.nodeid, &e.attr);
		c->st->slots[slot].nlookup[child]++;
		c->active[slot] = mono_s();
	}
	pthread_mutex_unlock(&c->lock);
	if (r < 0)
		fuse_reply_status(c->fd, in->unique, r);
	else
		fuse_reply(c->fd, in->unique, 0, &e, sizeof(e));
}

/* GETATTR and READ of the file: the first reader binds the slot. */
static int file_slot(struct cache *c, const struct fuse_in_header *in, int *slot, unsigned *i)
{
	pthread_mutex_lock(&c->lock);
	int r = cnode_decode(c, in->nodeid, slot, i);
	bool unbound = r == 0 && *slot >= 0 && *i == CN_LOADAVG && !c->st->slots[*slot].bound;
	pthread_mutex_unlock(&c->lock);
	if (unbound)
		bind_slot(c, *slot, (pid_t)in->pid, false);
	return r;
}

static void do_getattr(struct cache *c, const struct fuse_in_header *in)
{
	int slot;
	unsigned i;
	struct fuse_attr_out a = { 0 };
	if (file_slot(c, in, &slot, &i) < 0)
		return (void)fuse_reply_status(c->fd, in->unique, -ENOENT);
	pthread_mutex_lock(&c->lock);
	a.attr_valid = cache_attr(c, slot, i, in->nodeid, &a.attr);
	pthread_mutex_unlock(&c->lock);
	fuse_reply(c->fd, in->unique, 0, &a, sizeof(a));
}

static void do_read(struct cache *c, const struct fuse_in_header *in, const struct fuse_read_in *rd)
{
	int slot;
	unsigned i;
	struct cache_text t = { .len = 0 };
	if (file_slot(c, in, &slot, &i) < 0 || slot < 0 || i != CN_LOADAVG)
		return (void)fuse_reply_status(c->fd, in->unique, -EIO);
	pthread_mutex_lock(&c->lock);
	if (c->st->slots[slot].bound)
		t = c->texts[slot];
	pthread_mutex_unlock(&c->lock);
	fuse_reply_read(c->fd, in->unique, rd, t.p, t.len);
}

/*
 * A claim (see the top): SETATTR of the times only (the runtime's init touching its
 * /proc/loadavg) or a GETXATTR of CACHE_CLAIM_XATTR (where the init may not touch a file of the
 * host's root: a user namespace) binds the slot to the caller's cgroup, whatever bound it before.
 */
#define CACHE_CLAIM_XATTR "user.cellfs.claim"
#define CLAIM_FATTR                                                                               \
	(FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW | FATTR_CTIME | FATTR_FH | \
	 FATTR_LOCKOWNER)

static int claim(struct cache *c, const struct fuse_in_header *in, int *slot)
{
	unsigned i;
	pthread_mutex_lock(&c->lock);
	int r = cnode_decode(c, in->nodeid, slot, &i);
	pthread_mutex_unlock(&c->lock);
	if (r == 0 && (*slot < 0 || i != CN_LOADAVG))
		r = -EPERM;
	return r < 0 ? r : bind_slot(c, *slot, (pid_t)in->pid, true);
}

/* After the claim's answer (the caller may hold the inode lock until then): drop what the kernel
 * holds and store the claimed cgroup's text, as cache_tick does, so readers see it at once. */
static void claim_store(struct cache *c, int slot)
{
	struct cache_text t;
	pthread_mutex_lock(&c->lock);
	t = c->texts[slot];
	pthread_mutex_unlock(&c->lock);
	uint64_t node = cnode(slot, CN_LOADAVG);
	if (fuse_notify_inval_inode(c->fd, node, 0, 0) == 0)
		fuse_notify_store(c->fd, node, t.p, t.len);
}

/* Nothing of the file changes: the answer is its attributes as GETATTR gives them. */
static void do_setattr(struct cache *c, const struct fuse_in_header *in,
		       const struct fuse_setattr_in *sa)
{
	int slot = -1;
	struct fuse_attr_out a = { 0 };
	int r = sa->valid & ~CLAIM_FATTR ? -EPERM : claim(c, in, &slot);
	if (r < 0)
		return (void)fuse_reply_status(c->fd, in->unique, r);
	pthread_mutex_lock(&c->lock);
	a.attr_valid = cache_attr(c, slot, CN_LOADAVG, in->nodeid, &a.attr);
	pthread_mutex_unlock(&c->lock);
	fuse_reply(c->fd, in->unique, 0, &a, sizeof(a));
	claim_store(c, slot);
}

/* The claim's value is empty; no other attribute exists (ENODATA, not ENOSYS: the kernel would
 * stop sending GETXATTR for good). */
static void do_getxattr(struct cache *c, const struct fuse_in_header *in,
			const struct fuse_getxattr_in *gx, const char *name)
{
	int slot = -1;
	struct fuse_getxattr_out o = { .size = 0 };
	int r = strcmp(name, CACHE_CLAIM_XATTR) ? -ENODATA : claim(c, in, &slot);
	if (r < 0)
		return (void)fuse_reply_status(c->fd, in->unique, r);
	fuse_reply(c->fd, in->unique, 0, &o, gx->size ? 0 : sizeof(o));
	claim_store(c, slot);
}

static void do_readdir(struct cache *c, const struct fuse_in_header *in,
		       const struct fuse_read_in *rd)
{
	static char buf[CACHE_REQ_BUF];
	int slot;
	unsigned i;
	size_t size = rd->size < sizeof(buf) ? rd->size : sizeof(buf), pos = 0, n;
	pthread_mutex_lock(&c->lock);
	if (cnode_decode(c, in->nodeid, &slot, &i) < 0 || (slot >= 0 && i == CN_LOADAVG)) {
		pthread_mutex_unlock(&c->lock);
		return (void)fuse_reply_status(c->fd, in->unique, -ENOTDIR);
	}
	/* Offsets: 1 ".", 2 "..", then 3 + k for entry k. */
	uint64_t max = slot < 0 ? CELLFS_MAX_SLOTS : 1;
	for (uint64_t off = rd->offset; off < max + 2; off++) {
		const char *name = off == 0 ? "." : "..";
		uint64_t ino = off == 0 ? in->nodeid : FUSE_ROOT_ID;
		bool dir = true;
		if (off >= 2 && slot < 0) {
			if (!c->st->used[off - 2])
				continue;
			name = c->st->slots[off - 2].name;
			ino = cnode((int)(off - 2), CN_TOP);
		} else if (off >= 2) {
			name = cnode_names[i + 1];
			ino = cnode(slot, i + 1);
			dir = i + 1 != CN_LOADAVG;
		}
		if (!(n = fuse_add_dirent(buf, size, pos, ino, off + 1, name, dir)))
			break;
		pos += n;
	}
	pthread_mutex_unlock(&c->lock);
	fuse_reply(c->fd, in->unique, 0, buf, pos);
}

static void forget_one(struct cache *c, uint64_t nodeid, uint64_t n)
{
	int slot;
	unsigned i;
	pthread_mutex_lock(&c->lock);
	if (cnode_decode(c, nodeid, &slot, &i) == 0 && slot >= 0) {
		struct cellfs_cache_slot *sl = &c->st->slots[slot];
		sl->nlookup[i] = sl->nlookup[i] > n ? sl->nlookup[i] - n : 0;
		bool held = false;
		for (unsigned k = 0; k < CACHE_NODES; k++)
			held |= sl->nlookup[k] > 0;
		if (!held) {
			c->st->used[slot] = 0;
			memset(sl, 0, sizeof(*sl));
		}
	}
	pthread_mutex_unlock(&c->lock);
}

static void batch_forget(struct cache *c, const struct fuse_batch_forget_in *b, size_t alen)
{
	const struct fuse_forget_one *f = (const void *)(b + 1);
	size_t max = alen < sizeof(*b) ? 0 : (alen - sizeof(*b)) / sizeof(*f);
	for (size_t k = 0; k < max && k < b->count; k++)
		forget_one(c, f[k].nodeid, f[k].nlookup);
}

static void do_init(struct cache *c, const struct fuse_in_header *in, const struct fuse_init_in *ii)
{
	struct fuse_init_out o;
	fuse_init_out_fill(&o, ii, 4096);
	/* Not FUSE_AUTO_INVAL_DATA: it would ask for attributes at every read. */
	o.flags = ii->flags & (FUSE_ASYNC_READ | FUSE_PARALLEL_DIROPS);
	c->st->kernel_minor = ii->minor;
	fuse_reply(c->fd, in->unique, 0, &o, sizeof(o));
	c->st->initialized = 1;
}

int cache_dispatch(struct cache *c, const char *buf, size_t len)
{
	const void *arg;
	size_t alen;
	const struct fuse_in_header *in = fuse_request(buf, len, 1, &arg, &alen);
	if (!in)
		return 0;
	switch (in->opcode) {
	case FUSE_INIT:
		if (alen >= sizeof(struct fuse_init_in))
			do_init(c, in, arg);
		break;
	case FUSE_LOOKUP:
		if (fuse_arg_ok(c->fd, in, arg, alen, 1, true))
			do_lookup(c, in, arg);
		break;
	case FUSE_FORGET:
		if (alen >= sizeof(struct fuse_forget_in))
			forget_one(c, in->nodeid, ((const struct fuse_forget_in *)arg)->nlookup);
		break; /* no reply */
	case FUSE_BATCH_FORGET:
		batch_forget(c, arg, alen);
		break;
	case FUSE_GETATTR:
		do_getattr(c, in);
		break;
	case FUSE_SETATTR:
		if (fuse_arg_ok(c->fd, in, arg, alen, sizeof(struct fuse_setattr_in), false))
			do_setattr(c, in, arg);
		break;
	case FUSE_GETXATTR:
		if (fuse_arg_ok(c->fd, in, arg, alen, sizeof(struct fuse_getxattr_in) + 1, true))
			do_getxattr(c, in, arg,
				    (const char *)arg + sizeof(struct fuse_getxattr_in));
		break;
	case FUSE_READ:
		if (fuse_arg_ok(c->fd, in, arg, alen, sizeof(struct fuse_read_in), false))
			do_read(c, in, arg);
		break;
	case FUSE_READDIR:
		if (fuse_arg_ok(c->fd, in, arg, alen, sizeof(struct fuse_read_in), false))
			do_readdir(c, in, arg);
		break;
	case FUSE_RELEASE:
		fuse_reply_status(c->fd, in->unique, 0);
		break;
	default:
		/* OPEN and FLUSH above all: ENOSYS makes the kernel stop sending them. */
		return fuse_reply_common(c->fd, in);
	}
	return 0;
}

void *cache_serve(void *arg)
{
	struct cache *c = arg;
	char *buf = malloc(CACHE_REQ_BUF);
	while (buf) {
		ssize_t len = read(c->fd, buf, CACHE_REQ_BUF);
		if (len < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
			continue;
		if (len < 0) {
			if (errno != ENODEV)
				log_warn("cellfs: read the sampled connection: %m");
			break;
		}
		if (cache_dispatch(c, buf, (size_t)len))
			break;
	}
	free(buf);
	return NULL;
}

/* Entries of a container directory nobody looked up for idle_seconds, as fuse.c's
 * slots_reclaim does for the views: bound mounts keep working, a gone container's slot is
 * forgotten. */
static void cache_reclaim(struct cache *c, int slot, uint32_t now)
{
	char name[sizeof(c->st->slots[0].name)];
	if (now - c->active[slot] <= c->idle_seconds || now - c->inval[slot] <= c->idle_seconds)
		return;
	c->inval[slot] = now;
	pthread_mutex_lock(&c->lock);
	memcpy(name, c->st->slots[slot].name, sizeof(name));
	pthread_mutex_unlock(&c->lock);
	name[sizeof(name) - 1] = '\0';
	fuse_notify_inval_entry(c->fd, cnode(slot, CN_PROC), "loadavg");
	fuse_notify_inval_entry(c->fd, cnode(slot, CN_TOP), "proc");
	fuse_notify_inval_entry(c->fd, FUSE_ROOT_ID, name);
}

/*
 * Refresh one bound slot; returns whether the kernel must be given t. A claim between the look at
 * the slot and the publishing wins (its text is not overwritten with the old cgroup's); one that
 * lands between the publishing and the store (the claim's store overtaken by the tick's) is
 * stored again at the next tick (c->claimed).
 */
static bool cache_refresh(struct cache *c, int slot, bool force, struct cache_text *t)
{
	struct reader_cgroup cg;
	pthread_mutex_lock(&c->lock);
	struct cellfs_cache_slot *sl = &c->st->slots[slot];
	bool used = c->st->used[slot];
	bool bound = used && sl->bound;
	if (bound)
		slot_cgroup(sl, &cg);
	force |= c->claimed[slot];
	c->claimed[slot] = 0;
	pthread_mutex_unlock(&c->lock);
	if (!bound) {
		/* After a restart: whatever the kernel holds, the next reader asks again. */
		if (force && used)
			fuse_notify_inval_inode(c->fd, cnode(slot, CN_LOADAVG), 0, 0);
		return false;
	}
	if (!cg.root && access(cg.cpu, F_OK) < 0) {
		/* The cgroup is gone: the next reader binds the slot anew. */
		pthread_mutex_lock(&c->lock);
		bool gone = slot_is(sl, &cg);
		if (gone)
			sl->bound = 0;
		pthread_mutex_unlock(&c->lock);
		if (gone)
			fuse_notify_inval_inode(c->fd, cnode(slot, CN_LOADAVG), 0, 0);
		return false;
	}
	if (render(c, &cg, t) < 0)
		return false;
	pthread_mutex_lock(&c->lock);
	bool changed = force || t->len != c->texts[slot].len ||
		       memcmp(t->p, c->texts[slot].p, t->len) != 0;
	changed &= c->st->used[slot] && slot_is(sl, &cg);
	if (changed)
		c->texts[slot] = *t; /* published before the kernel drops its copy */
	pthread_mutex_unlock(&c->lock);
	return changed;
}

void cache_tick(struct cache *c, bool force)
{
	uint32_t now = mono_s();
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		struct cache_text t;
		if (!__atomic_load_n(&c->st->used[i], __ATOMIC_RELAXED))
			continue;
		if (cache_refresh(c, i, force, &t)) {
			/* Drop the old page first, then store: a read() sees one text whole. */
			uint64_t node = cnode(i, CN_LOADAVG);
			if (fuse_notify_inval_inode(c->fd, node, 0, 0) == 0)
				fuse_notify_store(c->fd, node, t.p, t.len);
		}
		cache_reclaim(c, i, now);
	}
}

struct cache *cache_new(int fd, struct cellfs_cache_state *st, struct load_tracker *load,
			pthread_mutex_t *load_lock, unsigned idle_seconds)
{
	struct cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->texts = calloc(CELLFS_MAX_SLOTS, sizeof(*c->texts));
	c->active = calloc(CELLFS_MAX_SLOTS, sizeof(*c->active));
	c->inval = calloc(CELLFS_MAX_SLOTS, sizeof(*c->inval));
	c->claimed = calloc(CELLFS_MAX_SLOTS, sizeof(*c->claimed));
	if (!c->texts || !c->active || !c->inval || !c->claimed) {
		cache_free(c);
		return NULL;
	}
	c->fd = fd;
	c->st = st;
	c->load = load;
	c->load_lock = load_lock;
	c->idle_seconds = idle_seconds;
	pthread_mutex_init(&c->lock, NULL);
	/* Slots a predecessor served count as active now: no burst of invalidations. Bound ones
	 * get their text before any request is read (GETATTR answers its size); the sampler's
	 * first tick hands it to the kernel. */
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		struct reader_cgroup cg;
		c->active[i] = mono_s();
		if (!st->used[i] || !st->slots[i].bound)
			continue;
		slot_cgroup(&st->slots[i], &cg);
		if (render(c, &cg, &c->texts[i]) < 0)
			st->slots[i].bound = 0; /* bound again by the next reader */
	}
	if (st->initialized && st->kernel_minor >= 41)
		fuse_notify_resend(fd, "sampled");
	return c;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	free(c->texts);
	free(c->active);
	free(c->inval);
	free(c->claimed);
	vbuf_free(&c->out);
	free(c);
}
