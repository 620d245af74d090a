/* cgroup-internal.h - what the cgroup backends share: the parsed resources, the cgroup handle,
 * and small file helpers. Not for the rest of the runtime (it sees cgroup.h only). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* Which parts of linux.resources were given (writes happen only for these). */
enum {
	CG_MEM_LIMIT = 1u << 0,
	CG_MEM_RESERVATION = 1u << 1,
	CG_MEM_SWAP = 1u << 2,
	CG_MEM_SWAPPINESS = 1u << 3,
	CG_MEM_NO_OOM_KILL = 1u << 4,
	CG_CPU_SHARES = 1u << 5,
	CG_CPU_QUOTA = 1u << 6,
	CG_CPU_PERIOD = 1u << 7,
	CG_CPU_RT_RUNTIME = 1u << 8,
	CG_CPU_RT_PERIOD = 1u << 9,
	CG_CPU_CPUS = 1u << 10,
	CG_CPU_MEMS = 1u << 11,
	CG_CPU_IDLE = 1u << 12,
	CG_CPU_BURST = 1u << 13,
	CG_PIDS = 1u << 14,
	CG_BLKIO_WEIGHT = 1u << 15,
	CG_BLKIO_LEAF_WEIGHT = 1u << 16,
	CG_NET_CLASSID = 1u << 17,
};

#define CG_MEM_ANY \
	(CG_MEM_LIMIT | CG_MEM_RESERVATION | CG_MEM_SWAP | CG_MEM_SWAPPINESS | CG_MEM_NO_OOM_KILL)
#define CG_CPU_ANY                                                                             \
	(CG_CPU_SHARES | CG_CPU_QUOTA | CG_CPU_PERIOD | CG_CPU_RT_RUNTIME | CG_CPU_RT_PERIOD | \
	 CG_CPU_IDLE | CG_CPU_BURST)
#define CG_CPUSET_ANY (CG_CPU_CPUS | CG_CPU_MEMS)

/* -1 in major/minor is the wildcard '*'; access is a subset of "rwm". */
struct cgroup_device_rule {
	bool allow;
	char type; /* 'a', 'b' or 'c' */
	int64_t major, minor;
	char access[4];
};

struct cgroup_blkio_device {
	int64_t major, minor;
	uint64_t value;	      /* rate, or weight */
	uint64_t leaf_weight; /* weightDevice only; 0 = unset */
};

enum cgroup_throttle {
	CG_THROTTLE_READ_BPS,
	CG_THROTTLE_WRITE_BPS,
	CG_THROTTLE_READ_IOPS,
	CG_THROTTLE_WRITE_IOPS,
	CG_THROTTLE_N,
};

struct cgroup_hugetlb {
	char *page_size; /* "2MB" */
	uint64_t limit;
};

struct cgroup_kv {
	char *key, *value;
};

struct cgroup_resources {
	unsigned set;
	int64_t mem_limit, mem_reservation, mem_swap;
	uint64_t mem_swappiness;
	uint64_t cpu_shares, cpu_period, cpu_rt_period, cpu_burst;
	int64_t cpu_quota, cpu_rt_runtime, cpu_idle;
	char *cpus, *mems;
	int64_t pids_limit;
	uint64_t blkio_weight, blkio_leaf_weight;
	struct cgroup_blkio_device *weight_devices;
	size_t n_weight_devices;
	struct cgroup_blkio_device *throttle[CG_THROTTLE_N];
	size_t n_throttle[CG_THROTTLE_N];
	struct cgroup_hugetlb *hugetlb;
	size_t n_hugetlb;
	uint64_t net_classid;
	struct cgroup_kv *net_priorities; /* value = priority as text */
	size_t n_net_priorities;
	struct cgroup_device_rule *devices; /* the spec's rules, then the default allowed ones */
	size_t n_devices, cap_devices;
	bool devices_given;
	struct cgroup_kv *unified;
	size_t n_unified;
};

/* v1 hierarchies a container may join; the last slot is the cgroup2 mount of a hybrid host. */
enum cgroup_hier_id {
	CGH_FREEZER, /* first: the one that tracks the container's processes */
	CGH_MEMORY,
	CGH_CPU,
	CGH_CPUACCT,
	CGH_CPUSET,
	CGH_PIDS,
	CGH_DEVICES,
	CGH_BLKIO,
	CGH_HUGETLB,
	CGH_NET_CLS,
	CGH_NET_PRIO,
	CGH_SYSTEMD, /* the named "name=systemd" hierarchy: a systemd inside needs its own */
	CGH_UNIFIED,
	CGH_N,
};

