/* instances.c - /1.0/instances: create (from an image or a copy), show, change config (live where
 * the kernel allows), start/stop/restart, delete. Changes to one instance run under its lock; the
 * database row is written before the disk work and committed after it (see reconcile.c). */
#include "instances.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "config-keys.h"
#include "fs.h"
#include "log.h"
#include "network.h"
#include "operations.h"
#include "storage.h"

int instance_name_check(const char *name, const char *what, struct cell_error **err)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0)
		return cell_error_set(err, EINVAL, "%s name is missing", what);
	bool ok = n <= 63 && isalpha((unsigned char)name[0]) && name[n - 1] != '-';
	for (size_t i = 0; ok && i < n; i++)
		ok = isalnum((unsigned char)name[i]) || name[i] == '-';
	if (!ok)
		return cell_error_set(err, EINVAL,
				      "invalid %s name \"%s\": use 1-63 letters, digits and dashes,"
				      " starting with a letter",
				      what, name);
	return 0;
}

int instance_load(struct celld *d, const char *name, json_t **ret, struct cell_error **err)
{
	json_t *inst = NULL;
	int r = db_instance_get(d->db, name, &inst, err);
	if (r < 0)
		return r;
	const char *state = json_string_value(json_object_get(inst, "state"));
	if (!state || strcmp(state, "ready") != 0) {
		json_decref(inst);
		return cell_error_set(err, ENOENT, "instance not found: %s (it is %s)", name,
				      state ? state : "broken");
	}
	*ret = inst;
	return 0;
}

const struct instance_driver_ops *instance_driver(json_t *inst)
{
	return driver_for(json_string_value(json_object_get(inst, "type")));
}

int instance_expand(struct celld *d, json_t *inst, json_t **ret_config, json_t **ret_devices,
		    struct cell_error **err)
{
	_cleanup_json_ json_t *config = json_object();
	_cleanup_json_ json_t *devices = json_object();
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(inst, "profiles"), i, p) {
		_cleanup_json_ json_t *prof = NULL;
		int r = db_profile_get(d->db, json_string_value(p), &prof, err);
		if (r < 0)
			return r;
		json_object_update(config, json_object_get(prof, "config"));
		json_object_update(devices, json_object_get(prof, "devices"));
	}
	json_object_update(config, json_object_get(inst, "config"));
	json_object_update(devices, json_object_get(inst, "devices"));
	if (ret_config)
		*ret_config = steal_ptr(config);
	if (ret_devices)
		*ret_devices = steal_ptr(devices);
	return 0;
}

json_t *instance_to_json(struct celld *d, json_t *inst)
{
	json_t *config = NULL, *devices = NULL;
	if (instance_expand(d, inst, &config, &devices, NULL) < 0) {
		config = json_object();
		devices = json_object();
	}
	struct instance_state st = { 0 };
	const struct instance_driver_ops *drv = instance_driver(inst);
	if (drv)
		drv->state(d, inst, &st);
	json_t *j = json_pack(
		"{sO ss ss si sO so sO so sO ss sO sb sb ss ss ss ss}", "name",
		json_object_get(inst, "name"), "type", "container", "status",
		st.running ? "Running" : "Stopped", "status_code", st.running ? 103 : 102, "config",
		json_object_get(inst, "config"), "expanded_config", config, "devices",
		json_object_get(inst, "devices"), "expanded_devices", devices, "profiles",
		json_object_get(inst, "profiles"), "architecture", "x86_64", "created_at",
		json_object_get(inst, "created_at"), "ephemeral",
		json_integer_value(json_object_get(inst, "ephemeral")) != 0, "stateful", 0,
		"description", json_string_value(json_object_get(inst, "description")) ?: "",
		"location", "none", "project", "default", "last_used_at", "1970-01-01T00:00:00Z");
	if (*st.ended)
		json_object_set_new(json_object_get(j, "expanded_config"), "volatile.last_state",
				    json_string(st.ended));
	return j;
}

