/* fs.h - file helpers, and path resolution that never leaves a root directory. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Open path relative to root_fd as if root_fd were "/": "..", absolute symlinks and absolute
 * components all stay inside (openat2 RESOLVE_IN_ROOT), and magic /proc links are refused.
 * Returns the fd or -errno.
 */
int fs_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct cell_error **err);

/* Create every missing directory of path inside root_fd (safely, as above); returns an O_PATH fd
 * of the final directory. */
int fs_mkdir_p_in_root(int root_fd, const char *path, mode_t mode, struct cell_error **err);

/* Create an empty regular file at path inside root_fd (and its parents) unless something exists
 * there; returns an O_PATH fd of it. */
int fs_touch_in_root(int root_fd, const char *path, mode_t mode, struct cell_error **err);

/* mkdir -p on the host. */
int fs_mkdir_p(const char *path, mode_t mode, struct cell_error **err);

/* Read a whole file (NUL-terminated); ret_len may be NULL. */
int fs_read_file(const char *path, char **ret, size_t *ret_len, struct cell_error **err);
int fs_read_fd(int fd, char **ret, size_t *ret_len, struct cell_error **err);

/* Write data to an existing file (as for /proc and cgroup files): one write, truncating. */
int fs_write_file(const char *path, const char *data, size_t len, struct cell_error **err);
int fs_write_fileat(int dirfd, const char *name, const char *data, size_t len,
		    struct cell_error **err);

/* Write a file so that readers see the old or the new content, never a half-written one. */
int fs_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode,
			 struct cell_error **err);
/* The same without fsync: for state on tmpfs (/run), where durability means nothing. */
int fs_write_file_replace(const char *path, const char *data, size_t len, mode_t mode,
			  struct cell_error **err);

/* Remove a tree without crossing into other mounts; a missing path is not an error. */
int fs_rm_rf(const char *path, struct cell_error **err);

bool fs_exists(const char *path);

/* Write all of buf, retrying short writes and EINTR. */
ssize_t fs_write_all(int fd, const void *buf, size_t len);
