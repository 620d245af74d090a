/* cmd-kill.c - `kill [--all] ID [SIGNAL]`: SIGTERM by default; names with or without SIG, or
 * numbers. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>

#include "commands.h"
#include "container.h"
#include "spec.h"

int cmd_kill(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' }, { 0 } };
	bool all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c != 'a')
			return cell_error_set(err, EINVAL,
					      "usage: cellrt kill [--all] ID [SIGNAL]");
		all = true;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return cell_error_set(err, EINVAL, "usage: cellrt kill [--all] ID [SIGNAL]");
	int sig = SIGTERM;
	if (argc - optind == 2) {
		sig = spec_signal_from_name(argv[optind + 1]);
		if (sig <= 0)
			return cell_error_set(err, EINVAL, "kill: unknown signal '%s'",
					      argv[optind + 1]);
	}
	return container_kill(ctx->root, argv[optind], sig, all, err);
}
