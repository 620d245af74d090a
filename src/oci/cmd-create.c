/* cmd-create.c - `create` and `run`: the same engine path, detached or in the foreground. */
#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "commands.h"
#include "container.h"

static int create_or_run(struct cmd_ctx *ctx, int argc, char **argv, bool detach,
			 struct cell_error **err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "no-pivot", no_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "detach", no_argument, NULL, 'd' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ 0 },
	};
	const char *usage = detach ? "create [--bundle DIR] [--pid-file FILE] [--no-pivot] "
				     "[--console-socket S] [--preserve-fds N] ID" :
				     "run [--bundle DIR] [--pid-file FILE] [--no-pivot] "
				     "[--console-socket S] [--preserve-fds N] ID";
	struct container_opts o = { .root = ctx->root, .bundle = ".", .detach = detach };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'P':
			o.no_pivot = true;
			break;
		case 'k':
			break; /* we never create a session keyring */
		case 'c':
			o.console_socket = optarg;
			break;
		case 'F':
			if (cmd_parse_preserve_fds(ctx, optarg, &o.preserve_fds, err) < 0)
				return -EINVAL;
			break;
		case 'd':
			return cell_error_set(err, ENOTSUP, "run --detach: use create + start");
		default:
			return cell_error_set(err, EINVAL, "usage: cellrt %s", usage);
		}
	}
	int r = cmd_need_args(argc, optind, 1, usage, err);
	if (r < 0)
		return r;
	o.id = argv[optind];
	int status = 0;
	r = container_create(&o, &status, err);
	return r < 0 ? r : status;
}

int cmd_create(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	return create_or_run(ctx, argc, argv, true, err);
}

int cmd_run(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	return create_or_run(ctx, argc, argv, false, err);
}
