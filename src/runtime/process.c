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
#include "exeguard.h"
#include "mount.h"
#include "rlimits.h"
#include "seccomp-filter.h"
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

int sync_send_fds(int fd, const char *buf, size_t len, const int *fds, size_t nfds)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (nfds > SYNC_MAX_FDS)
		return -(errno = EINVAL);
	if (nfds) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

ssize_t sync_recv_fds(int fd, char *buf, size_t len, int *fds, size_t *nfds)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	union {
		char buf[CMSG_SPACE(sizeof(int) * SYNC_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	size_t max = *nfds;
	*nfds = 0;
	ssize_t n;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = got;
			else
				close(got);
		}
	}
	return n;
}

int sync_send_cgroup(int fd, struct cgroup *cg, struct cell_error **err)
{
	struct cgroup_join join = { 0 };
	int r = cg ? cgroup_open_join(cg, &join, err) : 0;
	if (r == 0) {
		char msg[sizeof(join.names) + 1];
		int n = snprintf(msg, sizeof(msg), "%c%s", SYNC_CGROUP_READY, join.names);
		/* A child that is gone left its error in the socket, for the caller to read. */
		int q = sync_send_fds(fd, msg, (size_t)n, join.fds, join.n);
		if (q < 0 && q != -EPIPE && q != -ECONNRESET)
			r = cell_error_errno(err, -q, "hand the cgroup to the new process");
	}
	cgroup_join_close(&join);
	return r;
}

int sync_join_cgroup(int fd, struct cell_error **err)
{
	char buf[sizeof(((struct cgroup_join *)0)->names) + 1];
	int fds[CGROUP_JOIN_MAX];
	size_t nfds = CGROUP_JOIN_MAX;
	ssize_t n = sync_recv_fds(fd, buf, sizeof(buf) - 1, fds, &nfds);
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

static int write_oom_score_adj(int value, struct cell_error **err)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%d", value);
	_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, n) != n)
		return cell_error_errno(err, errno, "process.oomScoreAdj: write %d", value);
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

int process_exec(const struct process_exec *pe, struct cell_error **err)
{
	const struct spec_process *p = pe->proc;
	int r;
	if (p->has_oom_score_adj && (r = write_oom_score_adj(p->oom_score_adj, err)) < 0)
		return r;
	if ((r = rlimits_apply(p, err)) < 0 ||
	    (pe->exeguard && (r = exeguard_confine_exec(err)) < 0))
		return r;
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "process.noNewPrivileges");
	/* Without no_new_privs the filter needs CAP_SYS_ADMIN, so it goes in before the drop. */
	if (!p->no_new_privs && (r = seccomp_filter_load(pe->seccomp, err)) < 0)
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
	if (p->no_new_privs && (r = seccomp_filter_load(pe->seccomp, err)) < 0)
		return r;
	if (pe->fifo_fd >= 0 && (r = wait_for_start(pe, err)) < 0)
		return r;
	execve(exe, p->args, p->env ? p->env : (char *[]){ NULL });
	return cell_error_errno(err, errno, "process.args[0]: exec %s", exe);
}
