/* target.h - what ps, pause, resume, update and events share: a container's state and cgroup. */
#pragma once

#include "cgroup.h"
#include "error.h"
#include "state.h"

struct target {
	struct container_state st;
	enum container_status status;
	struct cgroup *cg;
};

/* Read container id's state under root and open its cgroup (nothing is created). */
int target_open(const char *root, const char *id, struct target *t, struct cell_error **err);
void target_close(struct target *t);
