/* cmd-monitor.c - cell-monitor: the small process that owns one running instance. It detaches from
 * celld (so instances outlive celld), becomes the subreaper of the container's init, creates and
 * starts it through the runtime, reports to celld on fd 3, then waits for init and records how it
 * ended in RUNDIR/exit. The container's /dev/console is a pty whose master the runtime hands over
 * (--console-socket): the monitor logs its output to RUNDIR/console.log and serves attaches on
 * RUNDIR/console.sock (console-relay.c). Statically linked and allocation-free after start. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "console-relay.h"

#define NOTIFY_FD 3

static int console_fd = -1;

static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(console_fd, 1);
		dup2(console_fd, 2);
		close(NOTIFY_FD);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Ignored here, it would stay ignored in the container's init and all it starts. */
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int wait_child(pid_t pid)
{
	int st;
	if (pid < 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int run(char *const argv[])
{
	return wait_child(spawn(argv));
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char tmp[4096], path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	/* Atomic by rename but not fsynced: these files describe processes, which a power loss
	 * ends anyway (an empty or missing file reads as "not running"), and an fsync costs
	 * milliseconds on every start and stop. */
	if (write(fd, text, strlen(text)) < 0) {
		close(fd);
		return;
	}
	close(fd);
	rename(tmp, path);
}

static void notify(const char *msg)
{
	if (write(NOTIFY_FD, msg, strlen(msg)) < 0)
		return;
	close(NOTIFY_FD);
}

static pid_t read_pid(const char *dir)
{
	char path[4096], buf[32] = "";
	snprintf(path, sizeof(path), "%s/init.pid", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? (pid_t)atoi(buf) : -1;
}

static void finish(char *rt, char *root, char *id, const char *rootfs, const char *dir,
		   const char *how)
{
	char *del[] = { rt, (char *)"--root", root, (char *)"delete", (char *)"--force", id, NULL };
	/* The runtime's delete (cgroups, its state, poststop hooks) needs nothing of the root, so
	 * the unmount runs meanwhile: celld waits for "exit", written once both are done. */
	pid_t pid = spawn(del);
	umount2(rootfs, MNT_DETACH);
	wait_child(pid);
	write_file(dir, "exit", how);
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: cell-monitor RUNTIME ROOT BUNDLE ID RUNDIR ROOTFS\n");
		return 2;
	}
	char *rt = argv[1], *root = argv[2], *bundle = argv[3], *id = argv[4];
	const char *dir = argv[5], *rootfs = argv[6];
	char path[4096], how[64];

	/* Detach: celld reaps the parent at once; the instance no longer depends on celld. */
	pid_t child = fork();
	if (child < 0)
		return 1;
	if (child > 0)
		_exit(0);
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	snprintf(path, sizeof(path), "%s/console.log", dir);
	console_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDWR);
	dup2(null, 0);
	dup2(console_fd, 1);
	dup2(console_fd, 2);
	snprintf(how, sizeof(how), "%d\n", (int)getpid());
	write_file(dir, "monitor.pid", how);

	char recv_path[4096];
	snprintf(recv_path, sizeof(recv_path), "%s/console-recv.sock", dir);
	int recv_sock = console_listen(recv_path);
	snprintf(path, sizeof(path), "%s/init.pid", dir);
	char *create[] = { rt,
			   (char *)"--root",
			   root,
			   (char *)"create",
			   (char *)"--bundle",
			   bundle,
			   (char *)"--pid-file",
			   path,
			   (char *)"--console-socket",
			   recv_path,
			   id,
			   NULL };
	char *start[] = { rt, (char *)"--root", root, (char *)"start", id, NULL };
	/* SIGCHLD stays blocked: the relay loop learns of init's end from a signalfd. */
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int rc = recv_sock >= 0 ? run(create) : -1;
	int master = rc == 0 ? console_recv_master(recv_sock) : -1;
	if (recv_sock >= 0)
		close(recv_sock);
	unlink(recv_path);
	if (rc == 0)
		rc = run(start);
	pid_t init = read_pid(dir);
	if (rc != 0 || init <= 0) {
		notify("error: the runtime failed to start the container (see console log)\n");
		finish(rt, root, id, rootfs, dir, "failed\n");
		return 1;
	}
	/* Listening before "ok": a console request right after the start finds the socket. */
	snprintf(path, sizeof(path), "%s/console.sock", dir);
	int listen_fd = master >= 0 ? console_listen(path) : -1;
	notify("ok\n");

	char log_path[4096];
	snprintf(log_path, sizeof(log_path), "%s/console.log", dir);
	struct console_relay cr = { .master = master,
				    .log = console_fd,
				    .log_path = log_path,
				    .listen = listen_fd,
				    .sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK) };
	int st = console_relay_run(&cr, init);
	unlink(path);
	if (st == -1)
		snprintf(how, sizeof(how), "lost\n");
	else if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "signaled %d\n", WTERMSIG(st));
	else
		snprintf(how, sizeof(how), "exited %d\n", WEXITSTATUS(st));
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	finish(rt, root, id, rootfs, dir, how);
	return 0;
}