struct inst_arg {
	struct celld *d;
	char *name;
	json_t *body;
};

static void inst_arg_free(void *p)
{
	struct inst_arg *a = p;
	free(a->name);
	json_decref(a->body);
	free(a);
}

static struct inst_arg *inst_arg_new(struct celld *d, const char *name, json_t *body)
{
	struct inst_arg *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name))) {
		free(a);
		return NULL;
	}
	a->d = d;
	/* A copy: the request thread frees its body while the operation's thread reads this one,
	 * and jansson objects must not be shared between threads. */
	a->body = body ? json_deep_copy(body) : NULL;
	if (body && !a->body) {
		free(a->name);
		free(a);
		return NULL;
	}
	return a;
}

static json_t *resources_of(const char *name)
{
	char url[256];
	snprintf(url, sizeof(url), "/1.0/instances/%s", name);
	return json_pack("{s[s]}", "instances", url);
}

static int start_op(struct request *req, struct response *resp, const char *what, const char *name,
		    op_fn fn, json_t *body)
{
	_cleanup_error_ struct cell_error *e = NULL;
	struct inst_arg *a = inst_arg_new(req->d, name, body);
	if (!a)
		return api_errorf(resp, 500, "out of memory");
	struct op *op;
	_cleanup_json_ json_t *res = resources_of(name);
	char desc[128];
	snprintf(desc, sizeof(desc), "%s", what);
	if (op_start(desc, res, fn, a, inst_arg_free, &op, &e) < 0)
		return api_error(resp, e);
	return api_async(resp, op);
}

int instance_start(struct celld *d, json_t *inst, struct cell_error **err)
{
	_cleanup_json_ json_t *config = NULL;
	int r = instance_expand(d, inst, &config, NULL, err);
	if (r < 0)
		return r;
	return instance_driver(inst)->start(d, inst, config, err);
}

/* The disk work of a new instance; its row is already there in state "creating". */
static int op_create(struct op *op, void *p, struct cell_error **err)
{
	struct inst_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	_cleanup_json_ json_t *inst = NULL, *config = NULL;
	int r = db_instance_get(a->d->db, a->name, &inst, err);
	if (r == 0)
		r = instance_expand(a->d, inst, &config, NULL, err);
	if (r == 0)
		r = instance_driver(inst)->create(a->d, inst, config, err);
	json_t *src = json_object_get(a->body, "source");
	const char *from = json_string_value(json_object_get(src, "source"));
	if (r == 0 && from) {
		_cleanup_free_ char *base = strdup(from);
		char *slash = base ? strchr(base, '/') : NULL;
		if (slash)
			*slash++ = '\0';
		/* Copying a running instance: its upper layer is read as it is at that moment. */
		struct named_lock *sl =
			base && strcmp(base, a->name) ? named_lock_acquire(base) : NULL;
		r = base ? storage_instance_copy(a->d, base, slash, a->name, err) :
			   cell_error_set(err, ENOMEM, "out of memory");
		named_lock_release(sl);
	}
	if (r == 0)
		r = db_instance_set_state(a->d->db, a->name, "ready", err);
	if (r < 0) {
		storage_instance_delete(a->d, a->name, NULL);
		db_instance_delete(a->d->db, a->name, NULL);
	}
	/* "start": true (cell launch): started in the same operation, still under the lock; a
	 * failed start leaves the instance created and stopped, as a separate start would. */
	if (r == 0 && json_is_true(json_object_get(a->body, "start")))
		r = instance_start(a->d, inst, err);
	named_lock_release(l);
	return r;
}

