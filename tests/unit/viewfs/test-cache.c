/* test-cache.c - the sampled connection's request handling (cache.c), with a socketpair in place
 * of /dev/fuse: each request goes to cache_dispatch, each reply or notification is one packet. */
#include <errno.h>
#include <linux/fuse.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cache.h"

/* Node ids as cache.c numbers them: slot s's directory, proc/ and proc/loadavg. */
#define NODE(s, i) ((((uint64_t)(s) + 1) << 2) | (i))
#define DAY 86400

struct fix {
	int fd[2]; /* [0] the server's end, [1] the "kernel's" */
	struct cellfs_cache_state *st;
	struct load_tracker *load;
	pthread_mutex_t lock;
	struct cache *c;
	uint64_t unique;
};

/* One reply or notification: its header and up to 4 KiB of data. */
struct pkt {
	struct fuse_out_header h;
	union {
		char data[4096];
		uint64_t align;
	};
	size_t dlen;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, f->fd), 0);
	f->st = calloc(1, sizeof(*f->st));
	f->load = load_tracker_new();
	assert_non_null(f->st);
	assert_non_null(f->load);
	pthread_mutex_init(&f->lock, NULL);
	f->c = cache_new(f->fd[0], f->st, f->load, &f->lock, 60);
	assert_non_null(f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	cache_free(f->c);
	load_tracker_free(f->load);
	free(f->st);
	close(f->fd[0]);
	close(f->fd[1]);
	free(f);
	return 0;
}

/* A request of opcode on nodeid from pid with arg (alen bytes); returns cache_dispatch's value. */
static int req(struct fix *f, uint32_t opcode, uint64_t nodeid, pid_t pid, const void *arg,
	       size_t alen)
{
	static uint64_t buf[1024];
	struct fuse_in_header *in = (void *)buf;
	assert_true(sizeof(*in) + alen <= sizeof(buf));
	*in = (struct fuse_in_header){ .len = (uint32_t)(sizeof(*in) + alen),
				       .opcode = opcode,
				       .unique = ++f->unique,
				       .nodeid = nodeid,
				       .pid = (uint32_t)pid };
	if (alen)
		memcpy(in + 1, arg, alen);
	return cache_dispatch(f->c, (const char *)buf, in->len);
}

/* The next packet the server wrote; false when there is none. */
static bool next(struct fix *f, struct pkt *p)
{
	struct iovec iov[2] = { { &p->h, sizeof(p->h) }, { p->data, sizeof(p->data) } };
	struct msghdr m = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = recvmsg(f->fd[1], &m, MSG_DONTWAIT);
	if (n < 0)
		return false;
	assert_true((size_t)n >= sizeof(p->h));
	assert_int_equal(p->h.len, n);
	p->dlen = (size_t)n - sizeof(p->h);
	return true;
}

/* The reply to the last request: its error (0 or -errno), data in p. */
static int reply(struct fix *f, struct pkt *p)
{
	assert_true(next(f, p));
	assert_int_equal(p->h.unique, f->unique);
	return p->h.error;
}

static int reply_only(struct fix *f, struct pkt *p)
{
	int r = reply(f, p);
	struct pkt extra;
	assert_false(next(f, &extra));
	return r;
}

static void no_reply(struct fix *f)
{
	struct pkt p;
	assert_false(next(f, &p));
}

/* One request whose answer, on success, is exactly an out of outlen bytes. */
static int call(struct fix *f, uint32_t op, uint64_t node, pid_t pid, const void *in, size_t inlen,
		void *out, size_t outlen)
{
	struct pkt p;
	assert_int_equal(req(f, op, node, pid, in, inlen), 0);
	int r = reply_only(f, &p);
	if (r == 0) {
		assert_int_equal(p.dlen, outlen);
		memcpy(out, p.data, outlen);
	}
	return r;
}

