/* api-networks.c - /1.0/networks: LXD's managed bridge networks (create, show, change, delete)
 * and their DHCP leases. Network calls are synchronous, as LXD's are; every change runs under
 * one lock, so that "auto" subnets and creation on demand never race. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "cleanup.h"
#include "fs.h"
#include "json.h"
#include "network.h"

static json_t *network_json(struct celld *d, json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *used = NULL;
	if (network_used_by(d, name, &used, NULL) < 0)
		used = json_array();
	return json_pack("{ss sO ss sb ss sO so s[s]}", "name", name, "description",
			 json_object_get(row, "description"), "type", "bridge", "managed", 1,
			 "status", "Created", "config", json_object_get(row, "config"), "used_by",
			 used, "locations", "none");
}

static int networks_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *rows = NULL;
	if (db_network_list(req->d->db, &rows, &e) < 0)
		return api_error(resp, e);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const char *name = json_string_value(json_object_get(row, "name"));
		if (strcmp(json_string_value(json_object_get(row, "state")), "created") != 0)
			continue;
		if (api_recursion(req))
			json_array_append_new(out, network_json(req->d, row));
		else
			json_array_append_new(out, json_sprintf("/1.0/networks/%s", name));
	}
	return api_sync(resp, out);
}

static int networks_create(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	json_t *b = req->body;
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	const char *type = json_string_value(json_object_get(b, "type"));
	if (type && *type && strcmp(type, "bridge") != 0)
		return api_errorf(resp, 400, "type: \"%s\" is not supported (bridge)", type);
	json_t *config = json_object_get(b, "config");
	if (json_is_null(config))
		config = NULL;
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	int r = network_create(req->d, json_string_value(json_object_get(b, "name")),
			       json_string_value(json_object_get(b, "description")), config, &e);
	named_lock_release(l);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

static int network_load(struct celld *d, const char *name, json_t **ret, struct cell_error **err)
{
	int r = db_network_get(d->db, name, ret, err);
	if (r == 0 && strcmp(json_string_value(json_object_get(*ret, "state")), "created") != 0) {
		json_decref(*ret);
		*ret = NULL;
		return cell_error_set(err, ENOENT, "network not found: %s", name);
	}
	return r;
}

static int network_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	if (network_load(req->d, req->seg[1], &row, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, network_json(req->d, row));
}

/* New config in the row, then the host follows; if the host cannot, both go back. */
static int network_change(struct celld *d, json_t *row, json_t *b, bool patch,
			  struct cell_error **err)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *config = json_object_get(b, "config");
	if (json_is_null(config))
		config = NULL;
	int r = network_config_validate(config, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *old = json_deep_copy(row);
	_cleanup_json_ json_t *cfg =
		patch ? json_deep_copy(json_object_get(row, "config")) : json_object();
	json_object_update(cfg, config);
	if ((r = network_config_fill(d, name, cfg, false, err)) < 0)
		return r;
	json_object_set(row, "config", cfg);
	if (json_is_string(json_object_get(b, "description")))
		json_object_set(row, "description", json_object_get(b, "description"));
	if ((r = db_network_update(d->db, row, err)) < 0)
		return r;
	r = network_up(d, name, cfg, true, err);
	if (r < 0) {
		db_network_update(d->db, old, NULL);
		network_up(d, name, json_object_get(old, "config"), true, NULL);
	}
	return r;
}

static int network_update(struct request *req, struct response *resp, bool patch)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	if (!json_is_object(req->body))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	int r = network_load(req->d, req->seg[1], &row, &e);
	if (r == 0)
		r = network_change(req->d, row, req->body, patch, &e);
	named_lock_release(l);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

static int network_put(struct request *req, struct response *resp)
{
	return network_update(req, resp, false);
}

static int network_patch(struct request *req, struct response *resp)
{
	return network_update(req, resp, true);
}

static int network_remove(struct celld *d, const char *name, struct cell_error **err)
{
	_cleanup_json_ json_t *row = NULL, *users = NULL;
	int r = network_load(d, name, &row, err);
	if (r == 0)
		r = network_used_by(d, name, &users, err);
	if (r < 0)
		return r;
	if (json_array_size(users)) {
		_cleanup_free_ char *list = NULL;
		size_t len = 0, i;
		json_t *u;
		FILE *f = open_memstream(&list, &len);
		json_array_foreach (users, i, u)
			fprintf(f, "%s%s", i ? ", " : "", json_string_value(u) + 5);
		fclose(f);
		return cell_error_set(err, EBUSY, "network is in use: %s (by %s)", name, list);
	}
	/* Intent first: a crash in the middle is finished by networks_restore. */
	if ((r = db_network_set_state(d->db, name, "deleting", err)) < 0)
		return r;
	if ((r = network_down(d, name, err)) < 0)
		return r;
	return db_network_delete(d->db, name, err);
}

static int network_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	int r = network_remove(req->d, req->seg[1], &e);
	named_lock_release(l);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

static int network_rename(struct request *req, struct response *resp)
{
	return api_errorf(resp, 400, "renaming networks is not supported");
}

/* A lease is static when a nic's host entry ("MAC,IP,NAME") fixes its address. */
static bool lease_is_static(struct celld *d, const char *net, const char *mac)
{
	_cleanup_free_ char *dir = network_dir(d, net, "dnsmasq.hosts");
	_cleanup_closedir_ DIR *dp = dir ? opendir(dir) : NULL;
	struct dirent *de;
	while (dp && (de = readdir(dp))) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		if (de->d_name[0] == '.' || asprintf(&path, "%s/%s", dir, de->d_name) < 0 ||
		    fs_read_file(path, &text, NULL, NULL) < 0)
			continue;
		if (strncasecmp(text, mac, strlen(mac)) == 0 && strchr(text, ',') &&
		    strchr(strchr(text, ',') + 1, ','))
			return true;
	}
	return false;
}

/* dnsmasq's lease file: "EXPIRY MAC IP HOSTNAME CLIENT-ID" per line. */
static int network_leases(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	if (network_load(req->d, req->seg[1], &row, &e) < 0)
		return api_error(resp, e);
	_cleanup_free_ char *path = network_dir(req->d, req->seg[1], "dnsmasq.leases");
	_cleanup_free_ char *text = NULL;
	json_t *out = json_array();
	if (path && fs_read_file(path, &text, NULL, NULL) == 0) {
		for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char mac[64], ip[64], host[256];
			if (sscanf(line, "%*s %63s %63s %255s", mac, ip, host) != 3)
				continue;
			json_array_append_new(out,
					      json_pack("{ss ss ss ss ss}", "hostname", host,
							"hwaddr", mac, "address", ip, "type",
							lease_is_static(req->d, req->seg[1], mac) ?
								"static" :
								"dynamic",
							"location", "none"));
		}
	}
	return api_sync(resp, out);
}

const struct api_route api_network_routes[] = {
	{ "GET", "networks", networks_list },
	{ "POST", "networks", networks_create },
	{ "GET", "networks/*", network_get },
	{ "PUT", "networks/*", network_put },
	{ "PATCH", "networks/*", network_patch },
	{ "DELETE", "networks/*", network_delete },
	{ "POST", "networks/*", network_rename },
	{ "GET", "networks/*/leases", network_leases },
	{ NULL, NULL, NULL },
};
