/* api-profiles.c - /1.0/profiles (sets of config keys and devices) and /1.0/operations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "json.h"
#include "config-keys.h"
#include "instances.h"
#include "network.h"
#include "operations.h"

static json_t *profile_json(struct celld *d, json_t *row)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	json_t *users = NULL, *used = json_array();
	if (db_profile_users(d->db, name, &users, NULL) == 0) {
		size_t i;
		json_t *u;
		json_array_foreach (users, i, u) {
			char url[300];
			snprintf(url, sizeof(url), "/1.0/instances/%s",
				 json_string_value(json_object_get(u, "name")));
			json_array_append_new(used, json_string(url));
		}
		json_decref(users);
	}
	return json_pack("{ss sO sO sO so}", "name", name, "description",
			 json_object_get(row, "description"), "config",
			 json_object_get(row, "config"), "devices", json_object_get(row, "devices"),
			 "used_by", used);
}

static int profiles_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *rows = NULL;
	if (db_profile_list(req->d->db, &rows, &e) < 0)
		return api_error(resp, e);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (api_recursion(req)) {
			json_array_append_new(out, profile_json(req->d, row));
		} else {
			char url[300];
			snprintf(url, sizeof(url), "/1.0/profiles/%s",
				 json_string_value(json_object_get(row, "name")));
			json_array_append_new(out, json_string(url));
		}
	}
	return api_sync(resp, out);
}

static int profile_check(struct celld *d, json_t *b, struct cell_error **err)
{
	json_t *config = json_object_get(b, "config");
	json_t *devices = json_object_get(b, "devices");
	if (config && config_validate_object(config, err) < 0)
		return -EINVAL;
	if (devices && !json_is_object(devices))
		return cell_error_set(err, EINVAL, "devices: expected an object");
	return network_devices_check(d, NULL, devices, err);
}

static int profiles_create(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	json_t *b = req->body;
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	const char *name = json_string_value(json_object_get(b, "name"));
	if (instance_name_check(name, "profile", &e) < 0 || profile_check(req->d, b, &e) < 0 ||
	    db_profile_put(req->d->db, b, true, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, json_object());
}

static int profile_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	if (db_profile_get(req->d->db, req->seg[1], &row, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, profile_json(req->d, row));
}

/* As LXD, a profile change reaches the running instances that use it at once: live limits and
 * nic devices (hot-plugged or removed). The first failure is returned, after trying them all. */
static int profile_apply_live(struct celld *d, const char *profile, struct cell_error **err)
{
	_cleanup_json_ json_t *users = NULL;
	int r = db_profile_users(d->db, profile, &users, err);
	size_t i;
	json_t *u;
	json_array_foreach (users, i, u) {
		const char *name = json_string_value(json_object_get(u, "name"));
		struct named_lock *l = named_lock_acquire(name);
		_cleanup_json_ json_t *inst = NULL, *config = NULL;
		_cleanup_error_ struct cell_error *e = NULL;
		int q = instance_load(d, name, &inst, &e);
		if (q == 0)
			q = instance_expand(d, inst, &config, NULL, &e);
		if (q == 0)
			q = instance_driver(inst)->update(d, inst, config, &e);
		named_lock_release(l);
		if (q < 0 && r == 0)
			r = cell_error_set(err, -q, "instance %s: %s", name, e ? e->msg : "failed");
	}
	return r;
}

/* PUT replaces config/devices/description; PATCH merges them. */
static int profile_update(struct request *req, struct response *resp, bool patch)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	json_t *b = req->body;
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	if (profile_check(req->d, b, &e) < 0)
		return api_error(resp, e);
	struct named_lock *l = named_lock_acquire("profile");
	int r = db_profile_get(req->d->db, req->seg[1], &row, &e);
	if (r == 0) {
		static const char *const keys[] = { "config", "devices" };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			json_t *v = json_object_get(b, keys[i]);
			if (!v && patch)
				continue;
			if (patch)
				json_object_update(json_object_get(row, keys[i]), v);
			else
				json_object_set(row, keys[i], v ? v : json_object());
		}
		if (json_is_string(json_object_get(b, "description")))
			json_object_set(row, "description", json_object_get(b, "description"));
		r = db_profile_put(req->d->db, row, false, &e);
	}
	named_lock_release(l);
	if (r == 0)
		r = profile_apply_live(req->d, req->seg[1], &e);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

static int profile_put(struct request *req, struct response *resp)
{
	return profile_update(req, resp, false);
}

static int profile_patch(struct request *req, struct response *resp)
{
	return profile_update(req, resp, true);
}

static int profile_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *users = NULL;
	if (strcmp(req->seg[1], "default") == 0)
		return api_errorf(resp, 400, "the default profile cannot be deleted");
	if (db_profile_users(req->d->db, req->seg[1], &users, &e) < 0)
		return api_error(resp, e);
	if (json_array_size(users))
		return api_errorf(
			resp, 409, "profile %s is used by instance %s", req->seg[1],
			json_string_value(json_object_get(json_array_get(users, 0), "name")));
	if (db_profile_delete(req->d->db, req->seg[1], &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, json_object());
}

const struct api_route api_profile_routes[] = {
	{ "GET", "profiles", profiles_list },
	{ "POST", "profiles", profiles_create },
	{ "GET", "profiles/*", profile_get },
	{ "PUT", "profiles/*", profile_put },
	{ "PATCH", "profiles/*", profile_patch },
	{ "DELETE", "profiles/*", profile_delete },
	{ NULL, NULL, NULL },
};

static int operations_list(struct request *req, struct response *resp)
{
	return api_sync(resp, op_list_json(api_recursion(req)));
}

static int operation_get(struct request *req, struct response *resp)
{
	struct op *op = op_find(req->seg[1]);
	if (!op)
		return api_errorf(resp, 404, "operation not found: %s", req->seg[1]);
	api_sync(resp, op_to_json(op));
	op_unref(op);
	return 0;
}

static int operation_wait(struct request *req, struct response *resp)
{
	struct op *op = op_find(req->seg[1]);
	if (!op)
		return api_errorf(resp, 404, "operation not found: %s", req->seg[1]);
	const char *t = api_query(req, "timeout");
	op_wait(op, t ? atoi(t) : -1);
	api_sync(resp, op_to_json(op));
	op_unref(op);
	return 0;
}

static int operation_delete(struct request *req, struct response *resp)
{
	return api_errorf(resp, 400, "operations cannot be cancelled");
}

const struct api_route api_operation_routes[] = {
	{ "GET", "operations", operations_list },
	{ "GET", "operations/*", operation_get },
	{ "GET", "operations/*/wait", operation_wait },
	{ "GET", "operations/*/websocket", api_operation_websocket },
	{ "DELETE", "operations/*", operation_delete },
	{ NULL, NULL, NULL },
};
