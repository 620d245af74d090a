/* mount.h - one config.json mount onto a target resolved inside the rootfs, never outside it. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct mount_ctx {
	int root_fd;   /* O_PATH of the rootfs */
	bool userns;   /* in a new user namespace: no mknod, locked mount flags */
	bool cgroupns; /* cgroup mounts show the container's cgroup as root */
};

/* Mount m inside ctx->root_fd. The target is opened once (openat2 RESOLVE_IN_ROOT) and the mount
 * goes onto that fd, so a symlink in the rootfs cannot redirect it to the host. */
int mount_apply(const struct mount_ctx *ctx, const struct spec_mount *m, struct cell_error **err);

/* "/proc/self/fd/N" for fd, in buf (at least 32 bytes). */
const char *mount_fd_path(char *buf, int fd);

/* Bind-mount what path names inside the root read-only over itself (readonlyPaths). */
int mount_readonly_path(int root_fd, const char *path, struct cell_error **err);
/* Hide path inside the root: /dev/null over a file, an empty read-only tmpfs over a directory. */
int mount_mask_path(int root_fd, const char *path, struct cell_error **err);
