/*
 * fuse.c - the FUSE protocol on /dev/fuse, spoken directly.
 *
 * Why not libfuse: Debian 12's libfuse 3.14 cannot ask for FUSE_PASSTHROUGH or register backing
 * files, which is what makes a fresh-at-open view cost one round trip; and a server that owns its
 * loop can take over a live /dev/fuse fd from the holder and ask the kernel to resend the requests
 * a crashed predecessor had read (FUSE_NOTIFY_RESEND) - libfuse has no notion of either.
 *
 * Node ids are computed, not allocated: root is 1, node i of container slot s is (s+1) << 6 | i,
 * so a restarted server gives the kernel's existing inodes the same meaning without a table.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fuse.h"
#include "log.h"
#include "viewfs.h"

#define NODE_SHIFT 6
#define FH_PASSTHROUGH (1ULL << 63)
#define TIMEOUT_LONG 86400 /* entries and attributes never change: names and modes are fixed */
#define MAX_WRITE (128 * 1024)
#define REQ_BUF (MAX_WRITE + 64 * 1024)
#define MAX_HANDLES 65536
#define SMALL_CONTENT 64

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
	/* The content of a node's backing file when it is short (cpu masks, loadavg, the floor):
	 * an open that renders the same bytes skips the write. Allocated per slot on first use. */
	char (*small[CELLFS_MAX_SLOTS])[SMALL_CONTENT];
	unsigned idle_seconds;
	/* Monotonic seconds of a container directory's last LOOKUP or OPEN (request thread) and of
	 * the last invalidation the sampler sent for it. */
	uint32_t slot_active[CELLFS_MAX_SLOTS], slot_inval[CELLFS_MAX_SLOTS];
};

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int reply(struct server *s, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
				     .error = error,
				     .unique = unique };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, error ? 0 : len } };
	ssize_t n = writev(s->fd, iov, 2);
	/* ENOENT: the request was interrupted and is gone - nothing to answer. */
	if (n < 0 && errno != ENOENT)
		log_warn("reply to request %llu: %m", (unsigned long long)unique);
	return n < 0 ? -errno : 0;
}

static int reply_err(struct server *s, uint64_t unique, int negerr)
{
	return reply(s, unique, negerr, NULL, 0);
}

/* Decode a node id: slot (-1 for root) and node index. */
static int node_decode(struct server *s, uint64_t nodeid, int *slot, unsigned *index)
{
	if (nodeid == FUSE_ROOT_ID) {
		*slot = -1;
		*index = 0;
		return 0;
	}
	uint64_t sl = (nodeid >> NODE_SHIFT) - 1;
	unsigned idx = nodeid & ((1u << NODE_SHIFT) - 1);
	if ((nodeid >> NODE_SHIFT) == 0 || sl >= CELLFS_MAX_SLOTS || idx >= view_nodes_count ||
	    !s->st->slots[sl].used)
		return -ENOENT;
	*slot = (int)sl;
	*index = idx;
	return 0;
}

static uint64_t node_encode(int slot, unsigned index)
{
	return ((uint64_t)(slot + 1) << NODE_SHIFT) | index;
}

static void fill_attr(struct fuse_attr *a, uint64_t nodeid, bool dir)
{
	memset(a, 0, sizeof(*a));
	a->ino = nodeid;
	a->mode = dir ? (S_IFDIR | 0555) : (S_IFREG | 0444);
	a->nlink = dir ? 2 : 1;
	a->blksize = 4096;
	/* Size 0 like /proc: readers read to EOF, and passthrough reads ignore it. */
}

static bool node_is_dir(int slot, unsigned index)
{
	return slot < 0 || view_nodes[index].kind == VIEW_DIR;
}

