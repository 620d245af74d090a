/* mount.c - mount options, and mounting onto fds resolved inside the rootfs (openat2 + the new
 * mount API), so that a target cannot be a symlink out of the rootfs or be swapped under us. */
#include "mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "copyup.h"
#include "fs.h"
#include "strv.h"

static const struct {
	const char *name;
	bool clear;
	unsigned long flag; /* MS_* */
	unsigned long attr; /* MOUNT_ATTR_* equivalent, for bind mounts */
	unsigned long prop; /* propagation */
} option_table[] = {
	{ "defaults", false, 0, 0, 0 },
	{ "ro", false, MS_RDONLY, MOUNT_ATTR_RDONLY, 0 },
	{ "rw", true, MS_RDONLY, MOUNT_ATTR_RDONLY, 0 },
	{ "nosuid", false, MS_NOSUID, MOUNT_ATTR_NOSUID, 0 },
	{ "suid", true, MS_NOSUID, MOUNT_ATTR_NOSUID, 0 },
	{ "nodev", false, MS_NODEV, MOUNT_ATTR_NODEV, 0 },
	{ "dev", true, MS_NODEV, MOUNT_ATTR_NODEV, 0 },
	{ "noexec", false, MS_NOEXEC, MOUNT_ATTR_NOEXEC, 0 },
	{ "exec", true, MS_NOEXEC, MOUNT_ATTR_NOEXEC, 0 },
	{ "sync", false, MS_SYNCHRONOUS, 0, 0 },
	{ "async", true, MS_SYNCHRONOUS, 0, 0 },
	{ "dirsync", false, MS_DIRSYNC, 0, 0 },
	{ "remount", false, MS_REMOUNT, 0, 0 },
	{ "mand", false, MS_MANDLOCK, 0, 0 },
	{ "nomand", true, MS_MANDLOCK, 0, 0 },
	{ "atime", true, MS_NOATIME, MOUNT_ATTR_NOATIME, 0 },
	{ "noatime", false, MS_NOATIME, MOUNT_ATTR_NOATIME, 0 },
	{ "diratime", true, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME, 0 },
	{ "nodiratime", false, MS_NODIRATIME, MOUNT_ATTR_NODIRATIME, 0 },
	{ "relatime", false, MS_RELATIME, 0, 0 },
	{ "norelatime", true, MS_RELATIME, 0, 0 },
	{ "strictatime", false, MS_STRICTATIME, MOUNT_ATTR_STRICTATIME, 0 },
	{ "nostrictatime", true, MS_STRICTATIME, MOUNT_ATTR_STRICTATIME, 0 },
	{ "lazytime", false, MS_LAZYTIME, 0, 0 },
	{ "nolazytime", true, MS_LAZYTIME, 0, 0 },
	{ "bind", false, MS_BIND, 0, 0 },
	{ "rbind", false, MS_BIND | MS_REC, 0, 0 },
	{ "private", false, 0, 0, MS_PRIVATE },
	{ "rprivate", false, 0, 0, MS_PRIVATE | MS_REC },
	{ "shared", false, 0, 0, MS_SHARED },
	{ "rshared", false, 0, 0, MS_SHARED | MS_REC },
	{ "slave", false, 0, 0, MS_SLAVE },
	{ "rslave", false, 0, 0, MS_SLAVE | MS_REC },
	{ "unbindable", false, 0, 0, MS_UNBINDABLE },
	{ "runbindable", false, 0, 0, MS_UNBINDABLE | MS_REC },
};

int spec_mount_parse_options(struct spec_mount *m, char *const *options, const char *where,
			     struct cell_error **err)
{
	size_t datalen = 0;
	strv_foreach (opt, options) {
		size_t i;
		if (strcmp(opt, "tmpcopyup") == 0) {
			m->tmpcopyup = true;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(option_table); i++)
			if (strcmp(option_table[i].name, opt) == 0)
				break;
		if (i == ARRAY_SIZE(option_table)) {
			/* Anything else belongs to the filesystem (size=, mode=, newinstance...). */
			size_t n = strlen(opt);
			char *d = realloc(m->data, datalen + n + 2);
			if (!d)
				return cell_error_set(err, ENOMEM, "out of memory");
			if (datalen)
				d[datalen++] = ',';
			memcpy(d + datalen, opt, n + 1);
			datalen += n;
			m->data = d;
			continue;
		}
		if (option_table[i].prop) {
			m->propagation = option_table[i].prop;
			continue;
		}
		unsigned long f = option_table[i].flag;
		if (f & MS_BIND) {
			m->bind = true;
			m->recursive |= (f & MS_REC) != 0;
			continue;
		}
		if (option_table[i].clear) {
			m->flags &= ~f;
			m->attr_set &= ~option_table[i].attr;
			m->attr_clr |= option_table[i].attr;
		} else {
			m->flags |= f;
			m->attr_set |= option_table[i].attr;
			m->attr_clr &= ~option_table[i].attr;
		}
	}
	(void)where;
	return 0;
}