static int create_from_source(struct request *req, json_t *src, json_t *inst,
			      struct cell_error **err)
{
	const char *type = json_string_value(json_object_get(src, "type"));
	if (!type || strcmp(type, "image") == 0) {
		const char *ref = json_string_value(json_object_get(src, "alias"));
		if (!ref)
			ref = json_string_value(json_object_get(src, "fingerprint"));
		if (!ref)
			return cell_error_set(err, EINVAL,
					      "source: an image alias or fingerprint is needed");
		_cleanup_free_ char *fp = NULL;
		int r = db_image_resolve(req->d->db, ref, &fp, err);
		if (r < 0)
			return r;
		json_object_set_new(inst, "image", json_string(fp));
		return 0;
	}
	if (strcmp(type, "copy") == 0) {
		const char *from = json_string_value(json_object_get(src, "source"));
		_cleanup_json_ json_t *orig = NULL;
		_cleanup_free_ char *base = from ? strdup(from) : NULL;
		char *slash = base ? strchr(base, '/') : NULL;
		if (!base)
			return cell_error_set(err, EINVAL,
					      "source.source: the instance to copy is missing");
		if (slash)
			*slash++ = '\0';
		int r = instance_load(req->d, base, &orig, err);
		if (r == 0 && slash) {
			_cleanup_json_ json_t *snap = NULL;
			r = db_snapshot_get(req->d->db, base, slash, &snap, err);
		}
		if (r < 0)
			return r;
		json_object_set(inst, "image", json_object_get(orig, "image"));
		json_object_set(inst, "type", json_object_get(orig, "type"));
		if (!json_object_size(json_object_get(inst, "config")))
			json_object_set(inst, "config", json_object_get(orig, "config"));
		if (!json_object_get(req->body, "profiles"))
			json_object_set(inst, "profiles", json_object_get(orig, "profiles"));
		if (!json_object_size(json_object_get(inst, "devices")))
			json_object_set(inst, "devices", json_object_get(orig, "devices"));
		return 0;
	}
	return cell_error_set(err, EINVAL, "source.type: \"%s\" is not supported (image, copy)",
			      type);
}

static int check_profiles(struct celld *d, json_t *profiles, struct cell_error **err)
{
	size_t i;
	json_t *p;
	if (!json_is_array(profiles))
		return cell_error_set(err, EINVAL, "profiles: expected an array of names");
	json_array_foreach (profiles, i, p) {
		_cleanup_json_ json_t *prof = NULL;
		if (!json_is_string(p))
			return cell_error_set(err, EINVAL, "profiles: expected an array of names");
		int r = db_profile_get(d->db, json_string_value(p), &prof, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int instances_create(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	json_t *b = req->body;
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	const char *name = json_string_value(json_object_get(b, "name"));
	const char *type = json_string_value(json_object_get(b, "type"));
	if (type && strcmp(type, "container") != 0)
		return api_errorf(resp, 400, "type: \"%s\" is not supported yet (container)", type);
	json_t *config = json_object_get(b, "config");
	if (json_is_null(config))
		config = NULL;
	json_t *profiles = json_object_get(b, "profiles");
	if (json_is_null(profiles))
		profiles = NULL; /* LXD clients send null for "the default profile" */
	json_t *devices = json_object_get(b, "devices");
	if (json_is_null(devices))
		devices = NULL;
	_cleanup_json_ json_t *inst = json_pack(
		"{ss ss ss so so so}", "name", name ? name : "", "type", "container", "state",
		"creating", "config", config ? json_incref(config) : json_object(), "profiles",
		profiles ? json_incref(profiles) : json_pack("[s]", "default"), "devices",
		json_is_object(devices) ? json_incref(devices) : json_object());
	if (instance_name_check(name, "instance", &e) < 0 ||
	    (config && config_validate_object(config, &e) < 0) ||
	    check_profiles(req->d, json_object_get(inst, "profiles"), &e) < 0 ||
	    create_from_source(req, json_object_get(b, "source"), inst, &e) < 0 ||
	    network_devices_check(req->d, name, json_object_get(inst, "devices"), &e) < 0)
		return api_error(resp, e);
	/* The row first: a crash from here on leaves "creating", which reconcile undoes. */
	struct named_lock *l = named_lock_acquire(name);
	int r = db_instance_insert(req->d->db, inst, &e);
	named_lock_release(l);
	if (r < 0)
		return api_error(resp, e);
	return start_op(req, resp, "Creating instance", name, op_create, b);
}

static int instances_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *rows = NULL;
	if (db_instance_list(req->d->db, &rows, &e) < 0)
		return api_error(resp, e);
	json_t *out = json_array();
	bool full = api_recursion(req);
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "state")), "ready") != 0)
			continue;
		if (full) {
			json_array_append_new(out, instance_to_json(req->d, row));
		} else {
			char url[256];
			snprintf(url, sizeof(url), "/1.0/instances/%s",
				 json_string_value(json_object_get(row, "name")));
			json_array_append_new(out, json_string(url));
		}
	}
	return api_sync(resp, out);
}

