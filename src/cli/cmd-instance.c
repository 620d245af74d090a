/* cmd-instance.c - cell launch/init/start/stop/restart/delete/list/info. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

static int create(struct client *c, int argc, char **argv, bool start, struct cell_error **err)
{
	_cleanup_json_ json_t *config = json_object();
	_cleanup_json_ json_t *profiles = json_array();
	const char *pos[2] = { NULL, NULL };
	int npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && i + 1 < argc) {
			int r = cli_set_kv(config, argv[++i], err);
			if (r < 0)
				return r;
		} else if ((strcmp(a, "-p") == 0 || strcmp(a, "--profile") == 0) && i + 1 < argc) {
			json_array_append_new(profiles, json_string(argv[++i]));
		} else if (a[0] == '-' || npos == 2) {
			return cell_error_set(err, EINVAL, "usage: cell %s %s", argv[0],
					      cli_usage_of(argv[0]));
		} else {
			pos[npos++] = a;
		}
	}
	if (npos != 2)
		return cell_error_set(err, EINVAL, "usage: cell %s %s", argv[0],
				      cli_usage_of(argv[0]));
	const char *image = pos[0], *name = pos[1];
	/* LXD's remote prefixes name the same images here: all images are local. */
	const char *colon = strchr(image, ':');
	if (colon && (strncmp(image, "images:", 7) == 0 || strncmp(image, "local:", 6) == 0))
		image = colon + 1;
	/* A distribution image ("debian/12") is built by celld the first time, then cached. */
	if (strchr(image, '/')) {
		int r = cli_image_build(c, image, NULL, err);
		if (r == -EINVAL && err) {
			/* Not one celld builds: an alias with a '/', or "not found" below. */
			cell_error_free(*err);
			*err = NULL;
		} else if (r < 0) {
			return r;
		}
	}
	if (!json_array_size(profiles))
		json_array_append_new(profiles, json_string("default"));
	/* launch: one operation creates and starts ("start": true), one request and one wait. */
	_cleanup_json_ json_t *body = json_pack(
		"{ss s{ss ss} sO sO ss sb}", "name", name, "source", "type", "image", "alias",
		image, "config", config, "profiles", profiles, "type", "container", "start", start);
	printf("Creating %s\n", name);
	if (start)
		printf("Starting %s\n", name);
	fflush(stdout);
	return client_call(c, "POST", "/1.0/instances", body, NULL, err);
}

int cmd_launch(struct client *c, int argc, char **argv, struct cell_error **err)
{
	return create(c, argc, argv, true, err);
}

int cmd_init(struct client *c, int argc, char **argv, struct cell_error **err)
{
	return create(c, argc, argv, false, err);
}

/* Options of stop/restart/delete: --force, --timeout N; the rest are names. */
static int state_args(int argc, char **argv, bool *force, int *timeout, char ***names,
		      struct cell_error **err)
{
	*names = calloc((size_t)argc, sizeof(char *));
	int n = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) {
			*force = true;
		} else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc && timeout) {
			char *end;
			*timeout = (int)strtol(argv[++i], &end, 10);
			if (*end || *timeout < 0)
				return cell_error_set(err, EINVAL,
						      "--timeout: expected seconds, got \"%s\"",
						      argv[i]);
		} else if (argv[i][0] == '-') {
			return cell_error_set(err, EINVAL, "usage: cell %s %s", argv[0],
					      cli_usage_of(argv[0]));
		} else {
			(*names)[n++] = argv[i];
		}
	}
	if (n == 0)
		return cell_error_set(err, EINVAL, "usage: cell %s %s", argv[0],
				      cli_usage_of(argv[0]));
	return 0;
}

static int change_state(struct client *c, int argc, char **argv, const char *action,
			struct cell_error **err)
{
	bool force = false;
	int timeout = -1;
	_cleanup_free_ char **names = NULL;
	int r = state_args(argc, argv, &force, &timeout, &names, err);
	for (char **n = names; r == 0 && *n; n++) {
		_cleanup_json_ json_t *body = json_pack("{ss sb si}", "action", action, "force",
							force, "timeout", timeout);
		r = client_callf(c, "PUT", body, NULL, err, "/1.0/instances/%s/state", *n);
	}
	return r;
}

int cmd_start(struct client *c, int argc, char **argv, struct cell_error **err)
{
	return change_state(c, argc, argv, "start", err);
}

int cmd_stop(struct client *c, int argc, char **argv, struct cell_error **err)
{
	return change_state(c, argc, argv, "stop", err);
}

int cmd_restart(struct client *c, int argc, char **argv, struct cell_error **err)
{
	return change_state(c, argc, argv, "restart", err);
}

