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
#include "fuse-int.h"
#include "log.h"
#define FH_PASSTHROUGH (1ULL << 63)
#define TIMEOUT_LONG 86400 /* entries and attributes never change: names and modes are fixed */
#define MAX_WRITE (128 * 1024)
#define REQ_BUF (MAX_WRITE + 64 * 1024)
#define MAX_HANDLES 65536
#define STATS_NODE 2 /* <mnt>/.stats: requests per connection and opcode */
#define STATS_INDEX 63

/* Decode a node id: slot (-1 for root) and node index. */
static int node_decode(struct server *s, uint64_t nodeid, int *slot, unsigned *index)
{
	if (nodeid == FUSE_ROOT_ID || nodeid == STATS_NODE) {
		*slot = -1;
		*index = nodeid == STATS_NODE ? STATS_INDEX : 0;
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
	return slot < 0 ? index != STATS_INDEX : view_nodes[index].kind == VIEW_DIR;
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
	server_kept_free(s, slot);
	memset(sl, 0, sizeof(*sl));
}

static void slot_touch(struct server *s, int slot)
{
	__atomic_store_n(&s->slot_active[slot], mono_s(), __ATOMIC_RELAXED);
}

static void do_lookup(struct server *s, const struct fuse_in_header *in, const char *name)
{
	int slot;
	unsigned index;
	int child;
	if (node_decode(s, in->nodeid, &slot, &index) < 0 || !node_is_dir(slot, index))
		return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
	if (slot < 0 && !strcmp(name, ".stats")) {
		struct fuse_entry_out e = { .nodeid = STATS_NODE,
					    .entry_valid = TIMEOUT_LONG,
					    .attr_valid = TIMEOUT_LONG };
		fill_attr(&e.attr, STATS_NODE, false);
		return (void)fuse_reply(s->fd, in->unique, 0, &e, sizeof(e));
	}
	if (slot < 0) {
		if (!fuse_valid_name(name))
			return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
		if ((slot = slot_get(s, name)) < 0)
			return (void)fuse_reply_status(s->fd, in->unique, slot);
		child = 0;
	} else {
		if ((child = view_lookup((int)index, name)) < 0)
			return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
	}
	struct fuse_entry_out e = { .nodeid = node_encode(slot, (unsigned)child),
				    .entry_valid = TIMEOUT_LONG,
				    .attr_valid = TIMEOUT_LONG };
	fill_attr(&e.attr, e.nodeid, view_nodes[child].kind == VIEW_DIR);
	s->st->slots[slot].nlookup[child]++;
	slot_touch(s, slot);
	fuse_reply(s->fd, in->unique, 0, &e, sizeof(e));
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

static void batch_forget(struct server *s, const struct fuse_batch_forget_in *b, size_t alen)
{
	const struct fuse_forget_one *f = (const void *)(b + 1);
	size_t max = (alen - sizeof(*b)) / sizeof(*f);
	for (size_t i = 0; i < b->count && i < max; i++)
		forget_one(s, f[i].nodeid, f[i].nlookup);
}

static void do_getattr(struct server *s, const struct fuse_in_header *in)
{
	int slot;
	unsigned index;
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
	struct fuse_attr_out a = { .attr_valid = TIMEOUT_LONG };
	fill_attr(&a.attr, in->nodeid, node_is_dir(slot, index));
	fuse_reply(s->fd, in->unique, 0, &a, sizeof(a));
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
	bool keep = content->len <= KEPT_MAX;
	char **kept = s->kept[slot];
	if (keep && !kept)
		kept = s->kept[slot] = calloc(CELLFS_MAX_NODES, sizeof(char *));
	/* The file already holds these bytes: nothing to write. Safe whoever holds it open (no
	 * byte changes), and an open of a node held open never gets here (served from memory). */
	if (keep && kept && kept[index] && *len == (off_t)content->len &&
	    memcmp(kept[index], content->p, content->len) == 0)
		goto registered;
	if (pwrite(fd, content->p, content->len, 0) != (ssize_t)content->len ||
	    ((*len < 0 || (size_t)*len > content->len) && ftruncate(fd, (off_t)content->len) < 0)) {
		*len = -1;
		return -EIO;
	}
	*len = (off_t)content->len;
	if (!keep && kept) {
		free(kept[index]);
		kept[index] = NULL;
	} else if (keep && kept) {
		char *copy = realloc(kept[index], content->len ? content->len : 1);
		if (copy)
			memcpy(copy, content->p, content->len);
		else
			free(kept[index]);
		kept[index] = copy;
	}
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

/* Serve an open from memory: the content is copied into a handle, read with direct I/O. */
static void open_direct(struct server *s, const struct fuse_in_header *in,
			const struct vbuf *content)
{
	struct fuse_open_out o = { 0 };
	struct handle *h = handle_new(s, in->nodeid, &o.fh);
	if (!h)
		return (void)fuse_reply_status(s->fd, in->unique, -ENFILE);
	vbuf_reset(&h->content);
	if (vbuf_put(&h->content, content->p, content->len) < 0) {
		h->nodeid = 0;
		return (void)fuse_reply_status(s->fd, in->unique, -ENOMEM);
	}
	o.open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH;
	fuse_reply(s->fd, in->unique, 0, &o, sizeof(o));
}

static void do_open(struct server *s, const struct fuse_in_header *in)
{
	int slot;
	unsigned index;
	struct view_ctx ctx = { .pid = (pid_t)in->pid, .load = s->load };
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
	if (node_is_dir(slot, index))
		return (void)fuse_reply_status(s->fd, in->unique, -EISDIR);
	if (slot < 0) {
		struct vbuf stats = { 0 };
		if (cellfs_stats_render(&stats) < 0)
			fuse_reply_status(s->fd, in->unique, -ENOMEM);
		else
			open_direct(s, in, &stats);
		return vbuf_free(&stats);
	}
	slot_touch(s, slot);
	pthread_mutex_lock(&s->load_lock);
	int r = view_render(index, &ctx, &s->out);
	pthread_mutex_unlock(&s->load_lock);
	if (r < 0) {
		log_debug("render %s for pid %u: %s", view_nodes[index].name, in->pid,
			  strerror(-r));
		return (void)fuse_reply_status(s->fd, in->unique, r == -ENOMEM ? -ENOMEM : -EIO);
	}
	struct fuse_open_out o = { 0 };
	struct cellfs_slot *sl = &s->st->slots[slot];
	/* One backing file per inode at a time: while another reader holds this node open, its
	 * content must not change under it, so this open is served from memory instead. */
	if (s->passthrough && sl->opens[index] == 0) {
		pthread_mutex_lock(&s->load_lock); /* the idle sweep truncates backing files */
		int id = backing_fill(s, slot, index, &s->out);
		s->last_open[slot][index] = mono_s();
		pthread_mutex_unlock(&s->load_lock);
		if (id > 0) {
			o.fh = FH_PASSTHROUGH | in->nodeid;
			o.open_flags = FOPEN_PASSTHROUGH | FOPEN_NOFLUSH;
			o.padding = (uint32_t)id; /* backing_id in 7.40 */
			/* Counted once the kernel has the answer: a crash in between can only
			 * undercount (a later open may refresh the file under this reader), never
			 * leave the node stuck as busy. */
			if (fuse_reply(s->fd, in->unique, 0, &o, sizeof(o)) == 0)
				sl->opens[index]++;
			return;
		}
		log_warn("passthrough for %s: %s; serving it directly", view_nodes[index].name,
			 strerror(-id));
	}
	open_direct(s, in, &s->out);
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
			return (void)fuse_reply_status(s->fd, in->unique, -EIO);
		c = &s->out;
	}
	fuse_reply_read(s->fd, in->unique, rd, c->p, c->len);
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
	fuse_reply_status(s->fd, in->unique, 0);
}

static void do_readdir(struct server *s, const struct fuse_in_header *in,
		       const struct fuse_read_in *rd)
{
	static char buf[REQ_BUF];
	int slot;
	unsigned index;
	size_t size = rd->size < sizeof(buf) ? rd->size : sizeof(buf), pos = 0, n;
	if (node_decode(s, in->nodeid, &slot, &index) < 0)
		return (void)fuse_reply_status(s->fd, in->unique, -ENOENT);
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
		if (!(n = fuse_add_dirent(buf, size, pos, ino, off + 1, name, dir)))
			break;
		pos += n;
	}
	fuse_reply(s->fd, in->unique, 0, buf, pos);
}

static void do_init(struct server *s, const struct fuse_in_header *in,
		    const struct fuse_init_in *ii, bool no_passthrough)
{
	uint64_t kflags = ii->flags;
	if (ii->minor >= 36 && (kflags & FUSE_INIT_EXT))
		kflags |= (uint64_t)ii->flags2 << 32;
	struct fuse_init_out o;
	fuse_init_out_fill(&o, ii, MAX_WRITE);
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
	fuse_reply(s->fd, in->unique, 0, &o, sizeof(o));
	s->st->initialized = 1;
}

/* One request; returns 1 when the filesystem is going away. */
static int dispatch(struct server *s, const char *buf, size_t len, bool no_passthrough)
{
	const void *arg;
	size_t alen;
	const struct fuse_in_header *in = fuse_request(buf, len, 0, &arg, &alen);
	if (!in)
		return 0;
#define NEED(type) fuse_arg_ok(s->fd, in, arg, alen, sizeof(type), false)
	switch (in->opcode) {
	case FUSE_INIT:
		if (NEED(struct fuse_init_in))
			do_init(s, in, arg, no_passthrough);
		break;
	case FUSE_LOOKUP:
		if (fuse_arg_ok(s->fd, in, arg, alen, 1, true))
			do_lookup(s, in, arg);
		break;
	case FUSE_FORGET:
		if (NEED(struct fuse_forget_in))
			forget_one(s, in->nodeid, ((const struct fuse_forget_in *)arg)->nlookup);
		break; /* no reply */
	case FUSE_BATCH_FORGET:
		if (NEED(struct fuse_batch_forget_in))
			batch_forget(s, arg, alen);
		break;
	case FUSE_GETATTR:
		do_getattr(s, in);
		break;
	case FUSE_OPEN:
		do_open(s, in);
		break;
	case FUSE_READ:
		if (NEED(struct fuse_read_in))
			do_read(s, in, arg);
		break;
	case FUSE_RELEASE:
		if (NEED(struct fuse_release_in))
			do_release(s, in, arg);
		break;
	case FUSE_READDIR:
		if (NEED(struct fuse_read_in))
			do_readdir(s, in, arg);
		break;
	case FUSE_FLUSH:
	case FUSE_FSYNCDIR:
		fuse_reply_status(s->fd, in->unique, 0);
		break;
	default:
		return fuse_reply_common(s->fd, in);
	}
#undef NEED
	return 0;
}

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	stop_requested = 1;
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
	int r = pthread_create(&tid, NULL, server_sampler, s);
	s->threads = r == 0;
	if (r == 0 && s->cache)
		r = pthread_create(&tid, NULL, cache_serve, s->cache);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return cell_error_errno(err, r, "cellfs: start the server's threads");
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

/* What a server sets up once its state is mapped: limits, the sampled connection, resends. */
static int server_start(struct server *s, const struct cellfs_server_opts *opts,
			struct cell_error **err)
{
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
		s->slot_active[i] = mono_s();
	/* $CELLFS_IDLE_SECONDS: for tests and bench/viewfs-mem.sh, which cannot wait a minute. */
	const char *idle = getenv("CELLFS_IDLE_SECONDS");
	s->idle_seconds = idle && atoi(idle) > 0 ? (unsigned)atoi(idle) : 60;
	s->passthrough = s->st->passthrough && !opts->no_passthrough;
	if (opts->cache_fd >= 0) {
		fcntl(opts->cache_fd, F_SETFL, fcntl(opts->cache_fd, F_GETFL) & ~O_NONBLOCK);
		s->cache = cache_new(opts->cache_fd, &s->st->cache, s->load, &s->load_lock,
				     s->idle_seconds);
		if (!s->cache)
			return cell_error_set(err, ENOMEM, "cellfs: out of memory");
	}
	/* A predecessor may have died holding requests it had read: have them sent again. */
	if (s->st->initialized && s->st->kernel_minor >= 41)
		fuse_notify_resend(s->fd, "views");
	return 0;
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
	if ((r = server_start(s, opts, err)) < 0)
		goto out;
	/* Passthrough opens a predecessor counted stay in the shared state and are released by
	 * their fh (which names the node), so counting carries over across servers. */
	r = serve_loop(s, opts->no_passthrough, err);
	/* Once started, the sampler and the sampled connection's thread (maybe blocked in read():
	 * a restart does not unmount) use the state until the process exits, which it does next. */
	if (s->threads)
		return r;
out:
	if (s->st)
		munmap(s->st, sizeof(*s->st));
	for (size_t i = 0; s->handles && i < MAX_HANDLES; i++)
		vbuf_free(&s->handles[i].content);
	free(s->handles);
	for (int i = 0; i < CELLFS_MAX_SLOTS; i++)
		server_kept_free(s, i);
	vbuf_free(&s->out);
	load_tracker_free(s->load);
	cache_free(s->cache);
	free(s);
	return r;
}
