/* rootfs.h - the container's filesystem: rootfs bind, mounts, devices, pivot_root, masked and
 * read-only paths, propagation and a read-only root. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "spec.h"

struct rootfs_hooks {
	/* Called once, before the first cgroup mount or at the latest before pivot_root: waits for
	 * the cgroup attach and creates the cgroup namespace. */
	int (*before_cgroup)(void *data, struct cell_error **err);
	/* Called when the pty is ready (process.terminal), with its master. */
	int (*terminal)(void *data, int master, struct cell_error **err);
	void *data;
};

/* In the child, in its new mount namespace. */
int rootfs_setup(const struct spec *s, bool userns, bool no_pivot, const struct rootfs_hooks *h,
		 struct cell_error **err);
