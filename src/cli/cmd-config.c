/* cmd-config.c - cell config set|unset|get|show and cell profile ... */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

static void print_config(json_t *config)
{
	const char *k;
	json_t *v;
	json_object_foreach (config, k, v)
		printf("  %s: %s\n", k, json_string_value(v));
}

/* Apply "k=v" / "k v" (set) or "k" (unset) arguments to config. */
static int edit_config(json_t *config, bool set, int argc, char **argv, struct cell_error **err)
{
	if (set && argc == 2 && !strchr(argv[0], '=')) {
		json_object_set_new(config, argv[0], json_string(argv[1]));
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		if (!set) {
			if (!json_object_get(config, argv[i]))
				return cell_error_set(err, ENOENT, "config key is not set: %s",
						      argv[i]);
			json_object_del(config, argv[i]);
			continue;
		}
		int r = cli_set_kv(config, argv[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int cmd_config(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 2, -1, err);
	if (r < 0)
		return r;
	if (strcmp(argv[1], "device") == 0)
		return cli_device(c, "instances", argc - 1, argv + 1, err);
	const char *sub = argv[1], *name = argv[2];
	_cleanup_json_ json_t *inst = NULL;
	if ((r = client_callf(c, "GET", NULL, &inst, err, "/1.0/instances/%s", name)) < 0)
		return r;
	json_t *config = json_object_get(inst, "config");
	if (strcmp(sub, "show") == 0) {
		bool expanded = argc > 3 && strcmp(argv[3], "--expanded") == 0;
		printf("name: %s\nprofiles: ", name);
		json_dumpf(json_object_get(inst, "profiles"), stdout, JSON_COMPACT);
		printf("\nconfig:\n");
		print_config(expanded ? json_object_get(inst, "expanded_config") : config);
		printf("devices:\n");
		const char *k;
		json_t *v;
		json_object_foreach (
			json_object_get(inst, expanded ? "expanded_devices" : "devices"), k, v) {
			printf("  %s: ", k);
			json_dumpf(v, stdout, JSON_COMPACT | JSON_SORT_KEYS);
			putchar('\n');
		}
		return 0;
	}
	if (strcmp(sub, "get") == 0) {
		if (argc != 4)
			return cell_error_set(err, EINVAL, "usage: cell config get NAME KEY");
		const char *v = json_string_value(json_object_get(config, argv[3]));
		printf("%s\n", v ? v : "");
		return 0;
	}
	bool set = strcmp(sub, "set") == 0;
	if ((!set && strcmp(sub, "unset") != 0) || argc < 4)
		return cell_error_set(err, EINVAL, "usage: cell config %s", cli_usage_of("config"));
	if (set) {
		/* PATCH merges under the instance's lock: concurrent sets of other keys all land. */
		_cleanup_json_ json_t *changes = json_object();
		if ((r = edit_config(changes, true, argc - 3, argv + 3, err)) < 0)
			return r;
		_cleanup_json_ json_t *patch = json_pack("{sO}", "config", changes);
		return client_callf(c, "PATCH", patch, NULL, err, "/1.0/instances/%s", name);
	}
	if ((r = edit_config(config, set, argc - 3, argv + 3, err)) < 0)
		return r;
	_cleanup_json_ json_t *body = json_pack("{sO sO sO}", "config", config, "profiles",
						json_object_get(inst, "profiles"), "devices",
						json_object_get(inst, "devices"));
	return client_callf(c, "PUT", body, NULL, err, "/1.0/instances/%s", name);
}

static int profile_show(struct client *c, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *p = NULL;
	int r = client_callf(c, "GET", NULL, &p, err, "/1.0/profiles/%s", name);
	if (r < 0)
		return r;
	printf("name: %s\ndescription: %s\nconfig:\n", name,
	       json_string_value(json_object_get(p, "description")));
	print_config(json_object_get(p, "config"));
	printf("devices:\n");
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(p, "devices"), k, v) {
		printf("  %s: ", k);
		json_dumpf(v, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		putchar('\n');
	}
	printf("used_by:\n");
	size_t i;
	json_array_foreach (json_object_get(p, "used_by"), i, v)
		printf("  - %s\n", json_string_value(v));
	return 0;
}

static int profile_edit(struct client *c, int argc, char **argv, bool set, struct cell_error **err)
{
	_cleanup_json_ json_t *p = NULL;
	int r = client_callf(c, "GET", NULL, &p, err, "/1.0/profiles/%s", argv[2]);
	if (r == 0)
		r = edit_config(json_object_get(p, "config"), set, argc - 3, argv + 3, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *body = json_pack(
		"{sO sO sO}", "config", json_object_get(p, "config"), "devices",
		json_object_get(p, "devices"), "description", json_object_get(p, "description"));
	return client_callf(c, "PUT", body, NULL, err, "/1.0/profiles/%s", argv[2]);
}

static int profile_assign(struct client *c, const char *inst, const char *list,
			  struct cell_error **err)
{
	_cleanup_json_ json_t *profiles = json_array();
	_cleanup_free_ char *copy = strdup(list);
	for (char *save = NULL, *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_array_append_new(profiles, json_string(p));
	_cleanup_json_ json_t *body = json_pack("{sO}", "profiles", profiles);
	return client_callf(c, "PATCH", body, NULL, err, "/1.0/instances/%s", inst);
}

int cmd_profile(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, -1, err);
	if (r < 0)
		return r;
	const char *sub = argv[1];
	if (strcmp(sub, "device") == 0)
		return cli_device(c, "profiles", argc - 1, argv + 1, err);
	if (strcmp(sub, "list") == 0) {
		_cleanup_json_ json_t *list = NULL;
		if ((r = client_call(c, "GET", "/1.0/profiles?recursion=1", NULL, &list, err)) < 0)
			return r;
		printf("%-20s %s\n", "NAME", "USED BY");
		size_t i;
		json_t *p;
		json_array_foreach (list, i, p)
			printf("%-20s %zu\n", json_string_value(json_object_get(p, "name")),
			       json_array_size(json_object_get(p, "used_by")));
		return 0;
	}
	if (argc < 3)
		return cell_error_set(err, EINVAL, "usage: cell profile %s",
				      cli_usage_of("profile"));
	const char *name = argv[2];
	if (strcmp(sub, "create") == 0) {
		_cleanup_json_ json_t *body = json_pack("{ss}", "name", name);
		return client_call(c, "POST", "/1.0/profiles", body, NULL, err);
	}
	if (strcmp(sub, "show") == 0)
		return profile_show(c, name, err);
	if (strcmp(sub, "delete") == 0)
		return client_callf(c, "DELETE", NULL, NULL, err, "/1.0/profiles/%s", name);
	if ((strcmp(sub, "set") == 0 || strcmp(sub, "unset") == 0) && argc >= 4)
		return profile_edit(c, argc, argv, strcmp(sub, "set") == 0, err);
	if (strcmp(sub, "assign") == 0 && argc == 4)
		return profile_assign(c, name, argv[3], err);
	return cell_error_set(err, EINVAL, "usage: cell profile %s", cli_usage_of("profile"));
}