static bool valid_name(const char *n)
{
	size_t len = strlen(n);
	if (len == 0 || len >= sizeof(((struct cellfs_slot *)0)->name) || !strcmp(n, ".") ||
	    !strcmp(n, ".."))
		return false;
	for (const char *p = n; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

/* Container directories appear on first lookup: the runtime just bind-mounts <mnt>/<id>/... */
static int slot_get(struct server *s, const char *name)
{
	int free_slot = -1;
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		if (s->st->slots[i].used && !strcmp(s->st->slots[i].name, name))
			return i;
		if (!s->st->slots[i].used && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -ENOSPC;
	struct cellfs_slot *sl = &s->st->slots[free_slot];
	memset(sl, 0, sizeof(*sl));
	snprintf(sl->name, sizeof(sl->name), "%s", name);
	__atomic_store_n(&sl->used, 1, __ATOMIC_RELEASE);
	return free_slot;
}

static void slot_release(struct server *s, int slot)
{
	struct cellfs_slot *sl = &s->st->slots[slot];
	for (unsigned i = 0; i < CELLFS_MAX_NODES; i++) {
		if (sl->nlookup[i])
			return;
	}
	for (unsigned i = 0; i < CELLFS_MAX_NODES; i++) {
		char name[32];
		if (sl->backing[i] > 0) {
			uint32_t id = (uint32_t)sl->backing[i];
			(void)ioctl(s->fd, CELLFS_DEV_IOC_BACKING_CLOSE, &id);
		}
		if (s->backing_fd[slot][i] >= 0)
			close(s->backing_fd[slot][i]);
		s->backing_fd[slot][i] = -1;
		s->backing_len[slot][i] = -1;
		snprintf(name, sizeof(name), "%d.%u", slot, i);
		(void)unlinkat(s->backing_dir, name, 0);
	}
	free(s->small[slot]);
	s->small[slot] = NULL;
	memset(sl, 0, sizeof(*sl));
}

static void slot_touch(struct server *s, int slot)
{
	__atomic_store_n(&s->slot_active[slot], (uint32_t)mono_s(), __ATOMIC_RELAXED);
}

static void do_lookup(struct server *s, const struct fuse_in_header *in, const char *name)
{
	int slot;
	unsigned index;
	int child;
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)reply_err(s, in->unique, -ENOENT);
	if (slot < 0) {
		if (!valid_name(name))
			return (void)reply_err(s, in->unique, -ENOENT);
		if ((slot = slot_get(s, name)) < 0)
			return (void)reply_err(s, in->unique, slot);
		child = 0;
	} else {
		if ((child = view_lookup((int)index, name)) < 0)
			return (void)reply_err(s, in->unique, -ENOENT);
	}
	struct fuse_entry_out e = { .nodeid = node_encode(slot, (unsigned)child),
				    .entry_valid = TIMEOUT_LONG,
				    .attr_valid = TIMEOUT_LONG };
	fill_attr(&e.attr, e.nodeid, view_nodes[child].kind == VIEW_DIR);
	s->st->slots[slot].nlookup[child]++;
	slot_touch(s, slot);
	reply(s, in->unique, 0, &e, sizeof(e));
}

static void forget_one(struct server *s, uint64_t nodeid, uint64_t n)
{
	int slot;
	unsigned index;
	if (node_decode(s, nodeid, &slot, &index) < 0 || slot < 0)
		return;
	uint64_t *nl = &s->st->slots[slot].nlookup[index];
	*nl = *nl > n ? *nl - n : 0;
	if (*nl == 0)
		slot_release(s, slot);
}

static void do_getattr(struct server *s, const struct fuse_in_header *in)
{
	int slot;
	unsigned index;
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)reply_err(s, in->unique, -ENOENT);
	struct fuse_attr_out a = { .attr_valid = TIMEOUT_LONG };
	fill_attr(&a.attr, in->nodeid, node_is_dir(slot, index));
	reply(s, in->unique, 0, &a, sizeof(a));
}

/* The file that backs node (slot, index), opened once and kept. */
static int backing_file(struct server *s, int slot, unsigned index)
{
	int *fd = &s->backing_fd[slot][index];
	if (*fd < 0) {
		char name[32];
		snprintf(name, sizeof(name), "%d.%u", slot, index);
		*fd = openat(s->backing_dir, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (*fd < 0)
			return -errno;
	}
	return *fd;
}

/* Put the fresh content into the node's backing file; its backing id is registered once. */
static int backing_fill(struct server *s, int slot, unsigned index, const struct vbuf *content)
{
	struct cellfs_slot *sl = &s->st->slots[slot];
	int fd = backing_file(s, slot, index);
	if (fd < 0)
		return fd;
	/* Shrink only when the new content is shorter: a write past the end grows it anyway. */
	off_t *len = &s->backing_len[slot][index];
	bool small = content->len <= SMALL_CONTENT;
	if (small && !s->small[slot])
		s->small[slot] = calloc(CELLFS_MAX_NODES, SMALL_CONTENT);
	if (small && s->small[slot] && *len == (off_t)content->len &&
	    memcmp(s->small[slot][index], content->p, content->len) == 0)
		goto registered; /* the file already holds these bytes */
	if (pwrite(fd, content->p, content->len, 0) != (ssize_t)content->len ||
	    ((*len < 0 || (size_t)*len > content->len) && ftruncate(fd, (off_t)content->len) < 0)) {
		*len = -1;
		return -EIO;
	}
	*len = (off_t)content->len;
	if (small && s->small[slot])
		memcpy(s->small[slot][index], content->p, content->len);
registered:
	if (sl->backing[index] <= 0) {
		struct cellfs_backing_map map = { .fd = fd };
		int id = ioctl(s->fd, CELLFS_DEV_IOC_BACKING_OPEN, &map);
		if (id < 0)
			return -errno;
		sl->backing[index] = id;
	}
	return sl->backing[index];
}

static struct handle *handle_new(struct server *s, uint64_t nodeid, uint64_t *ret_fh)
{
	for (uint32_t n = 0; n < MAX_HANDLES; n++) {
		uint32_t i = (s->next_handle + n) % MAX_HANDLES;
		if (s->handles[i].nodeid == 0) {
			s->next_handle = i + 1;
			s->handles[i].nodeid = nodeid;
			*ret_fh = ((uint64_t)s->gen << 32) | (i + 1);
			return &s->handles[i];
		}
	}
	return NULL;
}

static struct handle *handle_get(struct server *s, uint64_t fh)
{
	uint32_t i = (uint32_t)fh;
	if ((fh & FH_PASSTHROUGH) || (fh >> 32) != s->gen || i == 0 || i > MAX_HANDLES ||
	    s->handles[i - 1].nodeid == 0)
		return NULL;
	return &s->handles[i - 1];
}

static void do_open(struct server *s, const struct fuse_in_header *in)
{
	int slot;
	unsigned index;
	struct view_ctx ctx = { .pid = (pid_t)in->pid, .load = s->load };
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)reply_err(s, in->unique, -ENOENT);
	if (node_is_dir(slot, index))
		return (void)reply_err(s, in->unique, -EISDIR);
	slot_touch(s, slot);
	pthread_mutex_lock(&s->load_lock);
	int r = view_render(index, &ctx, &s->out);
	pthread_mutex_unlock(&s->load_lock);
	if (r < 0) {
		log_debug("render %s for pid %u: %s", view_nodes[index].name, in->pid,
			  strerror(-r));
		return (void)reply_err(s, in->unique, r == -ENOMEM ? -ENOMEM : -EIO);
	}
	struct fuse_open_out o = { 0 };
	struct cellfs_slot *sl = &s->st->slots[slot];
	/* One backing file per inode at a time: while another reader holds this node open, its
	 * content must not change under it, so this open is served from memory instead. */
	if (s->passthrough && sl->opens[index] == 0) {
		pthread_mutex_lock(&s->load_lock); /* the idle sweep truncates backing files */
		int id = backing_fill(s, slot, index, &s->out);
		s->last_open[slot][index] = (uint32_t)mono_s();
		pthread_mutex_unlock(&s->load_lock);
		if (id > 0) {
			o.fh = FH_PASSTHROUGH | in->nodeid;
			o.open_flags = FOPEN_PASSTHROUGH | FOPEN_NOFLUSH;
			o.padding = (uint32_t)id; /* backing_id in 7.40 */
			/* Counted once the kernel has the answer: a crash in between can only
			 * undercount (a later open may refresh the file under this reader), never
			 * leave the node stuck as busy. */
			if (reply(s, in->unique, 0, &o, sizeof(o)) == 0)
				sl->opens[index]++;
			return;
		}
		log_warn("passthrough for %s: %s; serving it directly", view_nodes[index].name,
			 strerror(-id));
	}
	struct handle *h = handle_new(s, in->nodeid, &o.fh);
	if (!h)
		return (void)reply_err(s, in->unique, -ENFILE);
	vbuf_reset(&h->content);
	if (vbuf_put(&h->content, s->out.p, s->out.len) < 0) {
		h->nodeid = 0;
		return (void)reply_err(s, in->unique, -ENOMEM);
	}
	o.open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH;
	reply(s, in->unique, 0, &o, sizeof(o));
}

static void do_read(struct server *s, const struct fuse_in_header *in,
		    const struct fuse_read_in *rd)
{
	struct handle *h = handle_get(s, rd->fh);
	const struct vbuf *c;
	if (h) {
		c = &h->content;
	} else {
		/* Opened under a previous server: answer from a fresh rendering. */
		int slot;
		unsigned index;
		struct view_ctx ctx = { .pid = (pid_t)in->pid, .load = s->load };
		pthread_mutex_lock(&s->load_lock);
		int r = node_decode(s, in->nodeid, &slot, &index) < 0 || node_is_dir(slot, index) ?
				-ENOENT :
				view_render(index, &ctx, &s->out);
		pthread_mutex_unlock(&s->load_lock);
		if (r < 0)
			return (void)reply_err(s, in->unique, -EIO);
		c = &s->out;
	}
	size_t off = rd->offset < c->len ? (size_t)rd->offset : c->len;
	size_t n = c->len - off < rd->size ? c->len - off : rd->size;
	reply(s, in->unique, 0, c->p + off, n);
}

static void do_release(struct server *s, const struct fuse_in_header *in,
		       const struct fuse_release_in *rel)
{
	if (rel->fh & FH_PASSTHROUGH) {
		int slot;
		unsigned index;
		if (node_decode(s, rel->fh & ~FH_PASSTHROUGH, &slot, &index) == 0 && slot >= 0 &&
		    s->st->slots[slot].opens[index] > 0)
			s->st->slots[slot].opens[index]--;
	} else {
		struct handle *h = handle_get(s, rel->fh);
		if (h) {
			h->nodeid = 0;
			if (h->content.cap > 65536)
				vbuf_free(&h->content);
		}
	}
	reply(s, in->unique, 0, NULL, 0);
}

static size_t add_dirent(char *buf, size_t size, size_t pos, uint64_t ino, uint64_t off,
			 const char *name, bool dir)
{
	size_t namelen = strlen(name);
	size_t reclen = FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + namelen);
	if (pos + reclen > size)
		return 0;
	struct fuse_dirent *d = (struct fuse_dirent *)(buf + pos);
	memset(d, 0, reclen);
	d->ino = ino;
	d->off = off;
	d->namelen = (uint32_t)namelen;
	d->type = dir ? DT_DIR : DT_REG;
	memcpy(d->name, name, namelen);
	return reclen;
}

