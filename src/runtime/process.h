/* process.h - the last steps before execve, shared by a container's init and by `exec`: limits,
 * exec confinement, credentials, capabilities, seccomp, cwd, and the wait for `start`. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "seccomp-filter.h"
#include "spec.h"

/* Messages on the parent/child socket (SOCK_SEQPACKET); EOF from the child means it execve'd. */
enum sync_msg {
	SYNC_USERNS_READY = 'U',  /* parent -> child: uid/gid maps written */
	SYNC_CGROUP_READY = 'C',  /* parent -> child: the cgroup is ready; + hierarchy names and
				  * the fds to join it by (cgroup_join_self), if any */
	SYNC_ERROR = 'E',	  /* child -> parent: 'E' + one line */
	SYNC_TERMINAL = 'T',	  /* child -> parent: the pty master, as SCM_RIGHTS */
	SYNC_CREATED = 'R',	  /* child -> parent: waiting for `start` on exec.fifo */
	SYNC_SECCOMP = 'S',	  /* child -> parent: the seccomp listener, as SCM_RIGHTS */
	SYNC_LISTENER_SENT = 'L', /* parent -> child: the agent has the listener */
};

/* Wait for one byte msg from the other side. */
int sync_wait(int fd, char msg, struct cell_error **err);
int sync_send(int fd, char msg);
struct cgroup;
/* Send SYNC_CGROUP_READY: with cg, the fds through which the child joins it (cgroup_open_join);
 * NULL when the child is in its cgroup already. */
int sync_send_cgroup(int fd, struct cgroup *cg, struct cell_error **err);
/* In the child: wait for SYNC_CGROUP_READY and join the cgroup through the fds it carries
 * (cgroup.h). */
int sync_join_cgroup(int fd, struct cell_error **err);
/* fork() with clone flags (namespaces) and, with cgroup_fd >= 0, straight into that cgroup. */
pid_t process_clone(uint64_t flags, int cgroup_fd);

/* Report err to the parent and exit: the child's only way out on failure. */
_Noreturn void sync_fail(int fd, struct cell_error *err);

struct process_exec {
	const struct spec_process *proc;
	const struct seccomp_prog *seccomp; /* NULL: none */
	int sync_fd;
	int fifo_fd; /* O_PATH of exec.fifo: wait for `start` before execve; -1 to exec at once */
	int preserve_fds; /* inherited fds 3 .. 2+N stay open in the process; the rest close */
	long personality; /* linux.personality, -1: leave it */
	json_t *hooks;	  /* the container's hooks: startContainer runs just before execve */
	json_t *state;	  /* its state document, our pid filled in for startContainer */
	bool exeguard;	  /* confine execution (exeguard.h) */
};

/* process.oomScoreAdj of pid, written by the runtime before the process may exec. */
int process_set_oom_score_adj(pid_t pid, const struct spec_process *p, struct cell_error **err);

/* Never returns on success. */
int process_exec(const struct process_exec *pe, struct cell_error **err);

/* Find args[0] along env's PATH as execvp would, in the current root. */
int process_find_executable(const struct spec_process *p, char **ret, struct cell_error **err);
