/* spec.h - an OCI runtime-spec 1.1 config.json, parsed and validated into plain structs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "procattr.h"

struct cgroup_resources;

enum ns_type {
	NS_USER, /* first: joining or creating it decides who owns the others */
	NS_PID,
	NS_NET,
	NS_IPC,
	NS_UTS,
	NS_CGROUP,
	NS_TIME,
	NS_MNT, /* last: joining it changes the root the others' paths are read from */
	NS__MAX,
};

struct spec_namespace {
	bool enabled;
	char *path; /* join this one instead of creating one */
};

struct spec_idmap {
	uint32_t container_id, host_id, size;
};

struct spec_mount {
	char *destination;
	char *type; /* NULL for a bind mount without a type */
	char *source;
	unsigned long flags;	   /* MS_* set by the options */
	unsigned long attr_set;	   /* MOUNT_ATTR_* the options ask for */
	unsigned long attr_clr;	   /* MOUNT_ATTR_* the options clear ("rw", "suid", ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
	bool bind, recursive;
	bool tmpcopyup; /* tmpfs: start with a copy of the covered directory (src/runtime/copyup.c) */
	char *data;	/* the remaining options, comma-separated, for the filesystem */
};

struct spec_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct spec_device {
	char *path;
	char type; /* 'c', 'b', 'u' or 'p' */
	int64_t major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct spec_caps {
	bool present;
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

struct spec_process {
	bool terminal;
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	int umask; /* -1: the runtime's default (0022) */
	char **args, **env;
	char *cwd;
	struct spec_caps caps;
	struct spec_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privs;
	bool has_oom_score_adj;
	int oom_score_adj;
	unsigned short console_rows, console_cols;
	struct spec_sched sched;   /* process.scheduler */
	struct spec_ioprio ioprio; /* process.ioPriority */
};

struct spec_time_offset {
	bool set;
	int64_t secs;
	uint32_t nanosecs;
};

struct spec_sysctl {
	char *key, *value;
};

struct spec {
	char *bundle; /* absolute */
	char *oci_version;
	char *root_path; /* absolute */
	bool root_readonly;
	char *hostname, *domainname;
	struct spec_process process;
	struct spec_mount *mounts;
	size_t nmounts;
	struct spec_namespace ns[NS__MAX];
	struct spec_idmap *uid_maps, *gid_maps;
	size_t nuid_maps, ngid_maps;
	struct spec_device *devices;
	size_t ndevices;
	char **masked_paths, **readonly_paths;
	unsigned long rootfs_propagation; /* 0: the default (rslave) */
	char *cgroups_path;
	struct cgroup_resources *resources;
	void *seccomp;	      /* scmp_filter_ctx built from linux.seccomp, NULL when none */
	json_t *seccomp_json; /* linux.seccomp itself, the key of the program cache */
	char *seccomp_listener, *seccomp_metadata; /* listenerPath, listenerMetadata */
	struct spec_time_offset time_monotonic, time_boottime;
	struct spec_sysctl *sysctls;
	size_t nsysctls;
	long personality;    /* linux.personality as personality(2) takes it; -1: none */
	json_t *annotations; /* object, or NULL */
	json_t *hooks;	     /* validated "hooks" object (src/runtime/hooks.c), or NULL */
};

/* Load BUNDLE/config.json. Errors name the file, or the field by its path ("process.args"). */
int spec_load(const char *bundle, struct spec **ret, struct cell_error **err);
/* Parse an already loaded document; bundle is used for relative root and bind source paths. */
int spec_parse(json_t *doc, const char *bundle, struct spec **ret, struct cell_error **err);
void spec_free(struct spec *s);
void spec_freep(struct spec **s);
#define _cleanup_spec_ __attribute__((cleanup(spec_freep)))

/* Parse process (as in config.json) alone, e.g. for exec; where names it in errors. */
int spec_parse_process(json_t *obj, const char *where, struct spec_process *ret,
		       struct cell_error **err);
void spec_process_clear(struct spec_process *p);

/* Tables shared with the engine. */
const char *spec_ns_name(enum ns_type t);
int spec_ns_clone_flag(enum ns_type t);
const char *spec_ns_proc_name(enum ns_type t);
/* Mount options: fills the flag fields of m; unknown options go to m->data. */
int spec_mount_parse_options(struct spec_mount *m, char *const *options, const char *where,
			     struct cell_error **err);
int spec_rlimit_from_name(const char *name);
int spec_signal_from_name(const char *name); /* "KILL", "SIGKILL", "9"; -1 if unknown */