static void do_readdir(struct server *s, const struct fuse_in_header *in,
		       const struct fuse_read_in *rd)
{
	static char buf[REQ_BUF];
	int slot;
	unsigned index;
	size_t size = rd->size < sizeof(buf) ? rd->size : sizeof(buf), pos = 0, n;
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)reply_err(s, in->unique, -ENOENT);
	/* Offsets: 1 ".", 2 "..", then 3 + i for entry i of the directory. */
	uint64_t max = slot < 0 ? CELLFS_MAX_SLOTS : view_nodes_count;
	for (uint64_t off = rd->offset; off < max + 2; off++) {
		const char *name;
		uint64_t ino;
		bool dir = true;
		if (off == 0) {
			name = ".";
			ino = in->nodeid;
		} else if (off == 1) {
			name = "..";
			ino = FUSE_ROOT_ID;
		} else if (slot < 0) {
			const struct cellfs_slot *sl = &s->st->slots[off - 2];
			if (!sl->used)
				continue;
			name = sl->name;
			ino = node_encode((int)(off - 2), 0);
		} else {
			unsigned i = (unsigned)(off - 2);
			if (view_nodes[i].parent != (int)index || i == 0)
				continue;
			name = view_nodes[i].name;
			ino = node_encode(slot, i);
			dir = view_nodes[i].kind == VIEW_DIR;
		}
		if (!(n = add_dirent(buf, size, pos, ino, off + 1, name, dir)))
			break;
		pos += n;
	}
	reply(s, in->unique, 0, buf, pos);
}

