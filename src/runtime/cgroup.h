/* cgroup.h - one interface over cgroup v1, hybrid and v2: place a container, limit it, read it,
 * freeze it, kill it, remove it. The backends fill struct cgroup_ops; the runtime sees only this. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum cgroup_layout {
	CGROUP_LAYOUT_V1,     /* v1 controllers only */
	CGROUP_LAYOUT_HYBRID, /* v1 controllers + a cgroup2 mount at /sys/fs/cgroup/unified */
	CGROUP_LAYOUT_V2,     /* cgroup2 alone at /sys/fs/cgroup */
};

/* Detected once (statfs of /sys/fs/cgroup and /sys/fs/cgroup/unified), then cached. */
int cgroup_detect_layout(enum cgroup_layout *ret, struct cell_error **err);
const char *cgroup_layout_name(enum cgroup_layout layout);

/* linux.resources of the OCI spec, validated. Opaque: only the backends look inside. */
struct cgroup_resources;
int cgroup_resources_parse(json_t *resources, struct cgroup_resources **ret,
			   struct cell_error **err);
void cgroup_resources_free(struct cgroup_resources *res);
/* Allow a device of linux.devices (rwm), as runc does, when linux.resources.devices restricts
 * devices at all; a no-op otherwise. type is 'b' or 'c'. */
int cgroup_resources_allow_device(struct cgroup_resources *res, char type, int64_t major,
				  int64_t minor);

struct cgroup_stats {
	uint64_t memory_usage, memory_max_usage, memory_limit;
	uint64_t swap_usage, swap_limit;
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns;
	uint64_t pids_current, pids_limit;
	uint64_t oom_kills;
};

/* A container's cgroup (one directory per v1 hierarchy, or one v2 directory). */
struct cgroup;

/*
 * Compute the paths for container `id` from `cgroups_path` (linux.cgroupsPath; NULL or "" for the
 * default) by runc's rules, and pick the backend from the host's layout. Nothing is created yet.
 */
int cgroup_new(const char *id, const char *cgroups_path, struct cgroup **ret,
	       struct cell_error **err);
void cgroup_free(struct cgroup *cg);

/* Create the directories and write the limits, before any process joins. On failure nothing is
 * left behind (no directory, no half-applied limit). */
int cgroup_create(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err);
/* For exec: learn which of the container's directories exist (res says which hierarchies it
 * uses) without writing any limit, so limits changed since creation (`update`) stay. */
int cgroup_find(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err);
/* Move pid into the container's cgroup (every hierarchy). */
int cgroup_attach(struct cgroup *cg, pid_t pid, struct cell_error **err);
/* An O_DIRECTORY fd usable with clone3(CLONE_INTO_CGROUP): v2's directory (made by
 * cgroup_create), on a hybrid host the cgroup2 one (made here, the v1 ones come later);
 * -EOPNOTSUPP on v1 alone. */
int cgroup_open_leaf(struct cgroup *cg, struct cell_error **err);

/*
 * The files through which a process moves itself into a container's cgroup, opened by the
 * runtime and passed to the container's init: on v1, each hierarchy's `tasks`. A thread that
 * writes "0" there moves only itself and skips the global cgroup_threadgroup_rwsem, whose first
 * writer after a quiet spell waits a whole RCU grace period (~10 ms); a single-threaded init
 * moved this way is wholly in the cgroup. Hierarchies joined through clone3(CLONE_INTO_CGROUP)
 * are left out; v2 needs none.
 */
#define CGROUP_JOIN_MAX 13
struct cgroup_join {
	size_t n;
	int fds[CGROUP_JOIN_MAX];
	char names[160]; /* "freezer,devices": the hierarchies, in the order of fds, for errors */
};
int cgroup_open_join(struct cgroup *cg, struct cgroup_join *ret, struct cell_error **err);
void cgroup_join_close(struct cgroup_join *j);
/* In the process that joins: write "0" to each of fds (from cgroup_open_join, in order). */
int cgroup_join_self(const int *fds, size_t n, const char *names, struct cell_error **err);
int cgroup_update(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err);
int cgroup_read_stats(struct cgroup *cg, struct cgroup_stats *ret, struct cell_error **err);
int cgroup_freeze(struct cgroup *cg, bool frozen, struct cell_error **err);
/* true when frozen (v1 freezer FROZEN, v2 cgroup.events frozen 1). */
int cgroup_is_frozen(struct cgroup *cg, bool *ret, struct cell_error **err);
/* Every process in the container's cgroup, sorted. */
int cgroup_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_len, struct cell_error **err);
/* Signal every process (SIGKILL: cgroup.kill on v2, freeze + signal + thaw on v1). */
int cgroup_kill_all(struct cgroup *cg, int signal, struct cell_error **err);
/* Remove the directories; waits briefly for dying tasks. A missing cgroup is not an error. */
int cgroup_destroy(struct cgroup *cg, struct cell_error **err);
/* Hand the container's cgroup to uid/gid (its root in a user namespace), as cgroup v2's
 * delegation model describes: the directory and the files that move processes and enable
 * controllers below it. Call after cgroup_create(). */
int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid, struct cell_error **err);
/* The path inside a hierarchy (e.g. "/cellrt/c1"), for the state file and for cgroup namespaces.
 * When hierarchies disagree (a relative path on a v1 host whose own cgroups differ) it reads
 * "memory=/a/c1,*=/c1"; cgroup_new() takes either form back, so later commands should save and
 * pass this rather than the spec's cgroupsPath. */
const char *cgroup_path(const struct cgroup *cg);

/* What each backend provides. */
struct cgroup_ops {
	const char *name;
	int (*create)(struct cgroup *cg, const struct cgroup_resources *res,
		      struct cell_error **err);
	int (*attach)(struct cgroup *cg, pid_t pid, struct cell_error **err);
	int (*open_leaf)(struct cgroup *cg, struct cell_error **err);
	/* NULL: nothing to join after clone. */
	int (*open_join)(struct cgroup *cg, struct cgroup_join *ret, struct cell_error **err);
	int (*update)(struct cgroup *cg, const struct cgroup_resources *res,
		      struct cell_error **err);
	int (*read_stats)(struct cgroup *cg, struct cgroup_stats *ret, struct cell_error **err);
	int (*freeze)(struct cgroup *cg, bool frozen, struct cell_error **err);
	int (*is_frozen)(struct cgroup *cg, bool *ret, struct cell_error **err);
	int (*list_pids)(struct cgroup *cg, pid_t **ret, size_t *ret_len, struct cell_error **err);
	int (*kill_all)(struct cgroup *cg, int signal, struct cell_error **err);
	int (*destroy)(struct cgroup *cg, struct cell_error **err);
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;