static int instance_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, instance_to_json(req->d, inst));
}

/* Store a new config/profiles/devices and apply live keys; on failure the old row is put back. */
static int instance_apply(struct celld *d, json_t *inst, json_t *old, struct cell_error **err)
{
	int r = db_instance_update(d->db, inst, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *config = NULL;
	r = instance_expand(d, inst, &config, NULL, err);
	if (r == 0)
		r = instance_driver(inst)->update(d, inst, config, err);
	if (r < 0) {
		db_instance_update(d->db, old, NULL);
		/* Undo what applied before the failure (a nic plugged in before the one that failed). */
		_cleanup_json_ json_t *before = NULL;
		if (config && instance_expand(d, old, &before, NULL, NULL) == 0)
			instance_driver(old)->update(d, old, before, NULL);
	}
	return r;
}

static int op_update(struct op *op, void *p, struct cell_error **err)
{
	struct inst_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	_cleanup_json_ json_t *inst = NULL;
	int r = instance_load(a->d, a->name, &inst, err);
	if (r == 0) {
		_cleanup_json_ json_t *old = json_deep_copy(inst);
		json_object_update_existing(inst, a->body);
		r = instance_apply(a->d, inst, old, err);
	}
	named_lock_release(l);
	return r;
}

/* PUT replaces (async, as LXD), PATCH merges config keys (sync). */
static int instance_put_or_patch(struct request *req, struct response *resp, bool patch)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	const char *name = req->seg[1];
	json_t *b = req->body;
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	if (instance_load(req->d, name, &inst, &e) < 0)
		return api_error(resp, e);
	const char *restore = json_string_value(json_object_get(b, "restore"));
	if (restore && !patch)
		return api_instance_restore(req, resp, inst, restore);
	_cleanup_json_ json_t *upd = json_object();
	json_t *config = json_object_get(b, "config");
	if (config) {
		if (config_validate_object(config, &e) < 0)
			return api_error(resp, e);
		json_object_set(upd, "config", config);
	}
	json_t *profiles = json_object_get(b, "profiles");
	if (json_is_null(profiles))
		profiles = NULL; /* LXD clients send null for "the default profile" */
	if (profiles) {
		if (check_profiles(req->d, profiles, &e) < 0)
			return api_error(resp, e);
		json_object_set(upd, "profiles", profiles);
	}
	json_t *devices = json_object_get(b, "devices");
	if (json_is_object(devices)) {
		if (network_devices_check(req->d, name, devices, &e) < 0)
			return api_error(resp, e);
		json_object_set(upd, "devices", devices);
	}
	json_t *desc = json_object_get(b, "description");
	if (json_is_string(desc))
		json_object_set(upd, "description", desc);
	if (!patch)
		return start_op(req, resp, "Updating instance", name, op_update, upd);
	struct named_lock *l = named_lock_acquire(name);
	json_decref(inst);
	inst = NULL;
	int r = instance_load(req->d, name, &inst, &e);
	if (r == 0) {
		_cleanup_json_ json_t *old = json_deep_copy(inst);
		/* Merged with the row as it is now, under the lock: concurrent PATCHes all land. */
		json_t *changes = json_object_get(upd, "config");
		if (changes) {
			json_t *merged = json_deep_copy(json_object_get(inst, "config"));
			json_object_update(merged, changes);
			json_object_set_new(upd, "config", merged);
		}
		json_object_update_existing(inst, upd);
		r = instance_apply(req->d, inst, old, &e);
	}
	named_lock_release(l);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

static int instance_put(struct request *req, struct response *resp)
{
	return instance_put_or_patch(req, resp, false);
}

static int instance_patch(struct request *req, struct response *resp)
{
	return instance_put_or_patch(req, resp, true);
}

static int op_delete(struct op *op, void *p, struct cell_error **err)
{
	struct inst_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	_cleanup_json_ json_t *inst = NULL;
	struct instance_state st = { 0 };
	int r = instance_load(a->d, a->name, &inst, err);
	if (r == 0) {
		instance_driver(inst)->state(a->d, inst, &st);
		/* ?force=1 (cell delete --force): stop and delete in one operation. */
		if (st.running && a->body && json_is_true(json_object_get(a->body, "force")))
			r = instance_driver(inst)->stop(a->d, inst, true, 0, err);
		else if (st.running)
			r = cell_error_set(err, EBUSY,
					   "instance is running: %s (stop it first or use --force)",
					   a->name);
	}
	/* Intent first, then the disk, then the row: a crash in between is finished at start. */
	if (r == 0)
		r = db_instance_set_state(a->d->db, a->name, "deleting", err);
	if (r == 0)
		r = instance_driver(inst)->delete (a->d, inst, err);
	if (r == 0)
		r = db_instance_delete(a->d->db, a->name, err);
	named_lock_release(l);
	return r;
}

static int instance_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	const char *f = api_query(req, "force");
	_cleanup_json_ json_t *body =
		json_pack("{sb}", "force", f && (!strcmp(f, "1") || !strcmp(f, "true")));
	return start_op(req, resp, "Deleting instance", req->seg[1], op_delete, body);
}

