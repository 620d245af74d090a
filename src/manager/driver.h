/* driver.h - the instance driver ops table: how one kind of instance (container now, VM later) is
 * created, started, stopped, entered and removed. The API, database and CLI only see this. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "celld.h"
#include "error.h"

struct instance_state {
	bool running;
	pid_t pid;	/* init, as the host sees it */
	char ended[64]; /* how the last run ended ("exited 0", "signaled 9"), or "" */
};

struct exec_request {
	char **argv;
	char **env; /* "K=V" */
	const char *cwd;
	uid_t uid;
	gid_t gid;
	int in_fd, out_fd, err_fd; /* -1: /dev/null */
	bool tty; /* in/out/err are one pty slave: the runtime gets -t and relays to it */
};

/* inst is the database row ({name, image, ...}); expanded is the config after profiles. */
struct instance_driver_ops {
	const char *type;
	int (*create)(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err);
	int (*start)(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err);
	int (*stop)(struct celld *d, json_t *inst, bool force, int timeout_s,
		    struct cell_error **err);
	int (*exec)(struct celld *d, json_t *inst, const struct exec_request *x, int *ret_code,
		    struct cell_error **err);
	int (*state)(struct celld *d, json_t *inst, struct instance_state *ret);
	/* Apply changed live keys (limits) to a running instance. */
	int (*update)(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err);
	int (*delete)(struct celld *d, json_t *inst, struct cell_error **err);
};

extern const struct instance_driver_ops container_driver_ops;
/* The driver for an instance type ("container"), or NULL. */
const struct instance_driver_ops *driver_for(const char *type);

/* The OCI config.json of a system container (instance-spec.c). */
int instance_spec_build(struct celld *d, const char *name, json_t *expanded, json_t **ret,
			struct cell_error **err);
