/* viewfs-mounts.c - bind cellfs's views over a container's /proc and /sys entries. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "log.h"
#include "viewfs-mounts.h"

#define FUSE_SUPER_MAGIC 0x65735546
/* cellfs's sampled connection binds the file to the cgroup of whoever asks for it. */
#define VIEWFS_CLAIM_XATTR "user.cellfs.claim"

/* Every view cellfs serves; a target the container lacks (no PSI, no /sys) is skipped. */
static const char *const viewfs_files[] = {
	"proc/meminfo",
	"proc/cpuinfo",
	"proc/stat",
	"proc/uptime",
	"proc/loadavg",
	"proc/diskstats",
	"proc/swaps",
	"proc/pressure/cpu",
	"proc/pressure/memory",
	"proc/pressure/io",
	"sys/devices/system/cpu/online",
	"sys/devices/system/cpu/possible",
	"sys/devices/system/cpu/present",
	"sys/devices/system/node/node0/cpulist",
	"sys/devices/system/node/node0/cpumap",
};

bool viewfs_requested(json_t *annotations)
{
	json_t *v = json_is_object(annotations) ? json_object_get(annotations, VIEWFS_ANNOTATION) :
						  NULL;
	return json_is_string(v) && strcmp(json_string_value(v), "true") == 0;
}

/* cellfs names a container directory with these characters only. */
static bool viewfs_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 63 || !strcmp(id, ".") || !strcmp(id, ".."))
		return false;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* 1 when bound, 0 when skipped. */
static int bind_one(int rootfs_fd, const char *src_dir, const char *file, struct cell_error **err)
{
	char src[4096], from[64], to[64];
	_cleanup_close_ int dst = -1, sfd = -1;
	if ((size_t)snprintf(src, sizeof(src), "%s/%s", src_dir, file) >= sizeof(src))
		return cell_error_set(err, ENAMETOOLONG, "viewfs: %s/%s: path too long", src_dir,
				      file);
	/* The target is resolved inside the rootfs: a symlink there cannot aim the mount outside. */
	dst = fs_open_in_root(rootfs_fd, file, O_PATH | O_CLOEXEC, 0, NULL);
	if (dst < 0)
		return 0;
	sfd = open(src, O_PATH | O_CLOEXEC);
	if (sfd < 0)
		return 0; /* an older cellfs without this view */
	snprintf(from, sizeof(from), "/proc/self/fd/%d", sfd);
	snprintf(to, sizeof(to), "/proc/self/fd/%d", dst);
	if (mount(from, to, NULL, MS_BIND, NULL) < 0)
		return cell_error_errno(err, errno, "viewfs: bind %s over /%s", src, file);
	return 1;
}

int viewfs_bind_views(int rootfs_fd, const char *id, const char *mount, struct cell_error **err)
{
	char dir[4096];
	struct statfs sfs;
	if (!mount)
		mount = getenv("CELL_VIEWFS_MOUNT") ? getenv("CELL_VIEWFS_MOUNT") :
						      VIEWFS_DEFAULT_MOUNT;
	if (!viewfs_id_ok(id)) {
		log_warn("viewfs: container id '%s' cannot name a cellfs directory; the container "
			 "sees the host's /proc figures",
			 id);
		return 0;
	}
	if (statfs(mount, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC) {
		log_warn("viewfs: no cellfs mounted at %s (start cellfs); container %s sees the "
			 "host's /proc and /sys figures",
			 mount, id);
		return 0;
	}
	snprintf(dir, sizeof(dir), "%s/%s", mount, id);
	/* The lookup creates the container's directory; a dead cellfs answers ENOTCONN here. */
	if (access(dir, R_OK) < 0) {
		log_warn("viewfs: cellfs at %s does not answer (%m); container %s sees the host's "
			 "/proc and /sys figures",
			 mount, id);
		return 0;
	}
	/* proc/loadavg, a 5-second sample, comes from cellfs's sampled mount beside it when there
	 * is one: read from the page cache, with no round trip to cellfs (docs/viewfs.md). */
	char cache[4096];
	snprintf(cache, sizeof(cache), "%s.cache/%s", mount, id);
	bool sampled = statfs(cache, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
	int claim = 0;
	for (size_t i = 0; i < sizeof(viewfs_files) / sizeof(viewfs_files[0]); i++) {
		bool from_cache = sampled && !strcmp(viewfs_files[i], "proc/loadavg");
		int r = bind_one(rootfs_fd, from_cache ? cache : dir, viewfs_files[i], err);
		if (r < 0)
			return r;
		if (from_cache)
			claim = r;
	}
	return claim;
}

void viewfs_claim_loadavg(void)
{
	struct statfs sfs;
	char path[64];
	_cleanup_close_ int fd = open("/proc/loadavg", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstatfs(fd, &sfs) < 0 || sfs.f_type != FUSE_SUPER_MAGIC) {
		log_debug("viewfs: /proc/loadavg is not cellfs's; nothing to claim");
		return;
	}
	/* Touching the times changes nothing there (cellfs answers with the same attributes). */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (utimensat(AT_FDCWD, path, NULL, 0) == 0)
		return;
	/* The mount checks permissions: in a user namespace the container's root does not own the
	 * host root's 0444 file and may not touch it, but may read its attributes. */
	int e = errno;
	if ((e == EACCES || e == EPERM || e == EROFS) &&
	    getxattr(path, VIEWFS_CLAIM_XATTR, NULL, 0) >= 0)
		return;
	log_debug("viewfs: claim /proc/loadavg: %s (its load may be another cgroup's)",
		  strerror(e == EACCES || e == EPERM || e == EROFS ? errno : e));
}
