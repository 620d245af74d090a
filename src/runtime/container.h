/* container.h - the lifecycle verbs of the engine: create, start, run, state, kill, delete,
 * list and exec, as cellrt's commands call them. */
#pragma once

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "state.h"

struct container_opts {
	const char *root; /* --root: the state directory */
	const char *id;
	const char *bundle;
	const char *pid_file;
	bool no_pivot;
	bool detach;		    /* create: leave the process waiting for start */
	const char *console_socket; /* with process.terminal: send the pty master there */
	int preserve_fds;	    /* --preserve-fds N: fds 3 .. 2+N pass to the container */
};

/* create (detach) or run (foreground; *ret_status = exit status, 128+signal on a signal). */
int container_create(const struct container_opts *o, int *ret_status, struct cell_error **err);
int container_start(const char *root, const char *id, struct cell_error **err);
int container_state_json(const char *root, const char *id, json_t **ret, struct cell_error **err);
int container_kill(const char *root, const char *id, int signal, bool all, struct cell_error **err);
struct container_state;
struct cgroup;
/* state_status(), and paused when a running container's cgroup is frozen. */
enum container_status container_status(const char *root, const struct container_state *st);
/* The same with the container's cgroup already open: the freezer is the one word on paused. */
enum container_status container_status_cg(const char *root, const struct container_state *st,
					  struct cgroup *cg);

/* pause (freeze every process of the container's cgroup) or resume (thaw them). */
int container_delete(const char *root, const char *id, bool force, struct cell_error **err);
/* Every container under root, as OCI state documents (sorted by id). */
int container_list(const char *root, json_t **ret, struct cell_error **err);

struct exec_opts {
	const char *root;
	const char *id;
	char **args;	  /* the command */
	char **env;	  /* appended to the container's process.env */
	const char *cwd;  /* NULL: the config's */
	const char *user; /* "uid[:gid]" or NULL */
	bool tty;
	const char *pid_file;
	const char *process_file;   /* --process: a process.json replacing the config's process */
	const char *console_socket; /* with a terminal: where the pty master goes */
	bool detach;		    /* return once the process runs; its waiter is the caller */
	char **caps;		    /* --cap: added to the bounding, effective, permitted sets */
	bool no_new_privs;	    /* --no-new-privs */
	int preserve_fds;	    /* --preserve-fds N: fds 3 .. 2+N pass to the process */
};

int container_exec(const struct exec_opts *o, int *ret_status, struct cell_error **err);

/* The signals `run` and a foreground `exec` pass on to the container's process, as runc does. */
void container_forwarded_signals(sigset_t *set);
/* Block them from the start: one that comes before the process exists then waits for it,
 * instead of killing us mid-creation and leaving the container behind. */
void container_hold_signals(void);

/* Wait for pid, forwarding those signals to it (held ones first); 128+signal on a signal death. */
int container_wait(pid_t pid, int *ret_status, struct cell_error **err);