int cmd_delete(struct client *c, int argc, char **argv, struct cell_error **err)
{
	bool force = false;
	_cleanup_free_ char **names = NULL;
	int r = state_args(argc, argv, &force, NULL, &names, err);
	for (char **n = names; r == 0 && *n; n++) {
		/* One operation stops (if running) and deletes. */
		if (force) {
			r = client_callf(c, "DELETE", NULL, NULL, err, "/1.0/instances/%s?force=1",
					 *n);
			continue;
		}
		_cleanup_json_ json_t *st = NULL;
		r = client_callf(c, "GET", NULL, &st, err, "/1.0/instances/%s/state", *n);
		if (r < 0)
			break;
		if (strcmp(json_string_value(json_object_get(st, "status")), "Running") == 0) {
			if (!force)
				return cell_error_set(
					err, EBUSY,
					"instance is running: %s (stop it or use --force)", *n);
			_cleanup_json_ json_t *body =
				json_pack("{ss sb}", "action", "stop", "force", 1);
			r = client_callf(c, "PUT", body, NULL, err, "/1.0/instances/%s/state", *n);
		}
		if (r == 0)
			r = client_callf(c, "DELETE", NULL, NULL, err, "/1.0/instances/%s", *n);
	}
	return r;
}

int cmd_list(struct client *c, int argc, char **argv, struct cell_error **err)
{
	enum cli_format fmt;
	_cleanup_json_ json_t *list = NULL;
	int r = cli_list_get(c, argc, argv, 1, "cell list [--format table|json|csv]",
			     "/1.0/instances?recursion=1", &fmt, &list, err);
	if (r < 0 || !list)
		return r;
	bool table = fmt == CLI_TABLE;
	if (table)
		printf("%-24s %-8s %-10s %s\n", "NAME", "STATE", "TYPE", "PROFILES");
	size_t i;
	json_t *inst;
	json_array_foreach (list, i, inst) {
		char profiles[256];
		cli_join(json_object_get(inst, "profiles"), NULL, profiles, sizeof(profiles));
		const char *name = json_string_value(json_object_get(inst, "name"));
		const char *status = json_string_value(json_object_get(inst, "status"));
		if (table)
			printf("%-24s %-8s %-10s %s\n", name, status, "CONTAINER", profiles);
		else
			printf("%s,%s,CONTAINER,%s\n", name, status, profiles);
	}
	return 0;
}

static void print_bytes(const char *label, json_int_t v)
{
	if (v >= 1 << 20)
		printf("  %s: %.2fMiB\n", label, (double)v / (1 << 20));
	else
		printf("  %s: %.2fKiB\n", label, (double)v / 1024);
}

int cmd_info(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, 1, err);
	_cleanup_json_ json_t *inst = NULL, *st = NULL, *snaps = NULL;
	if (r == 0)
		r = client_callf(c, "GET", NULL, &inst, err, "/1.0/instances/%s", argv[1]);
	if (r == 0)
		r = client_callf(c, "GET", NULL, &st, err, "/1.0/instances/%s/state", argv[1]);
	if (r == 0)
		r = client_callf(c, "GET", NULL, &snaps, err,
				 "/1.0/instances/%s/snapshots?recursion=1", argv[1]);
	if (r < 0)
		return r;
	printf("Name: %s\n", json_string_value(json_object_get(inst, "name")));
	printf("Status: %s\n", json_string_value(json_object_get(st, "status")));
	printf("Type: container\n");
	printf("Architecture: x86_64\n");
	printf("Created: %s\n", json_string_value(json_object_get(inst, "created_at")));
	const char *last = json_string_value(
		json_object_get(json_object_get(inst, "expanded_config"), "volatile.last_state"));
	if (last)
		printf("Last stop: %s\n", last);
	json_int_t pid = json_integer_value(json_object_get(st, "pid"));
	if (pid) {
		printf("PID: %lld\n", (long long)pid);
		printf("Processes: %lld\n",
		       (long long)json_integer_value(json_object_get(st, "processes")));
		printf("Resources:\n");
		json_t *mem = json_object_get(st, "memory");
		print_bytes("Memory usage", json_integer_value(json_object_get(mem, "usage")));
		print_bytes("Memory usage (peak)",
			    json_integer_value(json_object_get(mem, "usage_peak")));
		printf("  CPU usage: %lld seconds\n",
		       (long long)(json_integer_value(
					   json_object_get(json_object_get(st, "cpu"), "usage")) /
				   1000000000));
	}
	if (json_array_size(snaps)) {
		printf("Snapshots:\n");
		size_t i;
		json_t *s;
		json_array_foreach (snaps, i, s) {
			const char *n = json_string_value(json_object_get(s, "name"));
			const char *slash = strchr(n, '/');
			printf("  %s (taken at %s)\n", slash ? slash + 1 : n,
			       json_string_value(json_object_get(s, "created_at")));
		}
	}
	return 0;
}
