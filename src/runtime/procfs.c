/* procfs.c - writes to /proc (sysctls, oom_score_adj) through descriptors verified to be the
 * procfs file meant, never one a container's mounts or symlinks substituted (CVE-2025-52881). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif

/* The procfs root of this process (private instance or checked /proc), opened once. */
static int proc_root = -1;

static int mnt_id_of(int fd, uint64_t *ret)
{
	struct statx stx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*ret = stx.stx_mnt_id;
	return 0;
}

static bool on_procfs(int fd)
{
	struct statfs sfs;
	return fstatfs(fd, &sfs) == 0 && sfs.f_type == PROC_SUPER_MAGIC;
}

/* A private procfs of our pid namespace: no one else has a path to it, so nothing can be mounted
 * over its files. The kernel refuses it where procfs is not fully visible (a masked /proc). */
static int open_private_proc(void)
{
	_cleanup_close_ int fs = fsopen("proc", FSOPEN_CLOEXEC);
	if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	return fsmount(fs, FSMOUNT_CLOEXEC,
		       MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

static int open_root(struct cell_error **err)
{
	if (proc_root >= 0)
		return proc_root;
	int fd = open_private_proc();
	if (fd < 0) {
		/* The current root's /proc: it must be procfs and the root of its mount. */
		struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
					.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
		fd = (int)syscall(SYS_openat2, AT_FDCWD, "/proc", &how, sizeof(how));
		if (fd < 0)
			return cell_error_errno(err, errno, "open /proc");
		/* ... and of our pid namespace (not, say, the host's bound there), or /proc/<pid>
		 * would name another process: its "self" must read as our own pid. */
		struct stat st;
		char self[32], want[32];
		ssize_t n = readlinkat(fd, "self", self, sizeof(self) - 1);
		snprintf(want, sizeof(want), "%d", getpid());
		if (n > 0)
			self[n] = '\0';
		if (!on_procfs(fd) || fstat(fd, &st) < 0 || st.st_ino != 1 || n <= 0 ||
		    strcmp(self, want) != 0) {
			close(fd);
			return cell_error_set(err, EXDEV,
					      "/proc is not the root of a procfs mount of this "
					      "pid namespace");
		}
	}
	return proc_root = fd;
}

int procfs_open(const char *rel, int flags, struct cell_error **err)
{
	int root = open_root(err);
	if (root < 0)
		return root;
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC | O_NOFOLLOW),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS |
			   RESOLVE_NO_XDEV,
	};
	_cleanup_close_ int fd = -1;
	do
		fd = (int)syscall(SYS_openat2, root, rel, &how, sizeof(how));
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	if (fd < 0) {
		int e = errno;
		return cell_error_errno(err, e, "/proc/%s%s", rel,
					e == EXDEV ? " (something is mounted over it)" : "");
	}
	/* Belt and braces over RESOLVE_NO_XDEV: the file is procfs's, on the root's mount. */
	uint64_t want, got;
	if (!on_procfs(fd) || mnt_id_of(root, &want) < 0 || mnt_id_of(fd, &got) < 0 || want != got)
		return cell_error_set(err, EXDEV, "/proc/%s: not the procfs file it should be",
				      rel);
	return steal_fd(fd);
}

int procfs_write(const char *rel, const char *value, const char *what, struct cell_error **err)
{
	_cleanup_close_ int fd = procfs_open(rel, O_WRONLY | O_TRUNC, err);
	if (fd < 0)
		return cell_error_wrap(err, "%s", what);
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		return cell_error_errno(err, errno, "%s: write '%s' to /proc/%s", what, value, rel);
	return 0;
}