static void do_init(struct server *s, const struct fuse_in_header *in,
		    const struct fuse_init_in *ii, bool no_passthrough)
{
	uint64_t kflags = ii->flags;
	if (ii->minor >= 36 && (kflags & FUSE_INIT_EXT))
		kflags |= (uint64_t)ii->flags2 << 32;
	struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION,
				   .minor = ii->minor < 41 ? ii->minor : 41,
				   .max_readahead = ii->max_readahead,
				   .max_write = MAX_WRITE,
				   .time_gran = 1,
				   .max_background = 16,
				   .congestion_threshold = 12 };
	uint64_t want = FUSE_INIT_EXT | FUSE_PARALLEL_DIROPS | FUSE_ASYNC_READ;
	if (!no_passthrough && (kflags & FUSE_PASSTHROUGH) && ii->minor >= 40) {
		want |= FUSE_PASSTHROUGH;
		o.unused[0] = 1; /* max_stack_depth: backing files live on tmpfs (depth 0) */
	}
	want &= kflags;
	o.flags = (uint32_t)want;
	o.flags2 = (uint32_t)(want >> 32);
	s->st->kernel_minor = ii->minor;
	s->st->passthrough = (want & FUSE_PASSTHROUGH) != 0;
	s->passthrough = s->st->passthrough;
	log_info("FUSE %u.%u, passthrough %s, resend %s", ii->major, ii->minor,
		 s->passthrough ? "on" : "off", (kflags & FUSE_HAS_RESEND) ? "yes" : "no");
	reply(s, in->unique, 0, &o, sizeof(o));
	s->st->initialized = 1;
}

