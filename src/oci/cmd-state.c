/* cmd-state.c - `state ID`: the OCI state document, pretty-printed as runc does. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "container.h"
#include "json.h"

int cmd_state(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	int r = cmd_need_args(argc, 1, 1, "state ID", err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *j = NULL;
	if ((r = container_state_json(ctx->root, argv[1], &j, err)) < 0)
		return r;
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	puts(text);
	free(text);
	return 0;
}
