/* console.c - ptys from the container's devpts, fd passing, and the foreground terminal proxy. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "fdpass.h"
#include "fs.h"
#include "mount.h"

/* The pty's peer on /dev/console, both ends checked (CVE-2025-52565): the source is a pty peer
 * (unix98 majors 136-143), and the target is a plain file or char device made or found in the
 * container's /dev without following any symlink, not something a symlink there points to. */
static int bind_console(int root_fd, int peer, struct cell_error **err)
{
	struct stat st;
	if (fstat(peer, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < 136 ||
	    major(st.st_rdev) > 143)
		return cell_error_set(err, EPERM, "process.terminal: the pty's peer is not a pty");
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int dev = (int)syscall(SYS_openat2, root_fd, "dev", &how, sizeof(how));
	if (dev < 0)
		return errno == ENOENT ? 0 :
					 cell_error_errno(err, errno, "open /dev for /dev/console");
	if (fstatat(dev, "console", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISCHR(st.st_mode) && unlinkat(dev, "console", 0) < 0)
		return cell_error_errno(err, errno, "replace /dev/console");
	_cleanup_close_ int made =
		openat(dev, "console", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (made < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create /dev/console");
	_cleanup_close_ int console = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (console < 0 || fstat(console, &st) < 0)
		return cell_error_errno(err, errno, "open /dev/console");
	if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return cell_error_set(err, EPERM, "/dev/console is neither a file nor a device");
	char buf[32], src[32];
	if (mount(mount_fd_path(src, peer), mount_fd_path(buf, console), NULL, MS_BIND, NULL) < 0)
		return cell_error_errno(err, errno, "bind the pty on /dev/console");
	return 0;
}

int console_setup(int root_fd, unsigned short rows, unsigned short cols, bool dev_console,
		  struct cell_error **err)
{
	_cleanup_close_ int master =
		fs_open_in_root(root_fd, "/dev/pts/ptmx", O_RDWR | O_NOCTTY, 0, err);
	if (master < 0)
		return cell_error_wrap(err, "process.terminal: needs devpts on /dev/pts");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return cell_error_errno(err, errno, "unlock the pty");
	_cleanup_close_ int peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (peer < 0)
		return cell_error_errno(err, errno, "open the pty's peer");
	if (rows && cols) {
		struct winsize ws = { .ws_row = rows, .ws_col = cols };
		ioctl(master, TIOCSWINSZ, &ws);
	}
	int r = dev_console ? bind_console(root_fd, peer, err) : 0;
	if (r < 0)
		return r;
	if (setsid() < 0 || ioctl(peer, TIOCSCTTY, 0) < 0)
		return cell_error_errno(err, errno, "make the pty the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(peer, i) < 0)
			return cell_error_errno(err, errno, "dup2 the pty");
	return steal_fd(master);
}

int console_send_fd(int sock, char tag, int fd)
{
	ssize_t n = fdpass_send(sock, &tag, 1, &fd, fd >= 0 ? 1 : 0);
	return n < 0 ? (int)n : 0;
}

ssize_t console_recv(int sock, char *buf, size_t len, int *ret_fd)
{
	size_t nfds = 1;
	*ret_fd = -1;
	return fdpass_recv(sock, buf, len, ret_fd, &nfds);
}

static void copy_winsize(int master)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

/* Move what is readable on from to to; false at EOF or error. */
static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	return fs_write_all(to, buf, (size_t)n) >= 0;
}

int console_proxy(int master, pid_t pid, int *status, struct cell_error **err)
{
	struct termios saved, raw;
	bool tty = tcgetattr(STDIN_FILENO, &saved) == 0;
	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
		copy_winsize(master);
	}
	sigset_t mask, old;
	container_forwarded_signals(&mask);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, &old);
	_cleanup_close_ int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	/* A pidfd rather than SIGCHLD: it works whatever signal mask we were started with. */
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	bool in_open = true, out_open = true, exited = false;
	while (!exited || out_open) {
		struct pollfd p[4] = {
			{ .fd = out_open ? master : -1, .events = POLLIN },
			{ .fd = in_open && out_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = exited ? -1 : pidfd, .events = POLLIN },
		};
		int n = poll(p, 4, exited ? 100 : -1);
		if (n < 0 && errno != EINTR)
			break;
		if (exited && n == 0)
			break; /* the process is gone and nothing more arrives */
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
			out_open = pump(master, STDOUT_FILENO);
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
			in_open = pump(STDIN_FILENO, master);
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					copy_winsize(master);
				else if (!exited)
					kill(pid, (int)si.ssi_signo);
			}
		}
		if (!exited && (pidfd < 0 || (p[3].revents & POLLIN)) &&
		    waitpid(pid, status, pidfd < 0 ? WNOHANG : 0) == pid)
			exited = true;
	}
	int r = 0;
	if (!exited && waitpid(pid, status, 0) < 0)
		r = cell_error_errno(err, errno, "wait for the container");
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