static void do_statfs(struct server *s, const struct fuse_in_header *in)
{
	struct fuse_statfs_out o = { .st = { .bsize = 4096, .frsize = 4096, .namelen = 63 } };
	reply(s, in->unique, 0, &o, sizeof(o));
}

/* One request; returns 1 when the filesystem is going away. */
static int dispatch(struct server *s, const char *buf, size_t len, bool no_passthrough)
{
	const struct fuse_in_header *in = (const void *)buf;
	const void *arg = buf + sizeof(*in);
	size_t alen = len - sizeof(*in);
	if (len < sizeof(*in) || in->len != len)
		return 0;
#define NEED(type)                                                   \
	do {                                                         \
		if (alen < sizeof(type))                             \
			return reply_err(s, in->unique, -EINVAL), 0; \
	} while (0)
	switch (in->opcode) {
	case FUSE_INIT:
		NEED(struct fuse_init_in);
		do_init(s, in, arg, no_passthrough);
		break;
	case FUSE_LOOKUP:
		if (alen == 0 || ((const char *)arg)[alen - 1] != '\0')
			return reply_err(s, in->unique, -EINVAL), 0;
		do_lookup(s, in, arg);
		break;
	case FUSE_FORGET:
		NEED(struct fuse_forget_in);
		forget_one(s, in->nodeid, ((const struct fuse_forget_in *)arg)->nlookup);
		break; /* no reply */
	case FUSE_BATCH_FORGET: {
		NEED(struct fuse_batch_forget_in);
		const struct fuse_batch_forget_in *b = arg;
		const struct fuse_forget_one *f = (const void *)(b + 1);
		size_t max = (alen - sizeof(*b)) / sizeof(*f);
		for (size_t i = 0; i < b->count && i < max; i++)
			forget_one(s, f[i].nodeid, f[i].nlookup);
		break;
	}
	case FUSE_GETATTR:
		do_getattr(s, in);
		break;
	case FUSE_OPEN:
		do_open(s, in);
		break;
	case FUSE_READ:
		NEED(struct fuse_read_in);
		do_read(s, in, arg);
		break;
	case FUSE_RELEASE:
		NEED(struct fuse_release_in);
		do_release(s, in, arg);
		break;
	case FUSE_OPENDIR: {
		struct fuse_open_out o = { .open_flags = FOPEN_CACHE_DIR * 0 };
		reply(s, in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_READDIR:
		NEED(struct fuse_read_in);
		do_readdir(s, in, arg);
		break;
	case FUSE_RELEASEDIR:
	case FUSE_FLUSH:
	case FUSE_FSYNCDIR:
		reply(s, in->unique, 0, NULL, 0);
		break;
	case FUSE_STATFS:
		do_statfs(s, in);
		break;
	case FUSE_INTERRUPT:
		break; /* every request is answered at once anyway */
	case FUSE_DESTROY:
		reply(s, in->unique, 0, NULL, 0);
		return 1;
	default:
		reply_err(s, in->unique, -ENOSYS);
	}
#undef NEED
	return 0;
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
	uint32_t now = (uint32_t)mono_s();
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
		/* With every file empty the short copies say nothing: give them back too. */
		bool holding = false;
		for (unsigned n = 0; n < CELLFS_MAX_NODES && !holding; n++)
			holding = s->backing_len[i][n] > 0;
		if (!holding) {
			free(s->small[i]);
			s->small[i] = NULL;
		}
	}
}

static void notify_inval_entry(struct server *s, uint64_t parent, const char *name)
{
	struct fuse_notify_inval_entry_out o = { .parent = parent,
						 .namelen = (uint32_t)strlen(name) };
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + sizeof(o) + o.namelen + 1),
				     .error = FUSE_NOTIFY_INVAL_ENTRY };
	struct iovec iov[3] = { { &h, sizeof(h) },
				{ &o, sizeof(o) },
				{ (void *)name, o.namelen + 1 } };
	/* ENOENT: the kernel holds no such entry (or parent) now - nothing to drop. */
	if (o.namelen > 0 && writev(s->fd, iov, 3) < 0 && errno != ENOENT)
		log_debug("invalidate %s: %m", name);
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
	uint32_t now = (uint32_t)mono_s();
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++) {
		struct cellfs_slot *sl = &s->st->slots[i];
		uint32_t active = __atomic_load_n(&s->slot_active[i], __ATOMIC_RELAXED);
		if (!__atomic_load_n(&sl->used, __ATOMIC_ACQUIRE) ||
		    now - active <= s->idle_seconds || now - s->slot_inval[i] <= s->idle_seconds)
			continue;
		s->slot_inval[i] = now;
		/* Children come after their parents in view_nodes: backwards is leaves first. */
		for (unsigned n = view_nodes_count; n-- > 1;)
			notify_inval_entry(s, node_encode(i, (unsigned)view_nodes[n].parent),
					   view_nodes[n].name);
		/* The request thread may reuse the slot meanwhile: a torn name only costs the kernel
		 * a LOOKUP of some entry. */
		char name[sizeof(sl->name)];
		memcpy(name, sl->name, sizeof(name));
		name[sizeof(name) - 1] = '\0';
		notify_inval_entry(s, FUSE_ROOT_ID, name);
	}
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
}

