/* list.c - what the list verbs share: --format table|json|csv, the GET, JSON printed as it came,
 * and names joined with commas for a column. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"

static int parse_format(int argc, char **argv, int first, const char *usage, enum cli_format *ret,
			struct cell_error **err)
{
	const char *format = "table";
	for (int i = first; i < argc; i++) {
		if ((strcmp(argv[i], "--format") == 0 || strcmp(argv[i], "-f") == 0) &&
		    i + 1 < argc)
			format = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			format = argv[i] + 9;
		else
			return cell_error_set(err, EINVAL, "usage: %s", usage);
	}
	if (strcmp(format, "table") == 0)
		*ret = CLI_TABLE;
	else if (strcmp(format, "json") == 0)
		*ret = CLI_JSON;
	else if (strcmp(format, "csv") == 0)
		*ret = CLI_CSV;
	else
		return cell_error_set(err, EINVAL,
				      "--format: expected table, json or csv, got \"%s\"", format);
	return 0;
}

int cli_list_get(struct client *c, int argc, char **argv, int first, const char *usage,
		 const char *path, enum cli_format *ret_format, json_t **ret_list,
		 struct cell_error **err)
{
	*ret_list = NULL;
	int r = parse_format(argc, argv, first, usage, ret_format, err);
	if (r < 0)
		return r;
	json_t *list = NULL;
	if ((r = client_call(c, "GET", path, NULL, &list, err)) < 0)
		return r;
	if (*ret_format == CLI_JSON) {
		json_dumpf(list, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(list);
		return 0;
	}
	*ret_list = list;
	return 0;
}

const char *cli_join(json_t *array, const char *key, char *buf, size_t size)
{
	size_t i;
	json_t *item;
	buf[0] = '\0';
	json_array_foreach (array, i, item) {
		const char *name = json_string_value(key ? json_object_get(item, key) : item);
		if (!name)
			continue;
		if (buf[0])
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, name, size - strlen(buf) - 1);
	}
	return buf;
}