static int lookup(struct fix *f, uint64_t parent, const char *name, struct fuse_entry_out *e)
{
	return call(f, FUSE_LOOKUP, parent, getpid(), name, strlen(name) + 1, e, sizeof(*e));
}

/* c1 looked up down to its loadavg (slot 0). */
static void walk(struct fix *f)
{
	struct fuse_entry_out e;
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c1", &e), 0);
	assert_int_equal(lookup(f, NODE(0, 0), "proc", &e), 0);
	assert_int_equal(lookup(f, NODE(0, 1), "loadavg", &e), 0);
}

static int getattr(struct fix *f, uint64_t node, pid_t pid, struct fuse_attr_out *a)
{
	struct fuse_getattr_in g = { 0 };
	return call(f, FUSE_GETATTR, node, pid, &g, sizeof(g), a, sizeof(*a));
}

/* The caller's cgroup as cache.c binds it; skips when this host gives none (no cpu cgroup). */
static void own_cgroup(struct reader_cgroup *cg)
{
	if (reader_cgroup_resolve(getpid(), cg) < 0)
		skip();
}

static void test_init(void **state)
{
	struct fix *f = *state;
	struct fuse_init_in ii = { .major = 7,
				   .minor = 45,
				   .max_readahead = 65536,
				   .flags = FUSE_ASYNC_READ | FUSE_AUTO_INVAL_DATA |
					    FUSE_POSIX_LOCKS };
	struct pkt p;
	assert_int_equal(req(f, FUSE_INIT, 0, 0, &ii, sizeof(ii)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, sizeof(struct fuse_init_out));
	struct fuse_init_out *o = (void *)p.data;
	assert_int_equal(o->major, FUSE_KERNEL_VERSION);
	assert_int_equal(o->minor, 41);
	assert_int_equal(o->max_readahead, 65536);
	/* page-cache serving: never FUSE_AUTO_INVAL_DATA */
	assert_int_equal(o->flags, FUSE_ASYNC_READ);
	assert_int_equal(f->st->initialized, 1);
	assert_int_equal(f->st->kernel_minor, 45);
	ii.minor = 31;
	assert_int_equal(req(f, FUSE_INIT, 0, 0, &ii, sizeof(ii)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(((struct fuse_init_out *)p.data)->minor, 31);
	/* truncated: dropped without an answer */
	assert_int_equal(req(f, FUSE_INIT, 0, 0, &ii, 8), 0);
	no_reply(f);
}

static void test_lookup(void **state)
{
	struct fix *f = *state;
	struct fuse_entry_out e;
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c1", &e), 0);
	assert_int_equal(e.nodeid, NODE(0, 0));
	assert_true(S_ISDIR(e.attr.mode));
	assert_int_equal(e.entry_valid, DAY);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c2", &e), 0);
	assert_int_equal(e.nodeid, NODE(1, 0));
	assert_int_equal(lookup(f, NODE(0, 0), "proc", &e), 0);
	assert_int_equal(e.nodeid, NODE(0, 1));
	assert_int_equal(lookup(f, NODE(0, 1), "loadavg", &e), 0);
	assert_int_equal(e.nodeid, NODE(0, 2));
	assert_int_equal(e.attr.mode, S_IFREG | 0444);
	/* unbound: the attributes are not cached, so the first reader reaches cellfs */
	assert_int_equal(e.attr_valid, 0);
	assert_int_equal(e.attr.size, 0);
	assert_int_equal(f->st->slots[0].nlookup[0], 1);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c1", &e), 0);
	assert_int_equal(f->st->slots[0].nlookup[0], 2);
	assert_int_equal(lookup(f, NODE(0, 0), "sys", &e), -ENOENT);
	assert_int_equal(lookup(f, NODE(0, 1), "meminfo", &e), -ENOENT);
	assert_int_equal(lookup(f, NODE(0, 2), "x", &e), -ENOENT);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "..", &e), -ENOENT);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "a b", &e), -ENOENT);
	assert_int_equal(lookup(f, NODE(7, 0), "proc", &e), -ENOENT); /* unused slot */
	assert_int_equal(lookup(f, NODE(5000, 0), "proc", &e), -ENOENT);
	assert_int_equal(lookup(f, 2, "proc", &e), -ENOENT); /* (0 << 2) | 2 */
	/* a name the kernel did not terminate */
	struct pkt p;
	assert_int_equal(req(f, FUSE_LOOKUP, FUSE_ROOT_ID, 1, "c1", 2), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
	assert_int_equal(req(f, FUSE_LOOKUP, FUSE_ROOT_ID, 1, NULL, 0), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
}

/* The first reader's GETATTR binds the slot to its cgroup; READ serves the text. */
static void test_getattr_read(void **state)
{
	struct fix *f = *state;
	struct reader_cgroup cg;
	struct fuse_attr_out a;
	struct pkt p;
	own_cgroup(&cg);
	walk(f);
	assert_int_equal(getattr(f, NODE(0, 0), getpid(), &a), 0);
	assert_true(S_ISDIR(a.attr.mode));
	assert_false(f->st->slots[0].bound);
	assert_int_equal(getattr(f, NODE(0, 2), getpid(), &a), 0);
	assert_true(f->st->slots[0].bound);
	assert_string_equal(f->st->slots[0].cgroup, cg.cpu);
	assert_int_equal(a.attr_valid, DAY);
	assert_true(a.attr.size > 10 && a.attr.size < 128);
	struct fuse_read_in rd = { .size = 4096 };
	assert_int_equal(req(f, FUSE_READ, NODE(0, 2), getpid(), &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, a.attr.size);
	float l1, l5, l15;
	unsigned run, total, last;
	p.data[p.dlen] = '\0';
	assert_int_equal(sscanf(p.data, "%f %f %f %u/%u %u", &l1, &l5, &l15, &run, &total, &last),
			 6);
	assert_int_equal(p.data[p.dlen - 1], '\n');
	/* a read from the middle, past the end, and a short one */
	rd.offset = 5;
	assert_int_equal(req(f, FUSE_READ, NODE(0, 2), getpid(), &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, a.attr.size - 5);
	rd.offset = 1000;
	assert_int_equal(req(f, FUSE_READ, NODE(0, 2), getpid(), &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, 0);
	rd = (struct fuse_read_in){ .size = 3 };
	assert_int_equal(req(f, FUSE_READ, NODE(0, 2), getpid(), &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, 3);
	/* a directory, an unknown node, a truncated request */
	assert_int_equal(req(f, FUSE_READ, NODE(0, 1), getpid(), &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), -EIO);
	assert_int_equal(getattr(f, NODE(9, 2), getpid(), &a), -ENOENT);
	assert_int_equal(req(f, FUSE_READ, NODE(0, 2), getpid(), &rd, 8), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
}

/* A reader that cannot be resolved leaves the slot unbound: its file reads empty. */
static void test_unresolvable_reader(void **state)
{
	struct fix *f = *state;
	struct fuse_attr_out a;
	walk(f);
	assert_int_equal(getattr(f, NODE(0, 2), 0, &a), 0);
	assert_false(f->st->slots[0].bound);
	assert_int_equal(a.attr_valid, 0);
	assert_int_equal(a.attr.size, 0);
}

static void test_enosys(void **state)
{
	struct fix *f = *state;
	struct fuse_open_in o = { .flags = 0 };
	struct fuse_flush_in fl = { 0 };
	struct pkt p;
	walk(f);
	/* ENOSYS makes the kernel stop sending OPEN and FLUSH: no request per open or close */
	assert_int_equal(req(f, FUSE_OPEN, NODE(0, 2), getpid(), &o, sizeof(o)), 0);
	assert_int_equal(reply_only(f, &p), -ENOSYS);
	assert_int_equal(req(f, FUSE_FLUSH, NODE(0, 2), getpid(), &fl, sizeof(fl)), 0);
	assert_int_equal(reply_only(f, &p), -ENOSYS);
	assert_int_equal(req(f, FUSE_WRITE, NODE(0, 2), getpid(), &fl, sizeof(fl)), 0);
	assert_int_equal(reply_only(f, &p), -ENOSYS);
	assert_int_equal(req(f, 4242, NODE(0, 2), getpid(), NULL, 0), 0);
	assert_int_equal(reply_only(f, &p), -ENOSYS);
	/* OPENDIR is answered (no handle); INTERRUPT never is */
	assert_int_equal(req(f, FUSE_OPENDIR, NODE(0, 0), getpid(), &o, sizeof(o)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(req(f, FUSE_INTERRUPT, 0, 0, &o, sizeof(o)), 0);
	no_reply(f);
}

/* After a claim: the inode's invalidation, then the store of its new text; its size. */
static size_t expect_claim_store(struct fix *f)
{
	struct pkt p;
	assert_true(next(f, &p));
	assert_int_equal(p.h.unique, 0);
	assert_int_equal(p.h.error, FUSE_NOTIFY_INVAL_INODE);
	assert_int_equal(((struct fuse_notify_inval_inode_out *)p.data)->ino, NODE(0, 2));
	assert_true(next(f, &p));
	assert_int_equal(p.h.error, FUSE_NOTIFY_STORE);
	struct fuse_notify_store_out *s = (void *)p.data;
	assert_int_equal(s->nodeid, NODE(0, 2));
	assert_int_equal(s->offset, 0);
	assert_true(s->size > 10 && s->size < 128);
	assert_int_equal(p.dlen, sizeof(*s) + s->size);
	no_reply(f);
	return s->size;
}

/* A slot bound by some reader to another cgroup (as a host read before the container starts). */
static void bind_elsewhere(struct fix *f)
{
	struct cellfs_cache_slot *sl = &f->st->slots[0];
	snprintf(sl->cgroup, sizeof(sl->cgroup), "/nonexistent/cell-test-other");
	sl->bound = 1;
}

/* This process's cgroup in cg; the tree walked; slot 0 bound to another cgroup, for a claim to move. */
static void claim_setup(struct fix *f, struct reader_cgroup *cg)
{
	own_cgroup(cg);
	walk(f);
	bind_elsewhere(f);
}

static int setattr(struct fix *f, uint64_t node, uint32_t valid, struct pkt *p)
{
	struct fuse_setattr_in sa = { .valid = valid, .mode = 0777 };
	assert_int_equal(req(f, FUSE_SETATTR, node, getpid(), &sa, sizeof(sa)), 0);
	return reply(f, p);
}

static void test_setattr_claim(void **state)
{
	struct fix *f = *state;
	struct reader_cgroup cg;
	struct fuse_attr_out a;
	struct pkt p;
	claim_setup(f, &cg);
	/* a reader does not move a bound slot */
	assert_int_equal(getattr(f, NODE(0, 2), getpid(), &a), 0);
	assert_string_equal(f->st->slots[0].cgroup, "/nonexistent/cell-test-other");
	/* utimensat(UTIME_NOW) of the file: a claim */
	assert_int_equal(
		setattr(f, NODE(0, 2),
			FATTR_ATIME | FATTR_MTIME | FATTR_ATIME_NOW | FATTR_MTIME_NOW | FATTR_CTIME,
			&p),
		0);
	assert_int_equal(p.dlen, sizeof(a));
	memcpy(&a, p.data, sizeof(a));
	assert_string_equal(f->st->slots[0].cgroup, cg.cpu);
	assert_int_equal(a.attr.mode, S_IFREG | 0444); /* nothing of the file changed */
	assert_int_equal(a.attr_valid, DAY);
	assert_int_equal(expect_claim_store(f), a.attr.size);
	/* anything but the times: EPERM, nothing bound */
	bind_elsewhere(f);
	assert_int_equal(setattr(f, NODE(0, 2), FATTR_MODE, &p), -EPERM);
	assert_int_equal(setattr(f, NODE(0, 2), FATTR_SIZE | FATTR_MTIME, &p), -EPERM);
	assert_int_equal(setattr(f, NODE(0, 2), FATTR_UID, &p), -EPERM);
	/* the times of a directory, or of an unknown node */
	assert_int_equal(setattr(f, NODE(0, 1), FATTR_MTIME, &p), -EPERM);
	assert_int_equal(setattr(f, FUSE_ROOT_ID, FATTR_MTIME, &p), -EPERM);
	assert_int_equal(setattr(f, NODE(3, 2), FATTR_MTIME, &p), -ENOENT);
	no_reply(f);
	assert_string_equal(f->st->slots[0].cgroup, "/nonexistent/cell-test-other");
	/* a claimant that cannot be resolved, a truncated request */
	struct fuse_setattr_in sa = { .valid = FATTR_MTIME };
	assert_int_equal(req(f, FUSE_SETATTR, NODE(0, 2), 0, &sa, sizeof(sa)), 0);
	assert_int_equal(reply_only(f, &p), -ESRCH);
	assert_int_equal(req(f, FUSE_SETATTR, NODE(0, 2), getpid(), &sa, sizeof(sa) - 1), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
	assert_string_equal(f->st->slots[0].cgroup, "/nonexistent/cell-test-other");
}

static int getxattr(struct fix *f, uint64_t node, uint32_t size, const char *name, struct pkt *p)
{
	char buf[256];
	struct fuse_getxattr_in gx = { .size = size };
	memcpy(buf, &gx, sizeof(gx));
	snprintf(buf + sizeof(gx), sizeof(buf) - sizeof(gx), "%s", name);
	assert_int_equal(req(f, FUSE_GETXATTR, node, getpid(), buf, sizeof(gx) + strlen(name) + 1),
			 0);
	return reply(f, p);
}

static void test_getxattr_claim(void **state)
{
	struct fix *f = *state;
	struct reader_cgroup cg;
	struct fuse_attr_out a;
	struct pkt p;
	claim_setup(f, &cg);
	/* getxattr(path, name, NULL, 0): the value's size, 0 */
	assert_int_equal(getxattr(f, NODE(0, 2), 0, "user.cellfs.claim", &p), 0);
	assert_int_equal(p.dlen, sizeof(struct fuse_getxattr_out));
	assert_int_equal(((struct fuse_getxattr_out *)p.data)->size, 0);
	assert_string_equal(f->st->slots[0].cgroup, cg.cpu);
	size_t size = expect_claim_store(f);
	assert_int_equal(getattr(f, NODE(0, 2), getpid(), &a), 0);
	assert_int_equal(a.attr.size, size);
	/* getxattr with a buffer: the empty value itself */
	bind_elsewhere(f);
	assert_int_equal(getxattr(f, NODE(0, 2), 64, "user.cellfs.claim", &p), 0);
	assert_int_equal(p.dlen, 0);
	assert_string_equal(f->st->slots[0].cgroup, cg.cpu);
	expect_claim_store(f);
	/* any other name: ENODATA (not ENOSYS, which would end GETXATTR for good) */
	bind_elsewhere(f);
	assert_int_equal(getxattr(f, NODE(0, 2), 0, "security.selinux", &p), -ENODATA);
	assert_int_equal(getxattr(f, NODE(0, 2), 0, "user.cellfs.claimx", &p), -ENODATA);
	assert_int_equal(getxattr(f, NODE(0, 1), 0, "user.cellfs.claim", &p), -EPERM);
	no_reply(f);
	assert_string_equal(f->st->slots[0].cgroup, "/nonexistent/cell-test-other");
	/* no name, or one not terminated */
	struct fuse_getxattr_in gx = { 0 };
	assert_int_equal(req(f, FUSE_GETXATTR, NODE(0, 2), getpid(), &gx, sizeof(gx)), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
	char buf[sizeof(gx) + 4] = { 0 };
	memcpy(buf + sizeof(gx), "user", 4);
	assert_int_equal(req(f, FUSE_GETXATTR, NODE(0, 2), getpid(), buf, sizeof(buf)), 0);
	assert_int_equal(reply_only(f, &p), -EINVAL);
}

/* The sampler's tick: a binding whose cgroup is gone ends (the kernel drops the page, the next
 * reader binds anew); a claim's text is stored again at the next tick (a tick's store may have
 * overtaken the claim's). */
static void test_tick(void **state)
{
	struct fix *f = *state;
	struct reader_cgroup cg;
	struct pkt p;
	claim_setup(f, &cg);
	cache_tick(f->c, false);
	assert_false(f->st->slots[0].bound);
	assert_true(next(f, &p));
	assert_int_equal(p.h.error, FUSE_NOTIFY_INVAL_INODE);
	assert_int_equal(((struct fuse_notify_inval_inode_out *)p.data)->ino, NODE(0, 2));
	no_reply(f);
	/* unbound: nothing to give the kernel, unless forced (a restart): then only the drop */
	cache_tick(f->c, false);
	no_reply(f);
	cache_tick(f->c, true);
	assert_true(next(f, &p));
	assert_int_equal(p.h.error, FUSE_NOTIFY_INVAL_INODE);
	no_reply(f);
	assert_int_equal(setattr(f, NODE(0, 2), FATTR_MTIME, &p), 0);
	expect_claim_store(f);
	cache_tick(f->c, false);
	expect_claim_store(f);
	assert_string_equal(f->st->slots[0].cgroup, cg.cpu);
}

static void test_forget(void **state)
{
	struct fix *f = *state;
	struct fuse_entry_out e;
	walk(f);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c2", &e), 0);
	assert_true(f->st->used[0] && f->st->used[1]);
	struct fuse_forget_in fg = { .nlookup = 1 };
	assert_int_equal(req(f, FUSE_FORGET, NODE(0, 2), 0, &fg, sizeof(fg)), 0);
	assert_int_equal(req(f, FUSE_FORGET, NODE(0, 1), 0, &fg, sizeof(fg)), 0);
	no_reply(f);
	assert_true(f->st->used[0]); /* its directory is still looked up */
	fg.nlookup = 5;		     /* more than looked up: clamped */
	assert_int_equal(req(f, FUSE_FORGET, NODE(0, 0), 0, &fg, sizeof(fg)), 0);
	assert_false(f->st->used[0]);
	/* unknown nodes, the root, a truncated one */
	assert_int_equal(req(f, FUSE_FORGET, NODE(0, 0), 0, &fg, sizeof(fg)), 0);
	assert_int_equal(req(f, FUSE_FORGET, FUSE_ROOT_ID, 0, &fg, sizeof(fg)), 0);
	assert_int_equal(req(f, FUSE_FORGET, NODE(1, 0), 0, &fg, 4), 0);
	assert_true(f->st->used[1]);
	no_reply(f);
	/* the slot is free for a new name */
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c3", &e), 0);
	assert_int_equal(e.nodeid, NODE(0, 0));
}

static void test_batch_forget(void **state)
{
	struct fix *f = *state;
	struct fuse_entry_out e;
	walk(f);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c2", &e), 0);
	struct {
		struct fuse_batch_forget_in b;
		struct fuse_forget_one one[4];
	} bf = { .b = { .count = 4 },
		 .one = { { NODE(0, 0), 1 }, { NODE(0, 1), 1 }, { NODE(0, 2), 1 }, { 99, 1 } } };
	/* a count beyond the request's end: only what is there counts */
	bf.b.count = 1000;
	assert_int_equal(req(f, FUSE_BATCH_FORGET, 0, 0, &bf, sizeof(bf) - sizeof(bf.one[0])), 0);
	no_reply(f);
	assert_false(f->st->used[0]);
	assert_true(f->st->used[1]);
	/* shorter than its header, or counting none */
	assert_int_equal(req(f, FUSE_BATCH_FORGET, 0, 0, &bf, 4), 0);
	bf.b.count = 0;
	bf.one[0].nodeid = NODE(1, 0);
	assert_int_equal(req(f, FUSE_BATCH_FORGET, 0, 0, &bf, sizeof(bf)), 0);
	no_reply(f);
	assert_true(f->st->used[1]);
}

static void test_readdir(void **state)
{
	struct fix *f = *state;
	struct fuse_entry_out e;
	struct pkt p;
	walk(f);
	assert_int_equal(lookup(f, FUSE_ROOT_ID, "c2", &e), 0);
	struct fuse_read_in rd = { .size = 4096 };
	assert_int_equal(req(f, FUSE_READDIR, FUSE_ROOT_ID, 0, &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	const char *names[] = { ".", "..", "c1", "c2" };
	size_t pos = 0, k = 0;
	while (pos < p.dlen) {
		struct fuse_dirent *d = (void *)(p.data + pos);
		assert_true(k < 4);
		assert_int_equal(d->namelen, strlen(names[k]));
		assert_memory_equal(d->name, names[k], d->namelen);
		pos += FUSE_DIRENT_SIZE(d);
		k++;
	}
	assert_int_equal(k, 4);
	assert_int_equal(req(f, FUSE_READDIR, NODE(0, 1), 0, &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_non_null(memmem(p.data, p.dlen, "loadavg", 7));
	assert_int_equal(req(f, FUSE_READDIR, NODE(0, 2), 0, &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), -ENOTDIR);
	rd.size = 10; /* too small for one entry */
	assert_int_equal(req(f, FUSE_READDIR, FUSE_ROOT_ID, 0, &rd, sizeof(rd)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(p.dlen, 0);
}

/* Requests that do not add up are dropped, never answered from beyond their end. */
static void test_malformed(void **state)
{
	struct fix *f = *state;
	uint64_t buf[16] = { 0 };
	struct fuse_in_header *in = (void *)buf;
	struct pkt p;
	assert_int_equal(cache_dispatch(f->c, (const char *)buf, 0), 0);
	assert_int_equal(cache_dispatch(f->c, (const char *)buf, sizeof(*in) - 1), 0);
	*in = (struct fuse_in_header){ .len = 100, .opcode = FUSE_GETATTR, .nodeid = 1 };
	assert_int_equal(cache_dispatch(f->c, (const char *)buf, sizeof(*in)), 0);
	in->len = 10;
	assert_int_equal(cache_dispatch(f->c, (const char *)buf, 10), 0);
	no_reply(f);
	/* a header alone is a GETATTR of the root */
	in->len = sizeof(*in);
	assert_int_equal(cache_dispatch(f->c, (const char *)buf, sizeof(*in)), 0);
	assert_int_equal(reply_only(f, &p), 0);
	/* STATFS, RELEASE, then DESTROY ends the loop */
	assert_int_equal(req(f, FUSE_STATFS, FUSE_ROOT_ID, 0, NULL, 0), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(((struct fuse_statfs_out *)p.data)->st.bsize, 4096);
	assert_int_equal(req(f, FUSE_RELEASEDIR, FUSE_ROOT_ID, 0, buf, 24), 0);
	assert_int_equal(reply_only(f, &p), 0);
	assert_int_equal(req(f, FUSE_DESTROY, 0, 0, NULL, 0), 1);
	assert_int_equal(reply_only(f, &p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getattr_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unresolvable_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enosys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setattr_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_getxattr_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_forget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readdir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
