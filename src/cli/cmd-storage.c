/* cmd-storage.c - cell storage list|show|info|create, as LXD's `lxc storage` verbs, over
 * /1.0/storage-pools (celld has one pool, default: create is refused by celld). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "";
}

static const char *source(json_t *p)
{
	return str(json_object_get(p, "config"), "source");
}

static int storage_list(struct client *c, int argc, char **argv, struct cell_error **err)
{
	enum cli_format fmt;
	_cleanup_json_ json_t *list = NULL;
	int r = cli_list_get(c, argc, argv, 2, "cell storage list [--format table|json|csv]",
			     "/1.0/storage-pools?recursion=1", &fmt, &list, err);
	if (r < 0 || !list)
		return r;
	bool table = fmt == CLI_TABLE;
	if (table)
		printf("%-12s %-6s %-30s %-7s %s\n", "NAME", "DRIVER", "SOURCE", "USED BY",
		       "STATE");
	size_t i;
	json_t *p;
	json_array_foreach (list, i, p) {
		size_t used = json_array_size(json_object_get(p, "used_by"));
		printf(table ? "%-12s %-6s %-30s %-7zu %s\n" : "%s,%s,%s,%zu,%s\n", str(p, "name"),
		       str(p, "driver"), source(p), used, str(p, "status"));
	}
	return 0;
}

static int storage_show(struct client *c, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *p = NULL;
	int r = client_callf(c, "GET", NULL, &p, err, "/1.0/storage-pools/%s", name);
	if (r < 0)
		return r;
	printf("name: %s\ndescription: %s\ndriver: %s\nstatus: %s\nconfig:\n", str(p, "name"),
	       str(p, "description"), str(p, "driver"), str(p, "status"));
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(p, "config"), k, v)
		printf("  %s: %s\n", k, json_string_value(v));
	printf("used_by:\n");
	size_t i;
	json_array_foreach (json_object_get(p, "used_by"), i, v)
		printf("- %s\n", json_string_value(v));
	return 0;
}

/* 1536 -> "1.50KiB", as LXD shows sizes. */
static void human(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.2f%s" : "%.0f%s", v, units[u]);
}

static int storage_info(struct client *c, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *p = NULL, *res = NULL;
	int r = client_callf(c, "GET", NULL, &p, err, "/1.0/storage-pools/%s", name);
	if (r == 0)
		r = client_callf(c, "GET", NULL, &res, err, "/1.0/storage-pools/%s/resources",
				 name);
	if (r < 0)
		return r;
	json_t *space = json_object_get(res, "space"), *inodes = json_object_get(res, "inodes");
	char used[32], total[32];
	human((uint64_t)json_integer_value(json_object_get(space, "used")), used, sizeof(used));
	human((uint64_t)json_integer_value(json_object_get(space, "total")), total, sizeof(total));
	printf("info:\n  name: %s\n  driver: %s\n  description: %s\n  source: %s\n"
	       "  space used: %s\n  total space: %s\n  inodes used: %" JSON_INTEGER_FORMAT
	       "\n  total inodes: %" JSON_INTEGER_FORMAT "\nused by:\n",
	       str(p, "name"), str(p, "driver"), str(p, "description"), source(p), used, total,
	       json_integer_value(json_object_get(inodes, "used")),
	       json_integer_value(json_object_get(inodes, "total")));
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(p, "used_by"), i, v)
		printf("- %s\n", json_string_value(v));
	return 0;
}

int cmd_storage(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, -1, err);
	if (r < 0)
		return r;
	const char *sub = argv[1];
	if (strcmp(sub, "list") == 0)
		return storage_list(c, argc, argv, err);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return storage_show(c, argv[2], err);
	if (strcmp(sub, "info") == 0 && argc == 3)
		return storage_info(c, argv[2], err);
	if (strcmp(sub, "create") == 0 && argc >= 4) {
		/* celld says why it cannot (one pool); the request carries what was asked for. */
		_cleanup_json_ json_t *body =
			json_pack("{ss ss s{}}", "name", argv[2], "driver", argv[3], "config");
		return client_call(c, "POST", "/1.0/storage-pools", body, NULL, err);
	}
	return cell_error_set(err, EINVAL, "usage: cell storage %s", cli_usage_of("storage"));
}
