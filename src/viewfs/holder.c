/*
 * holder.c - keeps the FUSE connection alive across server crashes, restarts and upgrades.
 *
 * The holder opens /dev/fuse, mounts, and then does nothing but own three fds: the FUSE
 * connection, the state memfd (container slots, backing ids: what a new server must know) and
 * the directory of backing files. Each server gets them over a unix socket (SCM_RIGHTS); when it
 * dies, the connection stays up because the holder still holds it, and the next server asks the
 * kernel to resend what was in flight. The holder is small enough never to need an upgrade.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "fuse.h"
#include "holder.h"
#include "log.h"

static int send_fds(int sock, const int *fds, int n)
{
	ssize_t r = fdpass_send(sock, "F", 1, fds, (size_t)n);
	return r < 0 ? (int)r : 0;
}

int holder_receive(int sock, int *ret_fuse, int *ret_state, int *ret_dir, int *ret_cache,
		   struct cell_error **err)
{
	char data;
	int fds[4];
	size_t nfds = 4;
	ssize_t n = fdpass_recv(sock, &data, 1, fds, &nfds);
	if (n < 0)
		return cell_error_errno(err, (int)-n, "receive fds from the holder");
	/* Three from a holder of an older binary: it has no sampled connection. */
	if (n != 1 || nfds < 3) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return cell_error_set(err, EPROTO,
				      "receive fds from the holder: malformed message");
	}
	*ret_fuse = fds[0];
	*ret_state = fds[1];
	*ret_dir = fds[2];
	*ret_cache = nfds > 3 ? fds[3] : -1;
	return 0;
}

static pid_t spawn_server(const struct holder_opts *o, const int fds[4])
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(sp[0]);
		close(sp[1]);
		return e;
	}
	if (pid == 0) {
		char fdarg[16];
		char *argv[16];
		int n = 0;
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int fd = dup(sp[1]); /* without CLOEXEC: the server's end */
		snprintf(fdarg, sizeof(fdarg), "%d", fd);
		argv[n++] = (char *)o->exe;
		argv[n++] = (char *)"--serve-fd";
		argv[n++] = fdarg;
		for (size_t i = 0; o->server_args && o->server_args[i] && n < 13; i++)
			argv[n++] = o->server_args[i];
		argv[n++] = (char *)o->mountpoint; /* shows in ps which mount it serves */
		argv[n] = NULL;
		execv(o->exe, argv);
		_exit(127);
	}
	close(sp[1]);
	int r = send_fds(sp[0], fds, fds[3] >= 0 ? 4 : 3);
	close(sp[0]);
	if (r < 0)
		log_warn("holder: hand fds to server %d: %s", (int)pid, strerror(-r));
	return pid;
}

static void remove_backing_dir(const char *path)
{
	_cleanup_closedir_ DIR *d = opendir(path);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			unlinkat(dirfd(d), de->d_name, 0);
	rmdir(path);
}

/* The sampled connection's mountpoint: beside the views', "<MOUNTPOINT>.cache". */
static void cache_mountpoint(const struct holder_opts *o, char *buf, size_t size)
{
	snprintf(buf, size, "%s.cache", o->mountpoint);
}

