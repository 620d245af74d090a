/* cmd-delete.c - `delete [--force] ID`: state, cgroup and (with --force) the process go. */
#include <errno.h>
#include <getopt.h>

#include "commands.h"
#include "container.h"

int cmd_delete(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' }, { 0 } };
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return cell_error_set(err, EINVAL, "usage: cellrt delete [--force] ID");
		force = true;
	}
	int r = cmd_need_args(argc, optind, 1, "delete [--force] ID", err);
	if (r < 0)
		return r;
	return container_delete(ctx->root, argv[optind], force, err);
}
