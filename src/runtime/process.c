/* process.c - from a prepared container to execve of the user's program. */
#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "exeguard.h"
#include "hooks.h"
#include "mount.h"
#include "procattr.h"
#include "rlimits.h"
#include "seccomp-filter.h"
#include "fdpass.h"
#include "strv.h"

int sync_wait(int fd, char msg, struct cell_error **err)
{
	char c;
	ssize_t n;
	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || c != msg)
		return cell_error_set(err, EPIPE, "the runtime went away during setup");
	return 0;
}

int sync_send(int fd, char msg)
{
	return send(fd, &msg, 1, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

int sync_send_cgroup(int fd, struct cgroup *cg, struct cell_error **err)
{
	struct cgroup_join join = { 0 };
	int r = cg ? cgroup_open_join(cg, &join, err) : 0;
	if (r == 0) {
		char msg[sizeof(join.names) + 1];
		int n = snprintf(msg, sizeof(msg), "%c%s", SYNC_CGROUP_READY, join.names);
		/* A child that is gone left its error in the socket, for the caller to read. */
		ssize_t q = fdpass_send(fd, msg, (size_t)n, join.fds, join.n);
		if (q < 0 && q != -EPIPE && q != -ECONNRESET)
			r = cell_error_errno(err, (int)-q, "hand the cgroup to the new process");
	}
	cgroup_join_close(&join);
	return r;
}

int sync_join_cgroup(int fd, struct cell_error **err)
{
	char buf[sizeof(((struct cgroup_join *)0)->names) + 1];
	int fds[CGROUP_JOIN_MAX];
	size_t nfds = CGROUP_JOIN_MAX;
	ssize_t n = fdpass_recv(fd, buf, sizeof(buf) - 1, fds, &nfds);
	if (n < 1 || buf[0] != SYNC_CGROUP_READY) {
		for (size_t i = 0; i < (n < 0 ? 0 : nfds); i++)
			close(fds[i]);
		return cell_error_set(err, EPIPE, "the runtime went away during setup");
	}
	buf[n] = '\0';
	/* Move ourselves in (cgroup.h: no global lock, no grace period). */
	int r = cgroup_join_self(fds, nfds, buf + 1, err);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	return r;
}

struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

pid_t process_clone(uint64_t flags, int cgroup_fd)
{
	struct clone_args_v2 a = { .flags = flags, .exit_signal = SIGCHLD };
	if (cgroup_fd >= 0) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)cgroup_fd;
	}
	return (pid_t)syscall(SYS_clone3, &a, sizeof(a));
}

_Noreturn void sync_fail(int fd, struct cell_error *err)
{
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "%c%s", SYNC_ERROR,
			 err && err->msg ? err->msg : "container setup failed");
	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
		dprintf(STDERR_FILENO, "cellrt: %s\n", buf + 1);
	/* A message of the parent's left unread here would make our exit reset the connection, and
	 * the parent would read ECONNRESET instead of the error: take such messages off first. */
	char unread[256];
	while (recv(fd, unread, sizeof(unread), MSG_DONTWAIT) > 0)
		;
	_exit(1);
}

