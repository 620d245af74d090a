/* blk-file.c - the host side of virtio-blk: a raw image file or block device. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "backend.h"
#include "cleanup.h"

int blk_file_open(const char *path, bool ro, int *ret_fd, uint64_t *ret_size,
		  struct cell_error **err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t size;

	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cell_error_errno(err, errno, "disk %s: cannot open", path);
	if (fstat(fd, &st) < 0)
		return cell_error_errno(err, errno, "disk %s: stat", path);
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			return cell_error_errno(err, errno, "disk %s: BLKGETSIZE64", path);
	} else {
		return cell_error_set(err, EINVAL, "disk %s: not a regular file or block device",
				      path);
	}
	/* Two VMs writing one image corrupt it; readers may share. The lock dies with the fd. */
	if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return cell_error_set(err, EBUSY, "disk %s: in use by another process",
					      path);
		return cell_error_errno(err, errno, "disk %s: lock", path);
	}
	*ret_size = size;
	*ret_fd = steal_fd(fd);
	return 0;
}
