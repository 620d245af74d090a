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
};

struct cellfs_server_opts {
	int fuse_fd;
	int state_fd;	 /* memfd holding struct cellfs_state */
	int backing_dir; /* directory for the files that back passthrough opens */
	bool no_passthrough;
};

/* Serve until unmount (returns 0) or a fatal error. SIGTERM ends it with -EINTR. */
int cellfs_serve(const struct cellfs_server_opts *opts, struct cell_error **err);
