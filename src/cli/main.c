/* main.c - cell: the command-line client of celld. Verbs are dispatched from one table; errors are
 * printed once, on one line, and the exit status is non-zero (exec passes the command's through). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

int cli_exit_status;

static const struct cli_verb verbs[] = {
	{ "launch", "IMAGE NAME [-c key=value]... [-p profile]...", "create and start an instance",
	  cmd_launch },
	{ "init", "IMAGE NAME [-c key=value]... [-p profile]...", "create an instance", cmd_init },
	{ "start", "NAME...", "start instances", cmd_start },
	{ "stop", "NAME... [--force] [--timeout SECONDS]", "stop instances", cmd_stop },
	{ "restart", "NAME... [--force] [--timeout SECONDS]", "restart instances", cmd_restart },
	{ "delete", "NAME... [--force]", "delete instances (--force: stop them first)",
	  cmd_delete },
	{ "list", "[--format table|json]", "list instances", cmd_list },
	{ "info", "NAME", "show an instance's state", cmd_info },
	{ "exec", "NAME [--env K=V]... [--cwd DIR] [--user UID] -- CMD...",
	  "run a command in an instance", cmd_exec },
	{ "console", "NAME [--show-log]", "attach to an instance's console (ctrl+a q detaches)",
	  cmd_console },
	{ "config",
	  "set|unset|get|show NAME [key[=value]]... | device add NAME DEV TYPE [key=value]... |"
	  " device remove|list|show NAME [DEV]",
	  "instance configuration", cmd_config },
	{ "file", "push SRC NAME/PATH | pull NAME/PATH DST", "copy files in and out", cmd_file },
	{ "snapshot", "NAME [SNAP]", "snapshot an instance", cmd_snapshot },
	{ "restore", "NAME SNAP", "restore an instance from a snapshot", cmd_restore },
	{ "copy", "SRC[/SNAP] DST", "copy an instance", cmd_copy },
	{ "image",
	  "list | import FILE [--alias A] | build NAME | delete IMAGE | alias create|delete|list ...",
	  "manage images", cmd_image },
	{ "profile",
	  "list | create|show|delete NAME | set|unset NAME key[=value] | assign INSTANCE P1[,P2] |"
	  " device add|remove|list|show NAME ...",
	  "manage profiles", cmd_profile },
	{ "network",
	  "list [--format table|json|csv] | create NAME [key=value]... | show|delete NAME |"
	  " set|unset|get NAME key[=value] | list-leases NAME",
	  "manage networks", cmd_network },
	{ "storage", "list [--format table|json|csv] | show|info NAME | create NAME DRIVER",
	  "storage pools (one: default)", cmd_storage },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cell [--socket PATH] VERB [ARGS]\n"
		"The command-line client of celld (socket: $CELL_SOCKET or $CELL_DIR/unix.socket).\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'cell VERB --help' for a verb's arguments.\n");
}

const char *cli_usage_of(const char *verb)
{
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (strcmp(verbs[i].name, verb) == 0)
			return verbs[i].usage;
	return "";
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

int cli_check_args(int argc, char **argv, int min, int max, struct cell_error **err)
{
	int n = argc - 1;
	if (n < min || (max >= 0 && n > max))
		return cell_error_set(err, EINVAL, "usage: cell %s %s", argv[0],
				      cli_usage_of(argv[0]));
	return 0;
}

int cli_set_kv(json_t *obj, const char *kv, struct cell_error **err)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv)
		return cell_error_set(err, EINVAL, "expected key=value, got \"%s\"", kv);
	_cleanup_free_ char *key = strndup(kv, (size_t)(eq - kv));
	json_object_set_new(obj, key, json_string(eq + 1));
	return 0;
}

int main(int argc, char **argv)
{
	const char *socket = NULL;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			socket = argv[++i];
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("cell 0.1.0\n");
			return 0;
		} else {
			fprintf(stderr, "cell: unknown option: %s\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	const struct cli_verb *v = NULL;
	for (size_t k = 0; k < ARRAY_SIZE(verbs); k++)
		if (strcmp(verbs[k].name, argv[i]) == 0)
			v = &verbs[k];
	if (!v) {
		fprintf(stderr, "cell: unknown verb: %s (see cell --help)\n", argv[i]);
		return 2;
	}
	if (cli_wants_help(argc - i, argv + i)) {
		printf("usage: cell %s %s\n%s\n", v->name, v->usage, v->summary);
		return 0;
	}
	struct client *c = NULL;
	_cleanup_error_ struct cell_error *e = NULL;
	int r = client_new(socket, &c, &e);
	if (r == 0)
		r = v->run(c, argc - i, argv + i, &e);
	client_free(c);
	if (r < 0) {
		cell_error_print(e, "cell", stderr);
		return 1;
	}
	return cli_exit_status;
}