/* The 5-second load-average sampler: its own thread, so the request loop can block in read(),
 * which is cheaper per request than epoll on /dev/fuse (the poll takes the connection's lock). */
static void *load_thread(void *arg)
{
	struct server *s = arg;
	for (;;) {
		sleep(5);
		pthread_mutex_lock(&s->load_lock);
		load_tracker_tick(s->load);
		backing_sweep(s);
		read_text_sweep(s->idle_seconds);
		pthread_mutex_unlock(&s->load_lock);
		slots_reclaim(s);
	}
	return NULL;
}

/*
 * The request thread runs as SCHED_BATCH: a woken batch task never preempts the running one.
 * Every close of a passthrough file queues an asynchronous RELEASE, whose wake-up used to
 * preempt the reader on its own cpu: two extra context switches for half of all opens (1.5
 * switches of the server per open; 1.0 as batch, the floor 19 -> 16 us). OPEN loses nothing: its
 * reader sleeps at once, so the server runs as soon as it is woken either way. The sampler
 * thread inherits it (it is background work anyway).
 */
static void sched_batch(void)
{
	struct sched_param sp = { 0 };
	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0)
		log_warn("cellfs: SCHED_BATCH: %m");
}

static int serve_loop(struct server *s, bool no_passthrough, struct cell_error **err)
{
	sched_batch();
	struct sigaction sa = { .sa_handler = on_stop }; /* no SA_RESTART: read() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	pthread_t tid;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* signals go to the request loop */
	int r = pthread_create(&tid, NULL, load_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return cell_error_errno(err, r, "cellfs: start the load sampler");
	_cleanup_free_ char *buf = malloc(REQ_BUF);
	if (!buf)
		return cell_error_set(err, ENOMEM, "cellfs: out of memory");
	while (!stop_requested) {
		ssize_t len = read(s->fd, buf, REQ_BUF);
		if (len < 0 && (errno == EINTR || errno == EAGAIN || errno == ENOENT))
			continue; /* ENOENT: interrupted before we read it */
		if (len < 0 && errno == ENODEV)
			return 0; /* unmounted */
		if (len < 0)
			return cell_error_errno(err, errno, "cellfs: read /dev/fuse");
		if (dispatch(s, buf, (size_t)len, no_passthrough))
			return 0;
	}
	log_info("server: signal, exiting");
	return -EINTR;
}

int cellfs_serve(const struct cellfs_server_opts *opts, struct cell_error **err)
{
	struct server *s = calloc(1, sizeof(*s));
	int r;
	if (!s)
		return cell_error_set(err, ENOMEM, "cellfs: out of memory");
	s->fd = opts->fuse_fd;
	s->backing_dir = opts->backing_dir;
	memset(s->backing_fd, 0xff, sizeof(s->backing_fd));
	memset(s->backing_len, 0xff, sizeof(s->backing_len));
	s->handles = calloc(MAX_HANDLES, sizeof(*s->handles));
	/* A holder started by an older binary made a smaller state: grow it (zeros at the end). */
	struct stat sst;
	if (fstat(opts->state_fd, &sst) == 0 && (size_t)sst.st_size < sizeof(*s->st) &&
	    ftruncate(opts->state_fd, sizeof(*s->st)) < 0) {
		r = cell_error_errno(err, errno, "cellfs: grow the state memfd");
		s->st = NULL;
		goto out;
	}
	s->st = mmap(NULL, sizeof(*s->st), PROT_READ | PROT_WRITE, MAP_SHARED, opts->state_fd, 0);
	if (s->st == MAP_FAILED || !s->handles) {
		r = cell_error_errno(err, s->st == MAP_FAILED ? errno : ENOMEM, "cellfs: state");
		s->st = NULL;
		goto out;
	}
	/* Load averages live in the state too: a restarted server continues them. */
	s->load = load_tracker_new_in(s->st->loads, &s->st->nloads, CELLFS_MAX_SLOTS);
	if (!s->load) {
		r = cell_error_set(err, ENOMEM, "cellfs: out of memory");
		goto out;
	}
	/* Each open backs onto one kept fd: room for a few thousand containers. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) & ~O_NONBLOCK);
	pthread_mutex_init(&s->load_lock, NULL);
	s->gen = ++s->st->generation;
	/* Slots a predecessor served count as active now: no burst of invalidations at a restart. */
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++)
		s->slot_active[i] = (uint32_t)mono_s();
	/* $CELLFS_IDLE_SECONDS: for tests and bench/viewfs-mem.sh, which cannot wait a minute. */
	const char *idle = getenv("CELLFS_IDLE_SECONDS");
	s->idle_seconds = idle && atoi(idle) > 0 ? (unsigned)atoi(idle) : 60;
	s->passthrough = s->st->passthrough && !opts->no_passthrough;
	if (s->st->initialized && s->st->kernel_minor >= 41) {
		/* A predecessor may have died holding requests it had read: have them sent again. */
		struct fuse_out_header h = { .len = sizeof(h), .error = CELLFS_NOTIFY_RESEND };
		if (write(s->fd, &h, sizeof(h)) < 0)
			log_warn("FUSE_NOTIFY_RESEND: %m");
	}
	/* Passthrough opens a predecessor counted stay in the shared state and are released by
	 * their fh (which names the node), so counting carries over across servers. */
	r = serve_loop(s, opts->no_passthrough, err);
out:
	if (s->st)
		munmap(s->st, sizeof(*s->st));
	for (size_t i = 0; s->handles && i < MAX_HANDLES; i++)
		vbuf_free(&s->handles[i].content);
	free(s->handles);
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++)
		free(s->small[i]);
	vbuf_free(&s->out);
	load_tracker_free(s->load);
	free(s);
	return r;
}
