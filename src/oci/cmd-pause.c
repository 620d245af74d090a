/* cmd-pause.c - `pause ID` and `resume ID`: freeze and thaw every process of a container. */
#include "commands.h"
#include "container.h"

int cmd_pause(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	int r = cmd_need_args(argc, 1, 1, "pause ID", err);
	if (r < 0)
		return r;
	return container_pause(ctx->root, argv[1], true, err);
}

int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	int r = cmd_need_args(argc, 1, 1, "resume ID", err);
	if (r < 0)
		return r;
	return container_pause(ctx->root, argv[1], false, err);
}
