/* cmd-exec.c - `exec [-t] [--env K=V] [--cwd DIR] [--user UID[:GID]] [--cap C]
 * [--preserve-fds N] ID CMD...`. */
#include <errno.h>
#include <getopt.h>

#include "commands.h"
#include "container.h"
#include "strv.h"

int cmd_exec(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = {
		{ "tty", no_argument, NULL, 't' },
		{ "env", required_argument, NULL, 'e' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "user", required_argument, NULL, 'u' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "detach", no_argument, NULL, 'd' },
		{ "process", required_argument, NULL, 'P' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "cap", required_argument, NULL, 'C' },
		{ "no-new-privs", no_argument, NULL, 'N' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ 0 },
	};
	static const char *usage =
		"usage: cellrt exec [-t] [--env K=V] [--cwd DIR] "
		"[--user UID[:GID]] [--cap CAP]... [--no-new-privs] [--preserve-fds N] "
		"ID COMMAND [ARGS...]";
	_cleanup_strv_ char **env = NULL, **caps = NULL;
	struct exec_opts o = { .root = ctx->root };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+te:w:u:d", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.tty = true;
			break;
		case 'e':
			if (strv_append(&env, optarg) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			break;
		case 'w':
			o.cwd = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'p':
			o.pid_file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 'P':
			o.process_file = optarg;
			break;
		case 'c':
			o.console_socket = optarg;
			break;
		case 'C':
			if (strv_append(&caps, optarg) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			break;
		case 'N':
			o.no_new_privs = true;
			break;
		case 'F':
			if (cmd_parse_preserve_fds(ctx, optarg, &o.preserve_fds, err) < 0)
				return -EBADF;
			break;
		default:
			return cell_error_set(err, EINVAL, "%s", usage);
		}
	}
	if (argc - optind < (o.process_file ? 1 : 2))
		return cell_error_set(err, EINVAL, "%s", usage);
	o.id = argv[optind];
	o.args = argv + optind + 1;
	o.env = env;
	o.caps = caps;
	int status = 0;
	int r = container_exec(&o, &status, err);
	return r < 0 ? r : status;
}