static int op_state(struct op *op, void *p, struct cell_error **err)
{
	struct inst_arg *a = p;
	const char *action = json_string_value(json_object_get(a->body, "action"));
	json_int_t timeout = json_integer_value(json_object_get(a->body, "timeout"));
	bool force = json_is_true(json_object_get(a->body, "force"));
	struct named_lock *l = named_lock_acquire(a->name);
	_cleanup_json_ json_t *inst = NULL;
	int r = instance_load(a->d, a->name, &inst, err);
	if (r < 0)
		goto out;
	const struct instance_driver_ops *drv = instance_driver(inst);
	if (timeout <= 0)
		timeout = 30;
	if (strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0)
		r = drv->stop(a->d, inst, force, (int)timeout, err);
	if (r == 0 && (strcmp(action, "start") == 0 || strcmp(action, "restart") == 0))
		r = instance_start(a->d, inst, err);
out:
	named_lock_release(l);
	return r;
}

static int instance_state_put(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	const char *action = json_string_value(json_object_get(req->body, "action"));
	if (!action ||
	    (strcmp(action, "start") && strcmp(action, "stop") && strcmp(action, "restart")))
		return api_errorf(resp, 400, "action: expected start, stop or restart, got \"%s\"",
				  action ? action : "");
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	struct instance_state st;
	instance_driver(inst)->state(req->d, inst, &st);
	if (strcmp(action, "start") == 0 && st.running)
		return api_errorf(resp, 400, "instance is already running: %s", req->seg[1]);
	if (strcmp(action, "stop") == 0 && !st.running)
		return api_errorf(resp, 400, "instance is not running: %s", req->seg[1]);
	const char *desc = strcmp(action, "start") == 0 ? "Starting instance" :
			   strcmp(action, "stop") == 0	? "Stopping instance" :
							  "Restarting instance";
	return start_op(req, resp, desc, req->seg[1], op_state, req->body);
}