struct cgroup_dir {
	char *path;	 /* inside the hierarchy: "/process_api/x/c1" */
	char *abs;	 /* on the host: "/sys/fs/cgroup/memory/process_api/x/c1" */
	bool used;	 /* created or joined by cgroup_create() */
	bool created;	 /* made by us (rolled back on failure) */
	int n_made;	 /* directories made, leaf included, for rollback of parents */
	size_t root_len; /* length of the hierarchy's mount point in abs */
};

struct cgroup {
	const struct cgroup_ops *ops;
	enum cgroup_layout layout;
	char *id;
	char *path_str;		       /* what cgroup_path() returns */
	struct cgroup_dir dirs[CGH_N]; /* v2: dirs[0] is the one directory */
	bool clone_leaf;	       /* hybrid: the init is cloned into the cgroup2 directory */
	bool join_only;		       /* exec: find the directories, leave the limits alone */
};

/* Hierarchy names as in /proc/self/cgroup ("" for the cgroup2 one). */
extern const char *const cgroup_hier_names[CGH_N];

/* The root that holds the hierarchies, /sys/fs/cgroup unless a test changed it. */
const char *cgroup_root(void);
/* Tests only: use a fake tree, and a fixed layout and "own cgroup" instead of the host's. */
void cgroup_set_root_for_tests(const char *root, enum cgroup_layout layout, const char *own_cgroup);

/* Write value to dir/name in one open/write/close; errors name the file and value. */
int cg_write(const char *dir, const char *name, const char *value, struct cell_error **err);
int cg_writef(const char *dir, const char *name, struct cell_error **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Read dir/name, NUL-terminated, trailing newline stripped. */
int cg_read(const char *dir, const char *name, char **ret, struct cell_error **err);
/* Read "key value" lines of dir/name: the value of key, or -ENOENT. */
int cg_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret);
int cg_read_u64(const char *dir, const char *name, uint64_t *ret);
/* Pids listed in dir/cgroup.procs, sorted. */
int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_len, struct cell_error **err);
/* mkdir, making missing parents below the first root_len bytes (the hierarchy); *n_made counts the directories made (0 when it existed). */
int cg_mkdir(const char *abs, size_t root_len, int *n_made, struct cell_error **err);
/* Remove a cgroup directory, retrying briefly while dying tasks leave it; ENOENT is success. */
int cg_rmdir(const char *abs, struct cell_error **err);
/* Undo cg_mkdir: the leaf and the n_made - 1 parents made with it. */
void cg_rmdir_made(const char *abs, int n_made);

/* Parsing helpers shared by cgroup-resources.c and cgroup-devices.c. */
int cg_parse_major_minor(json_t *e, const char *where, int64_t *major, int64_t *minor,
			 bool wildcard, struct cell_error **err);
int cg_parse_devices(json_t *arr, struct cgroup_resources *res, struct cell_error **err);

/* Parse a cpu list ("0-3,7"); fails on bad syntax. ret_max gets the highest CPU. */
int cg_parse_cpulist(const char *s, unsigned *ret_max);
/* Conversions of the spec's v1 values to the v2 files. */
uint64_t cg_shares_to_weight(uint64_t shares);
uint64_t cg_blkio_to_io_weight(uint64_t weight);
/* memory.swap.max from the spec's memory+swap value: -1 stays unlimited. */
int64_t cg_swap_v2(int64_t limit, int64_t swap);

/* eBPF device filter (cgroup-bpf.c). */
struct bpf_insn;
/* Build the program for rules into *ret (malloc'd); *ret_len instructions. */
int cg_bpf_devices_build(const struct cgroup_device_rule *rules, size_t n, struct bpf_insn **ret,
			 size_t *ret_len, struct cell_error **err);
/* Load and attach the filter to the cgroup directory dirfd. */
int cg_bpf_devices_attach(int dirfd, const struct cgroup_device_rule *rules, size_t n,
			  struct cell_error **err);
/* Detach the cgroup's own device filters but the keep_newest last attached (for updates). */
int cg_bpf_devices_detach_old(int dirfd, uint32_t keep_newest, struct cell_error **err);
/* Tests: on the host's cgroup2 mount of a hybrid machine, enable no controller at all. */
extern bool cg_v2_enable_controllers;
/* The device rules contain a deny (else the filter would allow everything: skip it). */
bool cg_devices_restrict(const struct cgroup_resources *res);
