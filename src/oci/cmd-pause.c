/* cmd-pause.c - `pause ID` and `resume ID`: freeze and thaw every process of the container. */
#include <errno.h>

#include "commands.h"
#include "target.h"

static int freeze(struct cmd_ctx *ctx, int argc, char **argv, bool frozen, struct cell_error **err)
{
	const char *verb = frozen ? "pause" : "resume";
	int r = cmd_need_args(argc, 1, 1, frozen ? "pause ID" : "resume ID", err);
	if (r < 0)
		return r;
	struct target t;
	if ((r = target_open(ctx->root, argv[1], &t, err)) < 0)
		return r;
	bool now = false;
	if (t.status != STATUS_RUNNING && t.status != STATUS_PAUSED) {
		r = cell_error_set(err, EINVAL, "cannot %s container %s: it is %s", verb, argv[1],
				   state_status_name(t.status));
		goto out;
	}
	if ((r = cgroup_is_frozen(t.cg, &now, err)) < 0)
		goto out;
	if (now == frozen) {
		r = cell_error_set(err, EINVAL, "cannot %s container %s: it is %s", verb, argv[1],
				   now ? "paused" : "not paused");
		goto out;
	}
	/* The freezer alone says paused (container_status_cg), as runc reads it. */
	r = cgroup_freeze(t.cg, frozen, err);
out:
	target_close(&t);
	return r;
}

int cmd_pause(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	return freeze(ctx, argc, argv, true, err);
}

int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	return freeze(ctx, argc, argv, false, err);
}
