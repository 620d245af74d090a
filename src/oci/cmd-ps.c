/* cmd-ps.c - `ps [--format table|json] ID [PS_ARGS...]`: the container's processes, as a JSON array
 * of host pids (what containerd's shim reads) or as ps(1)'s table cut to them (ps -ef by default). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "target.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Which whitespace-separated column of ps's header is PID. */
static int pid_column(const char *header)
{
	_cleanup_free_ char *copy = strdup(header);
	char *save = NULL;
	int col = 0;
	if (!copy)
		return -1;
	for (char *tok = strtok_r(copy, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		if (strcmp(tok, "PID") == 0)
			return col;
		col++;
	}
	return -1;
}

static long column_value(const char *line, int col)
{
	const char *p = line;
	for (int i = 0;; i++) {
		p += strspn(p, " \t");
		if (!*p)
			return -1;
		if (i == col)
			return strtol(p, NULL, 10);
		p += strcspn(p, " \t");
	}
}

static int print_table(char **ps_args, const pid_t *pids, size_t n, struct cell_error **err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t child = fork();
	if (child < 0) {
		close(fds[0]);
		close(fds[1]);
		return cell_error_errno(err, errno, "fork");
	}
	if (child == 0) {
		static char *def[] = { "ps", "-ef", NULL };
		char **args = ps_args && ps_args[0] ? ps_args - 1 : def;
		args[0] = "ps";
		dup2(fds[1], STDOUT_FILENO);
		execvp("ps", args);
		_exit(127);
	}
	close(fds[1]);
	_cleanup_fclose_ FILE *f = fdopen(fds[0], "r");
	if (!f) {
		close(fds[0]);
		waitpid(child, NULL, 0);
		return cell_error_errno(err, errno, "fdopen");
	}
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int col = -1, status = 0;
	while (getline(&line, &cap, f) > 0) {
		if (col < 0) {
			col = pid_column(line);
			fputs(line, stdout);
			continue;
		}
		if (has_pid(pids, n, column_value(line, col)))
			fputs(line, stdout);
	}
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return cell_error_set(err, EIO, "ps %s failed", ps_args && ps_args[0] ? "" : "-ef");
	if (col < 0)
		return cell_error_set(err, EINVAL, "ps: its output has no PID column");
	return 0;
}

int cmd_ps(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' }, { 0 } };
	static const char *usage = "usage: cellrt ps [--format table|json] ID [PS_ARGS...]";
	bool json = false;
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c != 'f')
			return cell_error_set(err, EINVAL, "%s", usage);
		if (strcmp(optarg, "json") == 0)
			json = true;
		else if (strcmp(optarg, "table") != 0)
			return cell_error_set(err, EINVAL, "ps --format: '%s' is not table or json",
					      optarg);
	}
	if (argc - optind < 1)
		return cell_error_set(err, EINVAL, "%s", usage);
	struct target t;
	if ((r = target_open(ctx->root, argv[optind], &t, err)) < 0)
		return r;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (t.status != STATUS_STOPPED && (r = cgroup_list_pids(t.cg, &pids, &n, err)) < 0)
		goto out;
	if (json) {
		putchar('[');
		for (size_t i = 0; i < n; i++)
			printf("%s%d", i ? "," : "", pids[i]);
		puts("]");
	} else {
		r = print_table(argv + optind + 1, pids, n, err);
	}
out:
	target_close(&t);
	return r;
}
