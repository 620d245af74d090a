/* copyup.c - tmpcopyup: fill a fresh tmpfs with a copy of the directory it covers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "copyup.h"
#include "fs.h"

/* Owner, mode and times of st onto the new entry name in dir. */
static int copy_attrs(int dir, const char *name, const struct stat *st, struct cell_error **err)
{
	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "tmpcopyup: chown %s", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
		return cell_error_errno(err, errno, "tmpcopyup: chmod %s", name);
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "tmpcopyup: times of %s", name);
	return 0;
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st,
		     struct cell_error **err)
{
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return cell_error_errno(err, errno, "tmpcopyup: open %s", name);
	_cleanup_close_ int out =
		openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return cell_error_errno(err, errno, "tmpcopyup: create %s", name);
	char buf[65536];
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "tmpcopyup: read %s", name);
		if (n == 0)
			break;
		if (fs_write_all(out, buf, (size_t)n) < 0)
			return cell_error_errno(err, errno, "tmpcopyup: write %s", name);
	}
	(void)st;
	return 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name, struct cell_error **err)
{
	struct stat st;
	int r;
	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cell_error_errno(err, errno, "tmpcopyup: %s", name);
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dst_dir, name, 0700) < 0)
			return cell_error_errno(err, errno, "tmpcopyup: mkdir %s", name);
		_cleanup_close_ int s =
			openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int d =
			openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return cell_error_errno(err, errno, "tmpcopyup: open %s", name);
		if ((r = copyup_tree(s, d, err)) < 0)
			return r;
	} else if (S_ISREG(st.st_mode)) {
		if ((r = copy_file(src_dir, dst_dir, name, &st, err)) < 0)
			return r;
	} else if (S_ISLNK(st.st_mode)) {
		char target[4096];
		ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
		if (n < 0)
			return cell_error_errno(err, errno, "tmpcopyup: readlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, dst_dir, name) < 0)
			return cell_error_errno(err, errno, "tmpcopyup: symlink %s", name);
	} else if (mknodat(dst_dir, name, st.st_mode, st.st_rdev) < 0) {
		return cell_error_errno(err, errno, "tmpcopyup: mknod %s", name);
	}
	return copy_attrs(dst_dir, name, &st, err);
}

int copyup_tree(int src_dir, int dst_dir, struct cell_error **err)
{
	int fd = openat(src_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "tmpcopyup: open the covered directory");
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cell_error_errno(err, errno, "tmpcopyup: read the covered directory");
	}
	struct dirent *de;
	int r;
	while ((errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((r = copy_entry(dirfd(d), dst_dir, de->d_name, err)) < 0)
			return r;
	}
	if (errno)
		return cell_error_errno(err, errno, "tmpcopyup: read the covered directory");
	return 0;
}
