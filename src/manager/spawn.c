/* spawn.c - fork/exec helpers with output capture; children never inherit celld's other fds
 * (everything celld opens is O_CLOEXEC). */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

static pid_t spawn_child(char *const argv[], int in_fd, int out_fd, int err_fd)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* Helpers (cp, the runtime's verbs) end with celld: a SIGKILLed celld must not leave a cp
	 * writing into a tree that reconcile is removing. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	int null = open("/dev/null", O_RDWR);
	dup2(in_fd >= 0 ? in_fd : null, 0);
	dup2(out_fd >= 0 ? out_fd : null, 1);
	dup2(err_fd >= 0 ? err_fd : null, 2);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* celld ignores SIGPIPE; an ignored signal stays ignored across exec, and `yes | head` in
	 * an instance would then spin forever. */
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	dprintf(2, "cannot execute %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int spawn_wait(pid_t pid, int *ret_status)
{
	int st;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (ret_status)
		*ret_status = st;
	return st;
}

static int spawn_error(char *const argv[], int st, const char *out, struct cell_error **err)
{
	/* The last non-empty line is what runtimes and cp put their reason in. */
	_cleanup_free_ char *copy = strdup(out ? out : "");
	char *line = NULL, *save = NULL;
	/* strtok_r: operations fail on several threads at once. */
	for (char *p = copy ? strtok_r(copy, "\n", &save) : NULL; p;
	     p = strtok_r(NULL, "\n", &save))
		line = p;
	const char *what = argv[1] && argv[1][0] != '-' ? argv[1] : "";
	if (line)
		return cell_error_set(err, EIO, "%s %s: %s", argv[0], what, line);
	if (WIFSIGNALED(st))
		return cell_error_set(err, EIO, "%s %s: killed by signal %d", argv[0], what,
				      WTERMSIG(st));
	return cell_error_set(err, EIO, "%s %s: exit status %d", argv[0], what, WEXITSTATUS(st));
}

int spawn_capture(char *const argv[], char **ret_out, int *ret_status, struct cell_error **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t pid = spawn_child(argv, -1, p[1], p[1]);
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return cell_error_errno(err, errno, "fork");
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4097 > cap) {
			char *b = realloc(buf, cap = cap * 2 + 8192);
			if (!b)
				break;
			buf = b;
		}
		ssize_t n = read(p[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	if (buf)
		buf[len] = '\0';
	int st = spawn_wait(pid, ret_status);
	int r = 0;
	if (st < 0)
		r = cell_error_errno(err, -st, "wait %s", argv[0]);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		r = spawn_error(argv, st, buf, err);
	if (ret_out)
		*ret_out = buf;
	else
		free(buf);
	return r;
}

int spawn_run(char *const argv[], int out_fd, int err_fd, int *ret_status, struct cell_error **err)
{
	if (err_fd < 0 && out_fd < 0)
		return spawn_capture(argv, NULL, ret_status, err);
	return spawn_run_in(argv, -1, out_fd, err_fd, ret_status, err);
}

int spawn_run_in(char *const argv[], int in_fd, int out_fd, int err_fd, int *ret_status,
		 struct cell_error **err)
{
	pid_t pid = spawn_child(argv, in_fd, out_fd, err_fd);
	if (pid < 0)
		return cell_error_errno(err, errno, "fork");
	int st = spawn_wait(pid, ret_status);
	if (st < 0)
		return cell_error_errno(err, -st, "wait %s", argv[0]);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return spawn_error(argv, st, NULL, err);
	return 0;
}

int spawn_run_tty(char *const argv[], int tty_fd, int *ret_status, struct cell_error **err)
{
	pid_t pid = fork();
	if (pid < 0)
		return cell_error_errno(err, errno, "fork");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setsid();
		ioctl(tty_fd, TIOCSCTTY, 0);
		dup2(tty_fd, 0);
		dup2(tty_fd, 1);
		dup2(tty_fd, 2);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	int st = spawn_wait(pid, ret_status);
	if (st < 0)
		return cell_error_errno(err, -st, "wait %s", argv[0]);
	return 0;
}