static int holder_mount(const char *mnt, int *ret_fuse, struct cell_error **err)
{
	_cleanup_close_ int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	char opts[256];
	if (fd < 0)
		return cell_error_errno(err, errno, "open /dev/fuse");
	if (mkdir(mnt, 0755) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "create mountpoint %s", mnt);
	snprintf(opts, sizeof(opts),
		 "fd=%d,rootmode=40555,user_id=0,group_id=0,allow_other,default_permissions", fd);
	if (mount("cellfs", mnt, "fuse.cellfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
		return cell_error_errno(err, errno, "mount cellfs on %s", mnt);
	*ret_fuse = steal_fd(fd);
	return 0;
}

static void holder_unmount(const char *mnt)
{
	/* Containers may still bind-mount files of it: then detach, the kernel ends it later. */
	if (umount2(mnt, 0) < 0 && errno == EBUSY)
		umount2(mnt, MNT_DETACH);
}

static void holder_unmount_all(const struct holder_opts *o)
{
	char cache[PATH_MAX];
	cache_mountpoint(o, cache, sizeof(cache));
	holder_unmount(o->mountpoint);
	holder_unmount(cache);
	rmdir(cache); /* ours: created beside the mountpoint */
	log_info("holder: unmounted %s and %s", o->mountpoint, cache);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for signals; respawn the server when it dies, stop on SIGTERM/SIGINT. */
static int holder_loop(const struct holder_opts *o, const int fds[4], int sfd)
{
	pid_t server = spawn_server(o, fds);
	double started = now_s();
	int quick_deaths = 0;
	for (;;) {
		struct signalfd_siginfo si;
		if (read(sfd, &si, sizeof(si)) != sizeof(si)) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			/* Unmount while the server still answers, then stop it. */
			holder_unmount_all(o);
			if (server > 0) {
				kill(server, SIGTERM);
				waitpid(server, NULL, 0);
			}
			return 0;
		}
		if (si.ssi_signo == SIGHUP && server > 0) {
			kill(server, SIGTERM); /* restart: the SIGCHLD below starts the new one */
			continue;
		}
		int status;
		pid_t p;
		while ((p = waitpid(-1, &status, WNOHANG)) > 0) {
			if (p != server)
				continue;
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				log_info("holder: filesystem unmounted, exiting");
				holder_unmount_all(o); /* the sampled one is still mounted */
				return 0;
			}
			/* A server that keeps dying at once is broken: slow down, do not spin. */
			quick_deaths = now_s() - started < 1.0 ? quick_deaths + 1 : 0;
			if (quick_deaths > 5)
				sleep(1);
			log_warn("holder: server %d ended (%s %d), starting a new one", (int)p,
				 WIFSIGNALED(status) ? "signal" : "status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			server = spawn_server(o, fds);
			started = now_s();
		}
	}
}

int holder_run(const struct holder_opts *o, struct cell_error **err)
{
	char dir[PATH_MAX];
	char cache[PATH_MAX];
	_cleanup_close_ int fuse = -1, state = -1, dfd = -1, sfd = -1, cfd = -1;
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	state = memfd_create("cellfs-state", MFD_CLOEXEC);
	if (sfd < 0 || state < 0 || ftruncate(state, sizeof(struct cellfs_state)) < 0)
		return cell_error_errno(err, errno, "cellfs holder setup");
	struct cellfs_state *st =
		mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED, state, 0);
	if (st == MAP_FAILED)
		return cell_error_errno(err, errno, "cellfs holder: map state");
	st->magic = CELLFS_STATE_MAGIC;
	munmap(st, sizeof(*st));
	/* Backing files must be reopenable by a new server, so they live in a directory. */
	snprintf(dir, sizeof(dir), "/dev/shm/cellfs.%d", (int)getpid());
	if (mkdir(dir, 0700) < 0 || (dfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		return cell_error_errno(err, errno, "create %s", dir);
	cache_mountpoint(o, cache, sizeof(cache));
	int r = holder_mount(o->mountpoint, &fuse, err);
	_cleanup_error_ struct cell_error *cerr = NULL;
	if (r == 0 && holder_mount(cache, &cfd, &cerr) < 0) {
		/* The views work without it: loadavg is then served by the views mount. */
		log_warn("holder: %s; proc/loadavg is served by the views mount alone", cerr->msg);
		rmdir(cache);
	}
	if (r < 0) {
		remove_backing_dir(dir);
		return r;
	}
	log_info("holder: cellfs mounted on %s and %s", o->mountpoint, cache);
	int fds[4] = { fuse, state, dfd, cfd };
	r = holder_loop(o, fds, sfd);
	if (r < 0)
		holder_unmount_all(o);
	remove_backing_dir(dir);
	if (r < 0)
		return cell_error_errno(err, -r, "cellfs holder");
	return 0;
}
