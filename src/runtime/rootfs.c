/* rootfs.c - build the container's mount tree in its own mount namespace, then make it the root. */
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "console.h"
#include "devices.h"
#include "fs.h"
#include "hooks.h"
#include "strv.h"
#include "mount.h"
#include "procfs.h"
#include "viewfs-mounts.h"

static int enter_root(int root_fd, const char *rootfs, bool no_pivot, struct cell_error **err)
{
	if (fchdir(root_fd) < 0)
		return cell_error_errno(err, errno, "chdir %s", rootfs);
	if (no_pivot) {
		if (mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return cell_error_errno(err, errno, "move %s to / (--no-pivot)", rootfs);
	} else {
		/* Stack the old root under the new one, then detach it: no directory needed. */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return cell_error_errno(err, errno, "pivot_root %s", rootfs);
		if (umount2(".", MNT_DETACH) < 0)
			return cell_error_errno(err, errno, "detach the old root");
	}
	if (chdir("/") < 0)
		return cell_error_errno(err, errno, "chdir /");
	return 0;
}

static int write_sysctls(const struct spec *s, struct cell_error **err)
{
	for (size_t i = 0; i < s->nsysctls; i++) {
		char path[512], what[512];
		snprintf(path, sizeof(path), "sys/%s", s->sysctls[i].key);
		for (char *p = path + 4; *p; p++)
			if (*p == '.')
				*p = '/';
		snprintf(what, sizeof(what), "linux.sysctl.%s", s->sysctls[i].key);
		int r = procfs_write(path, s->sysctls[i].value, what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int finish_root(int root_fd, const struct spec *s, struct cell_error **err)
{
	int r;
	if ((r = write_sysctls(s, err)) < 0)
		return r;
	strv_foreach (path, s->masked_paths)
		if ((r = mount_mask_path(root_fd, path, err)) < 0)
			return r;
	strv_foreach (path, s->readonly_paths)
		if ((r = mount_readonly_path(root_fd, path, err)) < 0)
			return r;
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return cell_error_errno(err, errno, "linux.rootfsPropagation");
	if (s->root_readonly) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
		if (mount_setattr(root_fd, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return cell_error_errno(err, errno, "root.readonly");
	}
	return 0;
}

/* Index of the first cgroup mount (s->nmounts if none), and whether it and every mount after it
 * can be made after pivot_root: no bind mounts (their sources are host paths) and a cgroup
 * namespace (without one, the container's cgroup directories are bound from the host). */
static size_t cgroup_split(const struct spec *s, bool *late_ok)
{
	size_t k;
	for (k = 0; k < s->nmounts; k++)
		if (s->mounts[k].type && strcmp(s->mounts[k].type, "cgroup") == 0)
			break;
	*late_ok = k == s->nmounts || s->ns[NS_CGROUP].enabled;
	for (size_t i = k; i < s->nmounts && *late_ok; i++)
		*late_ok = !s->mounts[i].bind;
	return k;
}

static int apply_mounts(const struct mount_ctx *ctx, const struct spec *s, size_t from, size_t to,
			struct cell_error **err)
{
	for (size_t i = from; i < to; i++) {
		int r = mount_apply(ctx, &s->mounts[i], err);
		if (r < 0)
			return cell_error_wrap(err, "mounts[%zu]", i);
	}
	return 0;
}

/*
 * The order is that of config.json, with one exception that saves a wait: when the mounts from
 * the first cgroup mount on can come after pivot_root (cgroup_split), they do, so that the
 * detaching of the old root (an RCU grace period) overlaps with the parent's cgroup attach (another
 * one) instead of following it.
 */
int rootfs_setup(const struct spec *s, bool userns, bool no_pivot, const struct rootfs_hooks *h,
		 struct cell_error **err)
{
	int r;
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return cell_error_errno(err, errno, "make / a slave mount");
	if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cell_error_errno(err, errno, "root.path: bind %s", s->root_path);
	_cleanup_close_ int root_fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0)
		return cell_error_errno(err, errno, "root.path: %s", s->root_path);
	struct mount_ctx ctx = { .root_fd = root_fd,
				 .userns = userns,
				 .cgroupns = s->ns[NS_CGROUP].enabled };
	mount_ctx_probe_cgroup(&ctx);
	bool late;
	size_t k = cgroup_split(s, &late);
	/* createRuntime/prestart/createContainer hooks run at before_cgroup and must see the root unpivoted. */
	if (hooks_has(s->hooks, "createRuntime") || hooks_has(s->hooks, "prestart") ||
	    hooks_has(s->hooks, "createContainer"))
		late = false;
	if ((r = apply_mounts(&ctx, s, 0, k, err)) < 0)
		return r;
	if (!late && ((r = h->before_cgroup(h->data, err)) < 0 ||
		      (r = apply_mounts(&ctx, s, k, s->nmounts, err)) < 0))
		return r;
	if ((r = devices_create(root_fd, s, userns, err)) < 0 ||
	    (r = devices_symlinks(root_fd, err)) < 0)
		return r;
	if (s->process.terminal) {
		int master = console_setup(root_fd, s->process.console_rows,
					   s->process.console_cols, true, err);
		if (master < 0)
			return master;
		r = h->terminal(h->data, master, err);
		close(master);
		if (r < 0)
			return r;
	}
	/* After /proc and /sys are mounted, while the host's cellfs is still in reach. */
	int claim = h->viewfs_id ? viewfs_bind_views(root_fd, h->viewfs_id, NULL, err) : 0;
	if (claim < 0)
		return claim;
	if ((r = enter_root(root_fd, s->root_path, no_pivot, err)) < 0)
		return r;
	if (late && ((r = h->before_cgroup(h->data, err)) < 0 ||
		     (r = apply_mounts(&ctx, s, k, s->nmounts, err)) < 0))
		return r;
	/* In its cgroup now, early or late: the sampled loadavg becomes this cgroup's. */
	if (claim)
		viewfs_claim_loadavg();
	return finish_root(root_fd, s, err);
}
