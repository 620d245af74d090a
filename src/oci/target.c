/* target.c - a container's state and cgroup, for the verbs that act on a running container. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "container.h"
#include "target.h"

int target_open(const char *root, const char *id, struct target *t, struct cell_error **err)
{
	int r;
	memset(t, 0, sizeof(*t));
	if ((r = state_read(root, id, &t->st, err)) < 0)
		return r;
	if ((r = cgroup_new(id, t->st.cgroups_path, &t->cg, err)) < 0) {
		container_state_clear(&t->st);
		return r;
	}
	t->status = container_status_cg(root, &t->st, t->cg);
	return 0;
}

void target_close(struct target *t)
{
	cgroup_free(t->cg);
	t->cg = NULL;
	container_state_clear(&t->st);
}
