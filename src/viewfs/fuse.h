/* fuse.h - the cellfs server: speaks the FUSE protocol on /dev/fuse itself (see fuse.c for why). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "viewfs.h"

/* Protocol 7.40+ pieces that Debian 12's <linux/fuse.h> (7.38) lacks; values from the kernel's
 * include/uapi/linux/fuse.h, which are ABI and never change. */
#ifndef FUSE_PASSTHROUGH
#define FUSE_PASSTHROUGH (1ULL << 37)
#endif
#ifndef FUSE_HAS_RESEND
#define FUSE_HAS_RESEND (1ULL << 39)
#endif
#ifndef FOPEN_PASSTHROUGH
#define FOPEN_PASSTHROUGH (1 << 7)
#endif
#define CELLFS_NOTIFY_RESEND 7 /* enum fuse_notify_code FUSE_NOTIFY_RESEND (7.41) */
struct cellfs_backing_map {    /* struct fuse_backing_map (7.40) */
	int32_t fd;
	uint32_t flags;
	uint64_t padding;
};
#define CELLFS_DEV_IOC_BACKING_OPEN _IOW(229, 1, struct cellfs_backing_map)
#define CELLFS_DEV_IOC_BACKING_CLOSE _IOW(229, 2, uint32_t)

#define CELLFS_MAX_SLOTS 4096
#define CELLFS_MAX_NODES 32
#define CELLFS_STATE_MAGIC 0x63656c6c66730001ULL

/* One container directory; lives in the holder's state memfd so that a new server finds it. */
struct cellfs_slot {
	char name[64];
	uint32_t used;
	uint32_t pad;
	uint64_t nlookup[CELLFS_MAX_NODES];
	int32_t backing[CELLFS_MAX_NODES]; /* backing id of the node's file, 0: none yet */
	uint32_t opens[CELLFS_MAX_NODES];  /* passthrough opens the kernel holds */
};

/* The sampled connection's container directories: <id>/proc/loadavg (cache.c). */
#define CACHE_NODES 3 /* the container's directory, its proc/ and proc/loadavg */
struct cellfs_cache_slot {
	char name[64];
	uint8_t bound; /* cgroup below is set: the first reader's (see cache.c) */
	uint8_t v2, root, pad[5];
	uint64_t nlookup[CACHE_NODES];
	char cgroup[512]; /* the cpu (v1 cpuacct,cpu) or unified cgroup directory */
};
struct cellfs_cache_state {
	uint32_t initialized; /* INIT answered on the sampled connection */
	uint32_t kernel_minor;
	/* Apart from the slots, so that the loops over every slot touch 4 KB, not 2.5 MB. */
	uint8_t used[CELLFS_MAX_SLOTS];
	struct cellfs_cache_slot slots[CELLFS_MAX_SLOTS];
};

struct cellfs_state {
	uint64_t magic;
	uint32_t initialized; /* INIT answered: a restarted server must not expect it again */
	uint32_t kernel_minor;
	uint32_t passthrough;
	uint32_t
		generation; /* bumped by each server, so direct-io handles of a dead one are known */
	uint64_t nlookup_root;
	struct cellfs_slot slots[CELLFS_MAX_SLOTS];
	/* Added after the slots, so that a new server can grow an older holder's memfd. */
	uint32_t nloads;
	uint32_t pad;
	struct load_entry loads[CELLFS_MAX_SLOTS]; /* per-cgroup load averages */
	/* The sampled connection (cache.c), added after the loads for the same reason. */
	struct cellfs_cache_state cache;
};

struct cellfs_server_opts {
	int fuse_fd;
	int state_fd;	 /* memfd holding struct cellfs_state */
	int backing_dir; /* directory for the files that back passthrough opens */
	int cache_fd;	 /* the sampled connection (cache.c); -1 from a holder without one */
	bool no_passthrough;
};

/* Requests answered, per connection (0 the views, 1 the sampled one) and opcode: <mnt>/.stats. */
#define STATS_OPCODES 64
extern uint64_t cellfs_requests[2][STATS_OPCODES];
static inline void cellfs_count(int conn, uint32_t opcode)
{
	if (opcode < STATS_OPCODES)
		__atomic_fetch_add(&cellfs_requests[conn][opcode], 1, __ATOMIC_RELAXED);
}
int cellfs_stats_render(struct vbuf *out);

/* Shared by both connections (fuse-io.c). */
struct fuse_in_header;
struct fuse_init_in;
struct fuse_init_out;
struct fuse_read_in;
/* One reply, header and payload in one write (an error has no payload); 0 or -errno. */
int fuse_reply(int fd, uint64_t unique, int error, const void *data, size_t len);
/* A reply with no payload: 0 (done) or a negative errno. */
static inline int fuse_reply_status(int fd, uint64_t unique, int error)
{
	return fuse_reply(fd, unique, error, NULL, 0);
}
/* A READ's answer: the part of data[0, len) its offset and size ask for. */
int fuse_reply_read(int fd, uint64_t unique, const struct fuse_read_in *rd, const void *data,
		    size_t len);
/* The request read into buf (len bytes, 8-byte aligned), counted for connection conn, with its
 * argument; NULL when its header is cut short or disagrees with len (nothing to answer). */
const struct fuse_in_header *fuse_request(const char *buf, size_t len, int conn, const void **arg,
					  size_t *alen);
/* Whether the request's argument has need bytes and, with string, ends in a NUL (a name); if
 * not, the request is answered EINVAL. */
bool fuse_arg_ok(int fd, const struct fuse_in_header *in, const void *arg, size_t alen, size_t need,
		 bool string);
/* What both connections answer alike: OPENDIR, RELEASEDIR, STATFS, INTERRUPT, DESTROY, and
 * ENOSYS to any other opcode. 1 when the filesystem is going away (DESTROY). */
int fuse_reply_common(int fd, const struct fuse_in_header *in);
/* INIT's answer as both connections give it, up to the flags, which the caller chooses. */
void fuse_init_out_fill(struct fuse_init_out *o, const struct fuse_init_in *ii, uint32_t max_write);
/* FUSE_NOTIFY_RESEND: the requests a predecessor had read and not answered are sent again. */
void fuse_notify_resend(int fd, const char *conn);
size_t fuse_add_dirent(char *buf, size_t size, size_t pos, uint64_t ino, uint64_t off,
		       const char *name, bool dir);
/* FUSE_NOTIFY_INVAL_ENTRY of name in parent; FUSE_NOTIFY_INVAL_INODE of a node's pages (from
 * offset, len 0 = to the end; offset < 0 = attributes only) and attributes; FUSE_NOTIFY_STORE of
 * data at offset 0. Each returns 0 or -errno (-ENOENT: the kernel holds no such node). */
int fuse_notify_inval_entry(int fd, uint64_t parent, const char *name);
int fuse_notify_inval_inode(int fd, uint64_t nodeid, int64_t offset, int64_t len);
int fuse_notify_store(int fd, uint64_t nodeid, const void *data, size_t len);
bool fuse_valid_name(const char *n);

/* Serve until unmount (returns 0) or a fatal error. SIGTERM ends it with -EINTR. */
int cellfs_serve(const struct cellfs_server_opts *opts, struct cell_error **err);