static uint64_t read_u64(const char *ctrl, const char *parent, const char *name, const char *file)
{
	char path[512];
	_cleanup_free_ char *text = NULL;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s/%s/%s", ctrl, parent, name, file);
	if (fs_read_file(path, &text, NULL, NULL) < 0)
		return 0;
	return strtoull(text, NULL, 10);
}

static int instance_state_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	const char *name = req->seg[1];
	if (instance_load(req->d, name, &inst, &e) < 0)
		return api_error(resp, e);
	struct instance_state st;
	instance_driver(inst)->state(req->d, inst, &st);
	const char *cg = req->d->cgroup_parent;
	json_t *j = json_pack(
		"{ss si si sI s{sI sI} s{sI} so so}", "status", st.running ? "Running" : "Stopped",
		"status_code", st.running ? 103 : 102, "pid", (int)st.pid, "processes",
		(json_int_t)(st.running ? read_u64("pids", cg, name, "pids.current") : 0), "memory",
		"usage",
		(json_int_t)(st.running ? read_u64("memory", cg, name, "memory.usage_in_bytes") :
					  0),
		"usage_peak",
		(json_int_t)(st.running ?
				     read_u64("memory", cg, name, "memory.max_usage_in_bytes") :
				     0),
		"cpu", "usage",
		(json_int_t)(st.running ? read_u64("cpuacct", cg, name, "cpuacct.usage") : 0),
		"network", st.running ? network_instance_state(req->d, inst) : json_null(), "disk",
		json_object());
	return api_sync(resp, j);
}

static int instance_console(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	/* The rotated part first (the monitor caps the log), then the current one. */
	_cleanup_free_ char *old = storage_path(req->d, req->seg[1], "run/console.log.1");
	_cleanup_free_ char *path = storage_path(req->d, req->seg[1], "run/console.log");
	_cleanup_free_ char *a = NULL, *b = NULL;
	size_t na = 0, nb = 0;
	if (!old || fs_read_file(old, &a, &na, NULL) < 0)
		na = 0;
	if (!path || fs_read_file(path, &b, &nb, NULL) < 0)
		nb = 0;
	resp->raw = malloc(na + nb + 1);
	if (!resp->raw)
		return api_errorf(resp, 500, "out of memory");
	memcpy(resp->raw, a ? a : "", na);
	memcpy(resp->raw + na, b ? b : "", nb);
	resp->raw_len = na + nb;
	resp->status = 200;
	return 0;
}

static int instance_backups(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, json_array());
}

static int instance_post(struct request *req, struct response *resp)
{
	return api_errorf(resp, 400, "renaming and migrating instances is not supported yet");
}

const struct api_route api_instance_routes[] = {
	{ "GET", "instances", instances_list },
	{ "POST", "instances", instances_create },
	{ "GET", "instances/*", instance_get },
	{ "PUT", "instances/*", instance_put },
	{ "PATCH", "instances/*", instance_patch },
	{ "DELETE", "instances/*", instance_delete },
	{ "POST", "instances/*", instance_post },
	{ "GET", "instances/*/state", instance_state_get },
	{ "PUT", "instances/*/state", instance_state_put },
	{ "POST", "instances/*/exec", api_instance_exec },
	{ "GET", "instances/*/console", instance_console },
	{ "POST", "instances/*/console", api_instance_console },
	{ "GET", "instances/*/backups", instance_backups },
	{ "GET", "instances/*/logs/*", api_instance_log },
	{ "GET", "instances/*/snapshots", api_snapshot_list },
	{ "POST", "instances/*/snapshots", api_snapshot_create },
	{ "GET", "instances/*/snapshots/*", api_snapshot_get },
	{ "DELETE", "instances/*/snapshots/*", api_snapshot_delete },
	{ NULL, NULL, NULL },
};
