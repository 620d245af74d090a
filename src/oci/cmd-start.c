/* cmd-start.c - `start ID`: release a created container's process. */
#include "commands.h"
#include "container.h"

int cmd_start(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	int r = cmd_need_args(argc, 1, 1, "start ID", err);
	if (r < 0)
		return r;
	return container_start(ctx->root, argv[1], err);
}
