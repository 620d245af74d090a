/* storage-btrfs.c - the pool when celld's state sits on btrfs: each instance's writable layer is a
 * subvolume, so snapshot, copy and restore are subvolume snapshots (instant, whatever the size),
 * and limits.disk is a qgroup limit on it. */
#include "storage-btrfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"

bool btrfs_is(const char *path)
{
	struct statfs st;
	return statfs(path, &st) == 0 && st.f_type == BTRFS_SUPER_MAGIC;
}

bool btrfs_is_subvolume(const char *path)
{
	struct stat st;
	/* A subvolume's root directory is always inode 256 (BTRFS_FIRST_FREE_OBJECTID). */
	return btrfs_is(path) && lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == 256;
}

/* Open the parent directory of path and point *ret_name at its last component. */
static int open_parent(const char *path, const char **ret_name, struct cell_error **err)
{
	const char *slash = strrchr(path, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= BTRFS_PATH_NAME_MAX)
		return cell_error_set(err, EINVAL, "btrfs: bad subvolume path %s", path);
	_cleanup_free_ char *dir = strndup(path, (size_t)(slash - path));
	int fd = dir ? open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (fd < 0)
		return cell_error_errno(err, dir ? errno : ENOMEM, "open %s", dir ? dir : path);
	*ret_name = slash + 1;
	return fd;
}

/* Create or destroy the subvolume at path: both ioctls take its parent and its name. */
static int subvolume_ioctl(const char *path, unsigned long request, const char *what,
			   struct cell_error **err)
{
	const char *name;
	_cleanup_close_ int dir = open_parent(path, &name, err);
	if (dir < 0)
		return dir;
	struct btrfs_ioctl_vol_args args = { 0 };
	snprintf(args.name, sizeof(args.name), "%s", name);
	if (ioctl(dir, request, &args) < 0)
		return cell_error_errno(err, errno, "btrfs: %s subvolume %s", what, path);
	return 0;
}

int btrfs_subvolume_create(const char *path, struct cell_error **err)
{
	return subvolume_ioctl(path, BTRFS_IOC_SUBVOL_CREATE, "create", err);
}

int btrfs_snapshot(const char *src, const char *dst, bool readonly, struct cell_error **err)
{
	const char *name;
	_cleanup_close_ int from = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (from < 0)
		return cell_error_errno(err, errno, "open %s", src);
	_cleanup_close_ int dir = open_parent(dst, &name, err);
	if (dir < 0)
		return dir;
	struct btrfs_ioctl_vol_args_v2 args = { .fd = from,
						.flags = readonly ? BTRFS_SUBVOL_RDONLY : 0 };
	snprintf(args.name, sizeof(args.name), "%s", name);
	if (ioctl(dir, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
		return cell_error_errno(err, errno, "btrfs: snapshot %s to %s", src, dst);
	return 0;
}

int btrfs_subvolume_delete(const char *path, struct cell_error **err)
{
	if (!btrfs_is_subvolume(path))
		return fs_rm_rf(path, err);
	return subvolume_ioctl(path, BTRFS_IOC_SNAP_DESTROY, "delete", err);
}

/* Quotas are switched on for the filesystem the first time a limit is set (a rescan of a pool
 * that is mostly image trees and small upper layers). */
static int quota_enable(int fd, const char *path, struct cell_error **err)
{
	struct btrfs_ioctl_quota_ctl_args q = { .cmd = BTRFS_QUOTA_CTL_ENABLE };
	if (ioctl(fd, BTRFS_IOC_QUOTA_CTL, &q) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "btrfs: enable quotas on %s", path);
	return 0;
}

int btrfs_limit(const char *subvol, uint64_t bytes, struct cell_error **err)
{
	_cleanup_close_ int fd = open(subvol, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", subvol);
	int r = bytes ? quota_enable(fd, subvol, err) : 0;
	if (r < 0)
		return r;
	/* qgroupid 0: the level-0 qgroup of the subvolume fd is in; referenced bytes, which is
	 * what the instance sees as its own, shared extents included. */
	struct btrfs_ioctl_qgroup_limit_args a = {
		.qgroupid = 0,
		.lim = { .flags = BTRFS_QGROUP_LIMIT_MAX_RFER, .max_rfer = bytes ? bytes : ~0ULL },
	};
	if (ioctl(fd, BTRFS_IOC_QGROUP_LIMIT, &a) < 0) {
		/* No limit wanted and quotas never enabled: nothing to clear. */
		if (!bytes && (errno == ENOTCONN || errno == EINVAL || errno == ENOENT))
			return 0;
		return cell_error_errno(err, errno, "btrfs: limit %s to %llu bytes", subvol,
					(unsigned long long)bytes);
	}
	return 0;
}
