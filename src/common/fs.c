/* fs.c - file helpers and openat2(RESOLVE_IN_ROOT) path resolution. */
#include "fs.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

static long sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct cell_error **err)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	long fd;
	do
		fd = sys_openat2(root_fd, path, &how);
	while (fd < 0 && (errno == EAGAIN || errno == EINTR));
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s inside the root", path);
	return (int)fd;
}

/* Symlink hops allowed while creating one path, as the kernel's own limit. */
#define FS_MAX_SYMLINK_HOPS 40

static int mkdir_p_in_root(int root_fd, const char *path, mode_t mode, int hops,
			   struct cell_error **err)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_free_ char *prefix = calloc(1, strlen(path) + 2);
	if (!copy || !prefix)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int dir = fs_open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0, err);
	if (dir < 0)
		return dir;

	char *save = NULL;
	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		strcat(prefix, "/");
		strcat(prefix, part);
		if (strcmp(part, ".") != 0 && strcmp(part, "..") != 0 &&
		    mkdirat(dir, part, mode) < 0 && errno != EEXIST)
			return cell_error_errno(err, errno, "mkdir %s", prefix);
		/* Resolve the whole prefix from the root each time, so that symlinks and ".."
		 * are judged against the root, never against the directory we stand in. */
		int next = fs_open_in_root(root_fd, prefix, O_PATH | O_DIRECTORY, 0, NULL);
		if (next < 0 && errno == ENOENT) {
			/* A dangling symlink: create what it points to, inside the root. */
			char target[4096];
			ssize_t n = readlinkat(dir, part, target, sizeof(target) - 1);
			if (n < 0 || hops >= FS_MAX_SYMLINK_HOPS)
				return cell_error_errno(err, n < 0 ? ENOENT : ELOOP, "mkdir %s",
							prefix);
			target[n] = '\0';
			const char *rest = save && *save ? save : "";
			_cleanup_free_ char *redirected = NULL;
			*strrchr(prefix, '/') = '\0';
			if (asprintf(&redirected, "%s/%s/%s", target[0] == '/' ? "" : prefix,
				     target, rest) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			return mkdir_p_in_root(root_fd, redirected, mode, hops + 1, err);
		}
		if (next < 0)
			return cell_error_errno(err, errno, "mkdir -p %s: open %s", path, prefix);
		close(dir);
		dir = next;
	}
	return steal_fd(dir);
}

int fs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, struct cell_error **err)
{
	return mkdir_p_in_root(root_fd, path, mode, 0, err);
}

int fs_touch_in_root(int root_fd, const char *path, mode_t mode, struct cell_error **err)
{
	int fd = fs_open_in_root(root_fd, path, O_PATH, 0, NULL);
	if (fd >= 0)
		return fd;
	_cleanup_free_ char *parent = strdup(path);
	if (!parent)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(parent, '/');
	if (slash) {
		*slash = '\0';
		int pfd = fs_mkdir_p_in_root(root_fd, parent[0] ? parent : "/", 0755, err);
		if (pfd < 0)
			return pfd;
		close(pfd);
	}
	fd = fs_open_in_root(root_fd, path, O_WRONLY | O_CREAT | O_NOFOLLOW, mode, err);
	if (fd < 0)
		return fd;
	close(fd);
	return fs_open_in_root(root_fd, path, O_PATH, 0, err);
}

int fs_mkdir_p(const char *path, mode_t mode, struct cell_error **err)
{
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (char *p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return cell_error_errno(err, errno, "mkdir %s", copy);
		*p = saved;
		if (saved == '\0')
			break;
	}
	return 0;
}

int fs_read_fd(int fd, char **ret, size_t *ret_len, struct cell_error **err)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (;;) {
		if (len + 1 >= cap) {
			char *bigger = realloc(buf, cap * 2);
			if (!bigger)
				return cell_error_set(err, ENOMEM, "out of memory");
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "read");
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	*ret = steal_ptr(buf);
	return 0;
}

int fs_read_file(const char *path, char **ret, size_t *ret_len, struct cell_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", path);
	int r = fs_read_fd(fd, ret, ret_len, err);
	if (r < 0)
		return cell_error_wrap(err, "%s", path);
	return 0;
}

ssize_t fs_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		left -= (size_t)n;
	}
	return (ssize_t)len;
}

int fs_write_fileat(int dirfd, const char *name, const char *data, size_t len,
		    struct cell_error **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", name);
	/* Kernel interface files want the value in one write(). */
	ssize_t n = write(fd, data, len);
	if (n < 0)
		return cell_error_errno(err, errno, "write '%.*s' to %s",
					(int)(len > 64 ? 64 : len), data, name);
	return 0;
}

int fs_write_file(const char *path, const char *data, size_t len, struct cell_error **err)
{
	return fs_write_fileat(AT_FDCWD, path, data, len, err);
}

/* A temporary file renamed over path: readers see the old file or the new one, never half. */
static int write_renamed(const char *path, const char *data, size_t len, mode_t mode, bool durable,
			 struct cell_error **err)
{
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp.%d", path, getpid()) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return cell_error_errno(err, errno, "create %s", tmp);
	ssize_t n = fs_write_all(fd, data, len);
	if (n < 0 || (durable && fsync(fd) < 0) || rename(tmp, path) < 0) {
		int e = n < 0 ? (int)-n : errno;
		unlink(tmp);
		return cell_error_errno(err, e, "write %s", path);
	}
	return 0;
}

int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			 struct cell_error **err)
{
	return write_renamed(path, data, len, mode, true, err);
}

int fs_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
			  struct cell_error **err)
{
	return write_renamed(path, data, len, mode, false, err);
}

static int rm_rf_at(int parent_fd, const char *name, dev_t dev, struct cell_error **err)
{
	struct stat st;
	if (fstatat(parent_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "stat %s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent_fd, name, 0) < 0 && errno != ENOENT)
			return cell_error_errno(err, errno, "unlink %s", name);
		return 0;
	}
	if (st.st_dev != dev)
		return cell_error_set(err, EBUSY, "%s is a mount point; not removing it", name);
	int fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", name);
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cell_error_errno(err, errno, "opendir %s", name);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		int r = rm_rf_at(dirfd(d), de->d_name, dev, err);
		if (r < 0)
			return r;
	}
	if (unlinkat(parent_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return cell_error_errno(err, errno, "rmdir %s", name);
	return 0;
}

int fs_rm_rf(const char *path, struct cell_error **err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "stat %s", path);
	return rm_rf_at(AT_FDCWD, path, st.st_dev, err);
}

bool fs_exists(const char *path)
{
	return access(path, F_OK) == 0;
}