int process_find_executable(const struct spec_process *p, char **ret, struct cell_error **err)
{
	const char *name = p->args[0];
	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return cell_error_errno(err, errno, "process.args[0]: %s", name);
		*ret = strdup(name);
		return *ret ? 0 : cell_error_set(err, ENOMEM, "out of memory");
	}
	const char *path = strv_env_get(p->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	int last = ENOENT;
	for (const char *dir = path; dir;) {
		const char *end = strchr(dir, ':');
		size_t len = end ? (size_t)(end - dir) : strlen(dir);
		char *cand = NULL;
		if (asprintf(&cand, "%.*s/%s", (int)len, len ? dir : ".", name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		struct stat st;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0) {
			*ret = cand;
			return 0;
		}
		if (errno == EACCES)
			last = EACCES;
		free(cand);
		dir = end ? end + 1 : NULL;
	}
	return cell_error_errno(err, last, "process.args[0]: %s not found in $PATH", name);
}

static int set_credentials(const struct spec_process *p, struct cell_error **err)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "keep capabilities across setuid");
	if (setgroups(p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
		return cell_error_errno(err, errno, "process.user.additionalGids: setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return cell_error_errno(err, errno, "process.user.gid: setgid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return cell_error_errno(err, errno, "process.user.uid: setuid %u", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "reset keep-capabilities");
	return 0;
}

int process_set_oom_score_adj(pid_t pid, const struct spec_process *p, struct cell_error **err)
{
	if (!p->has_oom_score_adj)
		return 0;
	/* From the runtime, through the host's /proc, which nothing in the container can reach
	 * or mount over (the CVE-2025-52881 class), and where a user namespace's root could not
	 * write: the non-dumpable init's /proc files belong to the host's root. */
	char path[64], buf[16];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		return cell_error_errno(err, errno, "process.oomScoreAdj: write %s to %s", buf,
					path);
	return 0;
}

/* Tell `create` we are ready, then block until `start` opens exec.fifo for reading. */
static int wait_for_start(const struct process_exec *pe, struct cell_error **err)
{
	char path[32];
	if (sync_send(pe->sync_fd, SYNC_CREATED) < 0)
		return cell_error_errno(err, errno, "report to the runtime");
	close(pe->sync_fd);
	int fd;
	do
		fd = open(mount_fd_path(path, pe->fifo_fd), O_WRONLY | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		_exit(126); /* nobody is listening any more: `delete` of a created container */
	if (write(fd, "0", 1) != 1)
		_exit(126);
	close(fd);
	close(pe->fifo_fd);
	return 0;
}

/* The filter; a notification listener it comes with goes to the runtime, which hands it on to
 * the agent at listenerPath. (A filter that notifies on sendmsg itself would wait for an agent
 * that never gets its fd, as with runc.) */
static int load_seccomp(const struct process_exec *pe, struct cell_error **err)
{
	int listener;
	int r = seccomp_prog_load(pe->seccomp, &listener, err);
	if (r < 0 || listener < 0)
		return r;
	r = console_send_fd(pe->sync_fd, SYNC_SECCOMP, listener);
	close(listener);
	if (r < 0)
		return cell_error_errno(err, -r, "linux.seccomp: pass the listener to the runtime");
	/* The process must not run before the agent has its listener (or the runtime gave up). */
	return sync_wait(pe->sync_fd, SYNC_LISTENER_SENT, err);
}

/* startContainer: after start, in the container (its namespaces, root and credentials), before
 * the process; the state's pid is the init's own, as seen from inside. */
static int run_start_hooks(const struct process_exec *pe, struct cell_error **err)
{
	if (!hooks_has(pe->hooks, "startContainer") || !pe->state)
		return 0;
	json_object_set_new(pe->state, "pid", json_integer(getpid()));
	return hooks_run(pe->hooks, "startContainer", pe->state, err);
}

int process_exec(const struct process_exec *pe, struct cell_error **err)
{
	const struct spec_process *p = pe->proc;
	int r;
	if ((r = rlimits_apply(p, err)) < 0 ||
	    (pe->exeguard && (r = exeguard_confine_exec(err)) < 0) ||
	    (r = procattr_apply(&p->sched, &p->ioprio, pe->personality, err)) < 0)
		return r;
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "process.noNewPrivileges");
	/* Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the drop. */
	if (!p->no_new_privs && (r = load_seccomp(pe, err)) < 0)
		return r;
	if ((r = caps_drop_bounding(&p->caps, err)) < 0 || (r = set_credentials(p, err)) < 0 ||
	    (r = caps_apply(&p->caps, err)) < 0)
		return r;
	umask(p->umask >= 0 ? (mode_t)p->umask : 022);
	if (chdir(p->cwd) < 0)
		return cell_error_errno(err, errno, "process.cwd: %s", p->cwd);
	_cleanup_free_ char *exe = NULL;
	if ((r = process_find_executable(p, &exe, err)) < 0)
		return r;
	/* No descriptor the runtime inherited from its caller may reach the container. */
	if (close_range(3 + (unsigned)pe->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "mark inherited descriptors close-on-exec");
	if (p->no_new_privs && (r = load_seccomp(pe, err)) < 0)
		return r;
	if (pe->fifo_fd >= 0 && (r = wait_for_start(pe, err)) < 0)
		return r;
	if ((r = run_start_hooks(pe, err)) < 0)
		return r;
	/* the process starts with no signal blocked, whatever the runtime held while it worked */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, p->args, p->env ? p->env : (char *[]){ NULL });
	return cell_error_errno(err, errno, "process.args[0]: exec %s", exe);
}