void mount_ctx_probe_cgroup(struct mount_ctx *ctx)
{
	ctx->cgroup2_only = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
	ctx->cgroup2_extra = !ctx->cgroup2_only && access("/sys/fs/cgroup/unified", F_OK) == 0;
}

const char *mount_fd_path(char *buf, int fd)
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
	return buf;
}

/* Open (creating as needed) the target of a mount inside the root: a directory, or a file when
 * the source is not a directory. */
/* Common case of a missing target: only its last component is missing. Make that in its
 * parent (opened inside the root) and open it from there without following anything. */
static int make_last(int root_fd, const char *dest, bool dir)
{
	const char *slash = strrchr(dest, '/');
	char parent[4096];
	if (!slash || !slash[1])
		return -1;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash - dest), dest);
	_cleanup_close_ int pfd =
		fs_open_in_root(root_fd, *parent ? parent : "/", O_PATH | O_DIRECTORY, 0, NULL);
	if (pfd < 0)
		return -1;
	const char *name = slash + 1;
	if (dir) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			return -1;
	} else {
		int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 && errno != EEXIST)
			return -1;
		if (fd >= 0)
			close(fd);
	}
	int fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode))) {
		close(fd); /* a dangling symlink: the slow path resolves it inside the root */
		return -1;
	}
	return fd;
}

/* Open (creating as needed) the target of a mount inside the root: a directory, or a file when
 * the source is not a directory. */
static int open_target(int root_fd, const char *dest, bool dir, struct cell_error **err)
{
	int fd = fs_open_in_root(root_fd, dest, O_PATH, 0, NULL);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return cell_error_errno(err, errno, "%s", dest);
	fd = make_last(root_fd, dest, dir);
	if (fd >= 0)
		return fd;
	return dir ? fs_mkdir_p_in_root(root_fd, dest, 0755, err) :
		     fs_touch_in_root(root_fd, dest, 0644, err);
}

