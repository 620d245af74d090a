/* cmd-list.c - `list [--format table|json] [--quiet]`: runc's table, or the states as JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container.h"
#include "json.h"

int cmd_list(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
					      { "quiet", no_argument, NULL, 'q' },
					      { 0 } };
	const char *format = "table";
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:q", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return cell_error_set(err, EINVAL,
					      "usage: cellrt list [--format table|json]");
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return cell_error_set(err, EINVAL, "--format: '%s' is not table or json", format);
	int r = cmd_need_args(argc, optind, 0, "list [--format table|json] [--quiet]", err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *list = NULL;
	if ((r = container_list(ctx->root, &list, err)) < 0)
		return r;
	size_t i;
	json_t *j;
	if (strcmp(format, "json") == 0) {
		char *text = json_dumps(list, JSON_COMPACT);
		if (!text)
			return cell_error_set(err, ENOMEM, "out of memory");
		puts(text);
		free(text);
		return 0;
	}
	if (!quiet)
		printf("%-12s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	json_array_foreach (list, i, j) {
		const char *id = json_string_value(json_object_get(j, "id"));
		if (quiet) {
			puts(id);
			continue;
		}
		printf("%-12s %-8lld %-10s %-40s %-31s %s\n", id,
		       (long long)json_integer_value(json_object_get(j, "pid")),
		       json_string_value(json_object_get(j, "status")),
		       json_string_value(json_object_get(j, "bundle")),
		       json_string_value(json_object_get(j, "created")),
		       json_string_value(json_object_get(j, "owner")));
	}
	return 0;
}
