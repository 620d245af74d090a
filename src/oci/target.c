/* target.c - a container's state and cgroup, for the verbs that act on a running container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "target.h"

int target_open(const char *root, const char *id, struct target *t, struct cell_error **err)
{
	int r;
	memset(t, 0, sizeof(*t));
	if ((r = state_read(root, id, &t->st, err)) < 0)
		return r;
	t->status = state_status(root, &t->st);
	if ((r = cgroup_new(id, t->st.cgroups_path, &t->cg, err)) < 0) {
		container_state_clear(&t->st);
		return r;
	}
	return 0;
}

void target_close(struct target *t)
{
	cgroup_free(t->cg);
	t->cg = NULL;
	container_state_clear(&t->st);
}

int target_set_paused(const char *root, const char *id, bool paused, struct cell_error **err)
{
	_cleanup_free_ char *dir = NULL;
	char path[4096];
	int r = state_dir(root, id, &dir, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/paused", dir);
	if (!paused) {
		if (unlink(path) < 0 && errno != ENOENT)
			return cell_error_errno(err, errno, "%s", path);
		return 0;
	}
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cell_error_errno(err, errno, "%s", path);
	return 0;
}
