/* main.c - cellrt: runc's command line over the engine in src/runtime. */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "config.h"
#include "log.h"

static const struct {
	const char *name;
	cmd_fn fn;
	const char *help;
} commands[] = {
	{ "spec", cmd_spec, "write a default config.json" },
	{ "create", cmd_create, "create a container, its process waiting for start" },
	{ "start", cmd_start, "start a created container's process" },
	{ "run", cmd_run, "create and start a container in the foreground" },
	{ "state", cmd_state, "print a container's OCI state" },
	{ "kill", cmd_kill, "send a signal to a container's process" },
	{ "delete", cmd_delete, "delete a container" },
	{ "list", cmd_list, "list containers" },
	{ "ls", cmd_list, NULL },
	{ "exec", cmd_exec, "run a process in a running container" },
	{ "ps", cmd_ps, "list a container's processes" },
	{ "pause", cmd_pause, "freeze every process of a container" },
	{ "resume", cmd_resume, "thaw a paused container" },
	{ "update", cmd_update, "change a running container's resource limits" },
	{ "events", cmd_events, "print a container's resource usage (--stats: once)" },
	{ "features", cmd_features, "print the OCI features document" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: cellrt [--root DIR] [--log FILE] [--log-format text|json] [--debug] "
		   "COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].help)
			fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
}

int cmd_need_args(int argc, int optind_, int n, const char *usage_, struct cell_error **err)
{
	if (argc - optind_ != n)
		return cell_error_set(err, EINVAL, "usage: cellrt %s", usage_);
	return 0;
}

/* "--name VALUE" or "--name=VALUE"; advances *i past what it used. */
static const char *flag_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool logging_to_file;

static int fail(struct cell_error *err)
{
	cell_error_print(err, "cellrt", stderr);
	/* The log gets it too (last line, as runc's callers read it), unless it is stderr. */
	if (logging_to_file)
		log_error("%s", err && err->msg ? err->msg : "failed");
	cell_error_free(err);
	return 1;
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx = { .root = "/run/cellrt", .open_fds_end = cmd_open_fds_end() };
	struct cell_error *err = NULL;
	const char *log_path = NULL, *log_format = NULL;
	bool systemd_cgroup = false;
	int i;
	log_set_ident("cellrt");
	/* We wait for our children: an inherited SIG_IGN would reap them behind our back. */
	signal(SIGCHLD, SIG_DFL);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *v;
		if ((v = flag_value(argc, argv, &i, "--root")))
			ctx.root = v;
		else if ((v = flag_value(argc, argv, &i, "--log")))
			log_path = v;
		else if ((v = flag_value(argc, argv, &i, "--log-format")))
			log_format = v;
		else if (strcmp(argv[i], "--systemd-cgroup") == 0)
			systemd_cgroup = true;
		else if (strcmp(argv[i], "--debug") == 0)
			log_set_level(LOG_LEVEL_DEBUG);
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
			printf("cellrt version %s\nspec: 1.1.0\n", CELL_VERSION);
			return 0;
		} else {
			cell_error_set(&err, EINVAL, "unknown global flag %s", argv[i]);
			return fail(err);
		}
	}
	if (log_format) {
		enum log_format f;
		if (log_parse_format(log_format, &f, &err) < 0)
			return fail(err);
		log_set_format(f);
	}
	if (log_path && log_open(log_path, &err) < 0)
		return fail(err);
	logging_to_file = log_path != NULL;
	if (systemd_cgroup)
		log_warn("--systemd-cgroup: %s; using the cgroupfs paths",
			 access("/run/systemd/system", F_OK) == 0 ?
				 "cellrt has no systemd cgroup driver" :
				 "systemd is not running on this host");
	if (i >= argc) {
		usage(stderr);
		return 1;
	}
	for (size_t c = 0; c < ARRAY_SIZE(commands); c++) {
		if (strcmp(commands[c].name, argv[i]) != 0)
			continue;
		int r = commands[c].fn(&ctx, argc - i, argv + i, &err);
		if (r < 0)
			return fail(err);
		log_close();
		return r;
	}
	cell_error_set(&err, EINVAL, "unknown command '%s' (cellrt --help lists them)", argv[i]);
	return fail(err);
}
