/* devices.c - device nodes in the container's /dev, made where they are resolved inside the
 * rootfs (mknodat on a directory fd), bound from the host when mknod is not allowed. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "mount.h"

static const struct spec_device default_devices[] = {
	{ (char *)"/dev/null", 'c', 1, 3, 0666, 0, 0 },
	{ (char *)"/dev/zero", 'c', 1, 5, 0666, 0, 0 },
	{ (char *)"/dev/full", 'c', 1, 7, 0666, 0, 0 },
	{ (char *)"/dev/random", 'c', 1, 8, 0666, 0, 0 },
	{ (char *)"/dev/urandom", 'c', 1, 9, 0666, 0, 0 },
	{ (char *)"/dev/tty", 'c', 5, 0, 0666, 0, 0 },
};

/* What a rootfs already has where a device goes stays only if it is that device (or, for a bind,
 * a plain file to bind over): a symlink there would be followed by whoever opens the device,
 * and by our own binds of it (the CVE-2025-31133 class), so it is removed. */
static int clear_wrong_entry(int dfd, const char *name, const struct spec_device *d, mode_t type,
			     bool userns, struct cell_error **err)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "%s", d->path);
	if ((st.st_mode & S_IFMT) == type && st.st_rdev == makedev(d->major, d->minor))
		return 0;
	if (userns && S_ISREG(st.st_mode))
		return 0;
	if (unlinkat(dfd, name, 0) < 0)
		return cell_error_errno(err, errno, "replace %s", d->path);
	return 0;
}

static int create_one(int root_fd, const struct spec_device *d, bool userns,
		      struct cell_error **err)
{
	_cleanup_free_ char *dir = strdup(d->path);
	if (!dir)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(dir, '/');
	const char *name = slash + 1;
	*slash = '\0';
	_cleanup_close_ int dfd = fs_mkdir_p_in_root(root_fd, *dir ? dir : "/", 0755, err);
	if (dfd < 0)
		return dfd;
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
	int r = clear_wrong_entry(dfd, name, d, type, userns, err);
	if (r < 0)
		return r;
	if (userns) {
		/* mknod is refused in a user namespace: bind the host's node instead. */
		_cleanup_close_ int fd =
			openat(dfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		char buf[32];
		if (fd < 0 && errno != EEXIST)
			return cell_error_errno(err, errno, "create %s", d->path);
		close(fd);
		fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || mount(d->path, mount_fd_path(buf, fd), NULL, MS_BIND, NULL) < 0)
			return cell_error_errno(err, errno, "bind the host's %s", d->path);
		return 0;
	}
	if (mknodat(dfd, name, type | d->mode, makedev(d->major, d->minor)) < 0) {
		if (errno == EEXIST)
			return 0;
		return cell_error_errno(err, errno, "mknod %s", d->path);
	}
	if ((d->uid || d->gid) && fchownat(dfd, name, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "chown %s", d->path);
	return 0;
}

int devices_create(int root_fd, const struct spec *s, bool userns, struct cell_error **err)
{
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		int r = create_one(root_fd, &default_devices[i], userns, err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < s->ndevices; i++) {
		int r = create_one(root_fd, &s->devices[i], userns, err);
		if (r < 0)
			return cell_error_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}

int devices_symlinks(int root_fd, struct cell_error **err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },	 { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	_cleanup_close_ int dfd = fs_open_in_root(root_fd, "/dev", O_PATH | O_DIRECTORY, 0, NULL);
	if (dfd < 0)
		return 0; /* no /dev at all: nothing to link */
	for (size_t i = 0; i < ARRAY_SIZE(links); i++) {
		if (strcmp(links[i][1], "ptmx") == 0) {
			/* Replace the node a host-like /dev may hold by the link to this devpts. */
			struct stat st;
			if (fstatat(dfd, "pts/ptmx", &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			unlinkat(dfd, "ptmx", 0);
		}
		if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST)
			return cell_error_errno(err, errno, "symlink /dev/%s", links[i][1]);
	}
	return 0;
}
