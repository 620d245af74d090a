/* cmd-network.c - cell network create|list|show|delete|set|unset|get|list-leases, as LXD's
 * `lxc network` verbs, over /1.0/networks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

static const char *cfg(json_t *net, const char *key)
{
	const char *v = json_string_value(json_object_get(json_object_get(net, "config"), key));
	return v && *v ? v : "-";
}

static int network_list(struct client *c, int argc, char **argv, struct cell_error **err)
{
	enum cli_format fmt;
	_cleanup_json_ json_t *list = NULL;
	int r = cli_list_get(c, argc, argv, 2, "cell network list [--format table|json|csv]",
			     "/1.0/networks?recursion=1", &fmt, &list, err);
	if (r < 0 || !list)
		return r;
	bool table = fmt == CLI_TABLE;
	if (table)
		printf("%-15s %-7s %-7s %-18s %-24s %-7s %s\n", "NAME", "TYPE", "MANAGED", "IPV4",
		       "IPV6", "USED BY", "STATE");
	size_t i;
	json_t *n;
	json_array_foreach (list, i, n) {
		const char *name = json_string_value(json_object_get(n, "name"));
		size_t used = json_array_size(json_object_get(n, "used_by"));
		const char *status = json_string_value(json_object_get(n, "status"));
		if (table)
			printf("%-15s %-7s %-7s %-18s %-24s %-7zu %s\n", name, "bridge", "YES",
			       cfg(n, "ipv4.address"), cfg(n, "ipv6.address"), used,
			       status ? status : "");
		else
			printf("%s,bridge,YES,%s,%s,%zu,%s\n", name, cfg(n, "ipv4.address"),
			       cfg(n, "ipv6.address"), used, status ? status : "");
	}
	return 0;
}

static int network_show(struct client *c, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *n = NULL;
	int r = client_callf(c, "GET", NULL, &n, err, "/1.0/networks/%s", name);
	if (r < 0)
		return r;
	printf("name: %s\ndescription: %s\ntype: bridge\nmanaged: true\nstatus: %s\nconfig:\n",
	       name, json_string_value(json_object_get(n, "description")) ?: "",
	       json_string_value(json_object_get(n, "status")) ?: "");
	const char *k;
	json_t *v;
	json_object_foreach (json_object_get(n, "config"), k, v)
		printf("  %s: %s\n", k, json_string_value(v));
	printf("used_by:\n");
	size_t i;
	json_array_foreach (json_object_get(n, "used_by"), i, v)
		printf("- %s\n", json_string_value(v));
	return 0;
}

static int network_create(struct client *c, int argc, char **argv, struct cell_error **err)
{
	_cleanup_json_ json_t *config = json_object();
	const char *desc = "";
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--description") == 0 && i + 1 < argc) {
			desc = argv[++i];
			continue;
		}
		int r = cli_set_kv(config, argv[i], err);
		if (r < 0)
			return r;
	}
	_cleanup_json_ json_t *body = json_pack("{ss ss ss sO}", "name", argv[2], "type", "bridge",
						"description", desc, "config", config);
	int r = client_call(c, "POST", "/1.0/networks", body, NULL, err);
	if (r == 0)
		printf("Network %s created\n", argv[2]);
	return r;
}

/* set NAME k=v... | set NAME k v | unset NAME k...: PATCH merges, so unset PUTs the whole. */
static int network_edit(struct client *c, int argc, char **argv, bool set, struct cell_error **err)
{
	const char *name = argv[2];
	_cleanup_json_ json_t *n = NULL;
	int r = client_callf(c, "GET", NULL, &n, err, "/1.0/networks/%s", name);
	if (r < 0)
		return r;
	json_t *config = json_object_get(n, "config");
	if (set && argc == 5 && !strchr(argv[3], '=')) {
		json_object_set_new(config, argv[3], json_string(argv[4]));
	} else {
		for (int i = 3; i < argc; i++) {
			if (set) {
				if ((r = cli_set_kv(config, argv[i], err)) < 0)
					return r;
			} else if (json_object_del(config, argv[i]) < 0) {
				return cell_error_set(err, ENOENT, "config key is not set: %s",
						      argv[i]);
			}
		}
	}
	_cleanup_json_ json_t *body = json_pack("{sO sO}", "config", config, "description",
						json_object_get(n, "description"));
	return client_callf(c, "PUT", body, NULL, err, "/1.0/networks/%s", name);
}

static int network_leases(struct client *c, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	int r = client_callf(c, "GET", NULL, &list, err, "/1.0/networks/%s/leases", name);
	if (r < 0)
		return r;
	printf("%-20s %-18s %-40s %s\n", "HOSTNAME", "MAC ADDRESS", "IP ADDRESS", "TYPE");
	size_t i;
	json_t *l;
	json_array_foreach (list, i, l)
		printf("%-20s %-18s %-40s %s\n", json_string_value(json_object_get(l, "hostname")),
		       json_string_value(json_object_get(l, "hwaddr")),
		       json_string_value(json_object_get(l, "address")),
		       json_string_value(json_object_get(l, "type")));
	return 0;
}

int cmd_network(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, -1, err);
	if (r < 0)
		return r;
	const char *sub = argv[1];
	if (strcmp(sub, "list") == 0)
		return network_list(c, argc, argv, err);
	if (argc < 3)
		return cell_error_set(err, EINVAL, "usage: cell network %s",
				      cli_usage_of("network"));
	const char *name = argv[2];
	if (strcmp(sub, "create") == 0)
		return network_create(c, argc, argv, err);
	if (strcmp(sub, "show") == 0 && argc == 3)
		return network_show(c, name, err);
	if (strcmp(sub, "delete") == 0 && argc == 3) {
		r = client_callf(c, "DELETE", NULL, NULL, err, "/1.0/networks/%s", name);
		if (r == 0)
			printf("Network %s deleted\n", name);
		return r;
	}
	if (strcmp(sub, "get") == 0 && argc == 4) {
		_cleanup_json_ json_t *n = NULL;
		if ((r = client_callf(c, "GET", NULL, &n, err, "/1.0/networks/%s", name)) < 0)
			return r;
		const char *v =
			json_string_value(json_object_get(json_object_get(n, "config"), argv[3]));
		printf("%s\n", v ? v : "");
		return 0;
	}
	if ((strcmp(sub, "set") == 0 || strcmp(sub, "unset") == 0) && argc >= 4)
		return network_edit(c, argc, argv, strcmp(sub, "set") == 0, err);
	if (strcmp(sub, "list-leases") == 0 && argc == 3)
		return network_leases(c, name, err);
	return cell_error_set(err, EINVAL, "usage: cell network %s", cli_usage_of("network"));
}
