/* fuse-io.c - what both of cellfs's FUSE connections write: replies, notifications, dirents. */
#include <dirent.h>
#include <errno.h>
#include <linux/fuse.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuse.h"
#include "log.h"

uint64_t cellfs_requests[2][STATS_OPCODES];

int fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + (error ? 0 : len)),
				     .error = error,
				     .unique = unique };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)data, error ? 0 : len } };
	ssize_t n = writev(fd, iov, 2);
	/* ENOENT: the request was interrupted and is gone - nothing to answer. */
	if (n < 0 && errno != ENOENT)
		log_warn("reply to request %llu: %m", (unsigned long long)unique);
	return n < 0 ? -errno : 0;
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
