/* viewfs-mounts.h - bind cellfs's per-container /proc and /sys views into a container's rootfs. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

#define VIEWFS_ANNOTATION "cell.viewfs"
/* Where cellfs is mounted unless $CELL_VIEWFS_MOUNT says otherwise. */
#define VIEWFS_DEFAULT_MOUNT "/run/cellfs"

/* true when the config's annotations object carries "cell.viewfs": "true". */
bool viewfs_requested(json_t *annotations);

/*
 * Call in the container's mount namespace once its /proc (and /sys) are mounted under rootfs_fd,
 * before pivot_root. Binds <mount>/<id>/proc/meminfo over <rootfs>/proc/meminfo and so on for
 * every view whose target exists. When no cellfs answers at `mount` (NULL: the default), logs
 * one warning and returns 0: the container starts with the host's figures. Other failures
 * (a bind mount refused) return -errno.
 */
int viewfs_bind_views(int rootfs_fd, const char *id, const char *mount, struct cell_error **err);
