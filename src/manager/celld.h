/* celld.h - the daemon's shared context: where things live, the database, the runtime it drives. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "db.h"

struct celld {
	char *state_dir;     /* /var/lib/cell: cell.db, images/, instances/, logs/ */
	char *socket_path;   /* unix socket of the API */
	char *runtime;	     /* runc-compatible runtime binary (cellrt) */
	char *runtime_root;  /* its --root */
	char *monitor;	     /* cell-monitor binary */
	char *cgroup_parent; /* cgroupsPath prefix of every instance */
	char *images_dir, *instances_dir, *snapshots_dir, *builtin_image;
	char *cache_dir; /* machine-level cache of built images' trees (/var/cache/cell) */
	struct db *db;
	uint64_t host_mem;
	unsigned host_cpus;
	uid_t idmap_base; /* first host id of the unprivileged range (LXD: 1000000) */
	uint32_t idmap_size;
};

/* A lock per name ("instance/c1"): every change to one instance runs under it, so that two
 * clients changing one instance at once are serialized instead of interleaved. */
struct named_lock;
struct named_lock *named_lock_acquire(const char *name);
/* Returns NULL instead of waiting when someone holds it. */
struct named_lock *named_lock_try(const char *name);
void named_lock_release(struct named_lock *l);
