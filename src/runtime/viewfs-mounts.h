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
 * (a bind mount refused) return -errno. Returns 1 when proc/loadavg came from cellfs's sampled
 * mount: the init must then claim it (below).
 */
int viewfs_bind_views(int rootfs_fd, const char *id, const char *mount, struct cell_error **err);

/*
 * Call in the container's init once it is in its cgroup and inside its new root: binds cellfs's
 * sampled loadavg (one text per container) to the caller's cgroup, whoever read it first. Any
 * failure (no cellfs, an older one, a dead one) is only logged at debug level: it costs the
 * container nothing but its loadavg's cgroup. A restarting cellfs delays it until the new server
 * answers, as it does any read of the views.
 */
void viewfs_claim_loadavg(void);
