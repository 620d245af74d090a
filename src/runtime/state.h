/* state.h - a container's state under --root: ROOT/ID/state.json (written atomically) and, while
 * the container is created but not started, ROOT/ID/exec.fifo. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

enum container_status {
	STATUS_CREATING,
	STATUS_CREATED,
	STATUS_RUNNING,
	STATUS_PAUSED,
	STATUS_STOPPED,
};

struct container_state {
	char *id;
	pid_t pid;
	unsigned long long start_time; /* field 22 of /proc/PID/stat, against pid reuse */
	char *bundle;
	char *rootfs;
	char *created; /* RFC 3339 */
	char *cgroups_path;
	uid_t owner;
	bool terminal;
	json_t *annotations;
};

void container_state_clear(struct container_state *st);

/* ROOT/ID (validates id: no '/', no "..", not empty). */
int state_dir(const char *root, const char *id, char **ret, struct cell_error **err);
int state_validate_id(const char *id, struct cell_error **err);
int state_write(const char *root, const struct container_state *st, struct cell_error **err);
/* --pid-file: the pid in decimal, replaced atomically. */
int state_write_pid_file(const char *path, pid_t pid, struct cell_error **err);
/* -ENOENT with "container ID does not exist" when there is no such container. */
int state_read(const char *root, const char *id, struct container_state *st,
	       struct cell_error **err);
int state_remove(const char *root, const char *id, struct cell_error **err);

/* Start time of pid (0 when it does not exist); whether it is alive (not a zombie). */
unsigned long long state_pid_start_time(pid_t pid, bool *alive);
/* creating, created, running or stopped from the state directory and the pid; whether a running
 * container is paused is the freezer's to say (container_status). */
enum container_status state_status(const char *root, const struct container_state *st);
const char *state_status_name(enum container_status s);
/* The OCI state document. */
json_t *state_to_json(const struct container_state *st, enum container_status status);
