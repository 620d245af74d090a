/* process.h - the last steps before execve, shared by a container's init and by `exec`: limits,
 * exec confinement, credentials, capabilities, seccomp, cwd, and the wait for `start`. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Messages on the parent/child socket (SOCK_SEQPACKET); EOF from the child means it execve'd. */
enum sync_msg {
	SYNC_USERNS_READY = 'U', /* parent -> child: uid/gid maps written */
	SYNC_CGROUP_READY = 'C', /* parent -> child: the cgroup is ready; + hierarchy names and
				  * the fds to join it by (cgroup_join_self), if any */
	SYNC_ERROR = 'E',	 /* child -> parent: 'E' + one line */
	SYNC_TERMINAL = 'T',	 /* child -> parent: the pty master, as SCM_RIGHTS */
	SYNC_CREATED = 'R',	 /* child -> parent: waiting for `start` on exec.fifo */
};

/* Wait for one byte msg from the other side. */
int sync_wait(int fd, char msg, struct cell_error **err);
int sync_send(int fd, char msg);
#define SYNC_MAX_FDS 16
/* One message of len bytes with descriptors attached (SCM_RIGHTS), and its receiving end: at
 * most *nfds descriptors (close-on-exec), *nfds set to how many came. */
int sync_send_fds(int fd, const char *buf, size_t len, const int *fds, size_t nfds);
ssize_t sync_recv_fds(int fd, char *buf, size_t len, int *fds, size_t *nfds);
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
	void *seccomp;
	int sync_fd;
	int fifo_fd; /* O_PATH of exec.fifo: wait for `start` before execve; -1 to exec at once */
	int preserve_fds; /* inherited fds 3 .. 2+N stay open in the process; the rest close */
	bool exeguard;	  /* confine execution (exeguard.h) */
};

/* Never returns on success. */
int process_exec(const struct process_exec *pe, struct cell_error **err);

/* Find args[0] along env's PATH as execvp would, in the current root. */
int process_find_executable(const struct spec_process *p, char **ret, struct cell_error **err);