static int mount_bind(const struct mount_ctx *ctx, const struct spec_mount *m,
		      struct cell_error **err)
{
	struct stat st;
	if (stat(m->source, &st) < 0)
		return cell_error_errno(err, errno, "source %s", m->source);
	_cleanup_close_ int target =
		open_target(ctx->root_fd, m->destination, S_ISDIR(st.st_mode), err);
	if (target < 0)
		return target;
	_cleanup_close_ int tree =
		open_tree(AT_FDCWD, m->source,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return cell_error_errno(err, errno, "open_tree %s", m->source);
	struct mount_attr attr = {
		.attr_set = m->attr_set,
		.attr_clr = m->attr_clr,
		.propagation = m->propagation & ~MS_REC,
	};
	if (attr.attr_set & MOUNT_ATTR__ATIME)
		attr.attr_clr |= MOUNT_ATTR__ATIME;
	if ((attr.attr_set || attr.attr_clr || attr.propagation) &&
	    mount_setattr(tree, "", AT_EMPTY_PATH | (m->recursive ? AT_RECURSIVE : 0), &attr,
			  sizeof(attr)) < 0)
		return cell_error_errno(err, errno, "set options of %s", m->source);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cell_error_errno(err, errno, "bind %s", m->source);
	return 0;
}

/* cgroup v1 (hybrid too): a tmpfs with one mount per hierarchy, as /proc/self/cgroup lists them;
 * in a cgroup namespace each shows the container's cgroup as its root, else the container's
 * directory is bound from the host. */
static int mount_cgroup_v1(const struct mount_ctx *ctx, const struct spec_mount *m, int target,
			   struct cell_error **err)
{
	char buf[32], line[512];
	unsigned long flags = (m->flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	if (mount("tmpfs", mount_fd_path(buf, target), "tmpfs", flags, "mode=755") < 0)
		return cell_error_errno(err, errno, "mount tmpfs on %s", m->destination);
	_cleanup_close_ int dir =
		fs_open_in_root(ctx->root_fd, m->destination, O_PATH | O_DIRECTORY, 0, err);
	if (dir < 0)
		return dir;
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return cell_error_errno(err, errno, "open /proc/self/cgroup");
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *path;
		if (!ctrl || !(path = strchr(++ctrl, ':')))
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		const char *name = *ctrl ? ctrl : "unified";
		if (strncmp(name, "name=", 5) == 0)
			name += 5;
		const char *fstype = *ctrl ? "cgroup" : "cgroup2";
		char opts[300];
		snprintf(opts, sizeof(opts), "%s%s", strncmp(ctrl, "name=", 5) == 0 ? "none," : "",
			 ctrl);
		char host[600];
		snprintf(host, sizeof(host), "/sys/fs/cgroup/%s%s", name, path);
		if (!*ctrl && !ctx->cgroup2_extra)
			continue; /* a v2 line without a unified mount on this host */
		if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
			return cell_error_errno(err, errno, "mkdir %s/%s", m->destination, name);
		_cleanup_close_ int sub =
			openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return cell_error_errno(err, errno, "open %s/%s", m->destination, name);
		int r = ctx->cgroupns ? mount(fstype, mount_fd_path(buf, sub), fstype,
					      m->flags | MS_NOSUID | MS_NODEV | MS_NOEXEC,
					      *ctrl ? opts : NULL) :
					mount(host, mount_fd_path(buf, sub), NULL, MS_BIND, NULL);
		if (r < 0)
			return cell_error_errno(err, errno, "mount %s on %s/%s", fstype,
						m->destination, name);
		if (!ctx->cgroupns && (m->flags & MS_RDONLY)) {
			_cleanup_close_ int mnt =
				openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
			if (mnt < 0 || mount_setattr(mnt, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
				return cell_error_errno(err, errno, "make %s/%s read-only",
							m->destination, name);
		}
	}
	if (m->flags & MS_RDONLY) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(dir, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return cell_error_errno(err, errno, "make %s read-only", m->destination);
	}
	return 0;
}

int mount_apply(const struct mount_ctx *ctx, const struct spec_mount *m, struct cell_error **err)
{
	int r;
	if (m->bind)
		r = mount_bind(ctx, m, err);
	else {
		_cleanup_close_ int target = open_target(ctx->root_fd, m->destination, true, err);
		if (target < 0)
			return cell_error_wrap(err, "mount %s", m->destination);
		char buf[32];
		if (strcmp(m->type, "cgroup") == 0 && !ctx->cgroup2_only)
			r = mount_cgroup_v1(ctx, m, target, err);
		else if (strcmp(m->type, "cgroup") == 0)
			r = mount("cgroup2", mount_fd_path(buf, target), "cgroup2", m->flags,
				  NULL) < 0 ?
				    cell_error_errno(err, errno, "cgroup2") :
				    0;
		else if (mount(m->source ? m->source : m->type, mount_fd_path(buf, target), m->type,
			       m->flags & ~MS_REMOUNT, m->data) < 0)
			r = cell_error_errno(err, errno, "%s (type %s, options '%s')",
					     m->source ? m->source : "", m->type,
					     m->data ? m->data : "");
		else
			r = 0;
		if (r == 0 && m->tmpcopyup && strcmp(m->type, "tmpfs") == 0) {
			/* target still names the directory under the new tmpfs */
			_cleanup_close_ int top = fs_open_in_root(ctx->root_fd, m->destination,
								  O_RDONLY | O_DIRECTORY, 0, err);
			r = top < 0 ? top : copyup_tree(target, top, err);
		}
		if (r == 0 && m->propagation) {
			_cleanup_close_ int mnt =
				fs_open_in_root(ctx->root_fd, m->destination, O_PATH, 0, err);
			if (mnt < 0 ||
			    mount(NULL, mount_fd_path(buf, mnt), NULL, m->propagation, NULL) < 0)
				r = mnt < 0 ? mnt : cell_error_errno(err, errno, "propagation");
		}
	}
	if (r < 0)
		return cell_error_wrap(err, "mount %s", m->destination);
	return 0;
}

int mount_readonly_path(int root_fd, const char *path, struct cell_error **err)
{
	_cleanup_close_ int fd = fs_open_in_root(root_fd, path, O_PATH, 0, err);
	if (fd < 0)
		return errno == ENOENT ? 0 : cell_error_wrap(err, "readonlyPaths");
	_cleanup_close_ int tree = open_tree(
		fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH);
	struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					    MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	if (tree < 0 || mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0 ||
	    move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cell_error_errno(err, errno, "readonlyPaths: %s", path);
	return 0;
}

/* The container's /dev/null, made sure to be the null device (char 1:3) itself: resolved without
 * following any symlink, so that a rootfs whose /dev/null links to, say, a procfs file cannot get
 * that file bound over the paths meant to be hidden (CVE-2025-31133). */
static int open_null(int root_fd, struct cell_error **err)
{
	struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS };
	_cleanup_close_ int fd = (int)syscall(SYS_openat2, root_fd, "dev/null", &how, sizeof(how));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return cell_error_errno(err, errno, "maskedPaths: open /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return cell_error_set(err, EPERM,
				      "maskedPaths: /dev/null is not the null device (char 1:3)");
	return steal_fd(fd);
}

int mount_mask_path(int root_fd, const char *path, struct cell_error **err)
{
	_cleanup_close_ int fd = fs_open_in_root(root_fd, path, O_PATH, 0, NULL);
	if (fd < 0)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "maskedPaths: %s", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cell_error_errno(err, errno, "maskedPaths: %s", path);
	if (S_ISDIR(st.st_mode)) {
		char buf[32];
		if (mount("tmpfs", mount_fd_path(buf, fd), "tmpfs", MS_RDONLY, "size=0k") < 0)
			return cell_error_errno(err, errno, "maskedPaths: %s", path);
		return 0;
	}
	_cleanup_close_ int null = open_null(root_fd, err);
	if (null < 0)
		return null;
	/* Clone the very inode checked above: no path is looked up again between check and use. */
	_cleanup_close_ int tree =
		open_tree(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0 ||
	    move_mount(tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cell_error_errno(err, errno, "maskedPaths: %s", path);
	return 0;
}
