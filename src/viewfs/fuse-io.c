/* fuse-io.c - what both of cellfs's FUSE connections share: request checks, replies, notifications,
 * dirents. */
#include <dirent.h>
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuse.h"
#include "log.h"

uint64_t cellfs_requests[2][STATS_OPCODES];

/* Most replies (OPEN, RELEASE, GETATTR, an error) are a few dozen bytes: one write() of a copy
 * skips the iovec import of writev(), ~0.1 us of the two replies of every open. */
#define REPLY_COPY_MAX 512

int fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
				     .error = error,
				     .unique = unique };
	ssize_t n;
	if (h.len <= REPLY_COPY_MAX) {
		char buf[REPLY_COPY_MAX];
		memcpy(buf, &h, sizeof(h));
		if (h.len > sizeof(h))
			memcpy(buf + sizeof(h), data, h.len - sizeof(h));
		n = write(fd, buf, h.len);
	} else {
		struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, error ? 0 : len } };
		n = writev(fd, iov, 2);
	}
	/* ENOENT: the request was interrupted and is gone - nothing to answer. */
	if (n < 0 && errno != ENOENT)
		log_warn("reply to request %llu: %m", (unsigned long long)unique);
	return n < 0 ? -errno : 0;
}

int fuse_reply_read(int fd, uint64_t unique, const struct fuse_read_in *rd, const void *data,
		    size_t len)
{
	size_t off = rd->offset < len ? (size_t)rd->offset : len;
	size_t n = len - off < rd->size ? len - off : rd->size;
	return fuse_reply(fd, unique, 0, (const char *)data + off, n);
}

const struct fuse_in_header *fuse_request(const char *buf, size_t len, int conn, const void **arg,
					  size_t *alen)
{
	const struct fuse_in_header *in = (const void *)buf;
	if (len < sizeof(*in) || in->len != len)
		return NULL;
	cellfs_count(conn, in->opcode);
	*arg = buf + sizeof(*in);
	*alen = len - sizeof(*in);
	return in;
}

bool fuse_arg_ok(int fd, const struct fuse_in_header *in, const void *arg, size_t alen, size_t need,
		 bool string)
{
	if (alen >= need && (!string || (alen > 0 && ((const char *)arg)[alen - 1] == '\0')))
		return true;
	fuse_reply_status(fd, in->unique, -EINVAL);
	return false;
}

int fuse_reply_common(int fd, const struct fuse_in_header *in)
{
	switch (in->opcode) {
	case FUSE_OPENDIR: {
		struct fuse_open_out o = { 0 };
		fuse_reply(fd, in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_RELEASEDIR:
		fuse_reply_status(fd, in->unique, 0);
		break;
	case FUSE_STATFS: {
		struct fuse_statfs_out o = {
			.st = { .bsize = 4096, .frsize = 4096, .namelen = 63 }
		};
		fuse_reply(fd, in->unique, 0, &o, sizeof(o));
		break;
	}
	case FUSE_INTERRUPT:
		break; /* every request is answered at once anyway */
	case FUSE_DESTROY:
		fuse_reply_status(fd, in->unique, 0);
		return 1;
	default:
		fuse_reply_status(fd, in->unique, -ENOSYS);
	}
	return 0;
}

void fuse_init_out_fill(struct fuse_init_out *o, const struct fuse_init_in *ii, uint32_t max_write)
{
	*o = (struct fuse_init_out){ .major = FUSE_KERNEL_VERSION,
				     .minor = ii->minor < 41 ? ii->minor : 41,
				     .max_readahead = ii->max_readahead,
				     .max_write = max_write,
				     .time_gran = 1,
				     .max_background = 16,
				     .congestion_threshold = 12 };
}

size_t fuse_add_dirent(char *buf, size_t size, size_t pos, uint64_t ino, uint64_t off,
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

bool fuse_valid_name(const char *n)
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

static int notify(int fd, int code, const void *arg, size_t alen, const void *data, size_t dlen)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + alen + dlen), .error = code };
	struct iovec iov[3] = { { &h, sizeof(h) }, { (void *)arg, alen }, { (void *)data, dlen } };
	return writev(fd, iov, 3) < 0 ? -errno : 0;
}

void fuse_notify_resend(int fd, const char *conn)
{
	struct fuse_out_header h = { .len = sizeof(h), .error = CELLFS_NOTIFY_RESEND };
	if (write(fd, &h, sizeof(h)) < 0)
		log_warn("FUSE_NOTIFY_RESEND (%s connection): %m", conn);
}

int fuse_notify_inval_entry(int fd, uint64_t parent, const char *name)
{
	struct fuse_notify_inval_entry_out o = { .parent = parent,
						 .namelen = (uint32_t)strlen(name) };
	if (o.namelen == 0)
		return 0;
	return notify(fd, FUSE_NOTIFY_INVAL_ENTRY, &o, sizeof(o), name, o.namelen + 1);
}

int fuse_notify_inval_inode(int fd, uint64_t nodeid, int64_t offset, int64_t len)
{
	struct fuse_notify_inval_inode_out o = { .ino = nodeid, .off = offset, .len = len };
	return notify(fd, FUSE_NOTIFY_INVAL_INODE, &o, sizeof(o), NULL, 0);
}

int fuse_notify_store(int fd, uint64_t nodeid, const void *data, size_t len)
{
	struct fuse_notify_store_out o = { .nodeid = nodeid, .offset = 0, .size = (uint32_t)len };
	return notify(fd, FUSE_NOTIFY_STORE, &o, sizeof(o), data, len);
}

static const char *const opnames[STATS_OPCODES] = {
	[FUSE_LOOKUP] = "LOOKUP",
	[FUSE_FORGET] = "FORGET",
	[FUSE_GETATTR] = "GETATTR",
	[FUSE_SETATTR] = "SETATTR",
	[FUSE_GETXATTR] = "GETXATTR",
	[FUSE_OPEN] = "OPEN",
	[FUSE_READ] = "READ",
	[FUSE_STATFS] = "STATFS",
	[FUSE_RELEASE] = "RELEASE",
	[FUSE_FLUSH] = "FLUSH",
	[FUSE_INIT] = "INIT",
	[FUSE_OPENDIR] = "OPENDIR",
	[FUSE_READDIR] = "READDIR",
	[FUSE_RELEASEDIR] = "RELEASEDIR",
	[FUSE_INTERRUPT] = "INTERRUPT",
	[FUSE_DESTROY] = "DESTROY",
	[FUSE_BATCH_FORGET] = "BATCH_FORGET",
};

/* "views OPEN 1234" lines: every opcode either connection was sent since this server started. */
int cellfs_stats_render(struct vbuf *out)
{
	static const char *const conn[2] = { "views", "sampled" };
	vbuf_reset(out);
	for (int c = 0; c < 2; c++)
		for (unsigned op = 0; op < STATS_OPCODES; op++) {
			uint64_t n = __atomic_load_n(&cellfs_requests[c][op], __ATOMIC_RELAXED);
			if (n == 0)
				continue;
			int r = opnames[op] ? vbuf_printf(out, "%s %s %llu\n", conn[c], opnames[op],
							  (unsigned long long)n) :
					      vbuf_printf(out, "%s op%u %llu\n", conn[c], op,
							  (unsigned long long)n);
			if (r < 0)
				return r;
		}
	return 0;
}
