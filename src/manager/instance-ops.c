/* instance-ops.c - the instance sub-resources: exec (output recorded to log files, as LXD's
 * record-output mode), exec logs, snapshots, restore. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "fs.h"
#include "instances.h"
#include "operations.h"
#include "storage.h"
#include "strv.h"

void exec_arg_free(void *p)
{
	struct exec_arg *a = p;
	free(a->name);
	json_decref(a->body);
	strv_free(a->x.argv);
	strv_free(a->x.env);
	free(a->out_path);
	free(a->err_path);
	free(a);
}

static int op_exec(struct op *op, void *p, struct cell_error **err)
{
	struct exec_arg *a = p;
	_cleanup_json_ json_t *inst = NULL;
	int r = instance_load(a->d, a->name, &inst, err);
	if (r < 0)
		return r;
	struct instance_state st;
	instance_driver(inst)->state(a->d, inst, &st);
	if (!st.running)
		return cell_error_set(err, EINVAL, "instance is not running: %s", a->name);
	_cleanup_close_ int out = -1, errfd = -1;
	char logname[128];
	bool record = a->out_path != NULL;
	if (record) {
		out = open(a->out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		errfd = open(a->err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (out < 0 || errfd < 0)
			return cell_error_errno(err, errno, "exec %s: output files", a->name);
	}
	a->x.in_fd = -1;
	a->x.out_fd = out;
	a->x.err_fd = errfd;
	int code = 0;
	r = instance_driver(inst)->exec(a->d, inst, &a->x, &code, err);
	if (r < 0)
		return r;
	json_t *md = json_pack("{si}", "return", code);
	if (record) {
		char o[512], e[512];
		snprintf(logname, sizeof(logname), "%s", strrchr(a->out_path, '/') + 1);
		snprintf(o, sizeof(o), "/1.0/instances/%s/logs/%s", a->name, logname);
		snprintf(logname, sizeof(logname), "%s", strrchr(a->err_path, '/') + 1);
		snprintf(e, sizeof(e), "/1.0/instances/%s/logs/%s", a->name, logname);
		json_object_set_new(md, "output", json_pack("{ss ss}", "1", o, "2", e));
	}
	op_set_metadata(op, md);
	return 0;
}

int exec_parse(struct exec_arg *a, json_t *b, struct cell_error **err)
{
	int r = json_get_strv(b, "exec", "command", &a->x.argv, err);
	if (r < 0)
		return r;
	if (!a->x.argv || !a->x.argv[0])
		return cell_error_set(err, EINVAL,
				      "command: expected a non-empty array of strings");
	json_t *env = json_object_get(b, "environment");
	const char *k;
	json_t *v;
	json_object_foreach (env, k, v) {
		char *kv;
		if (!json_is_string(v) || !*k || strchr(k, '='))
			return cell_error_set(err, EINVAL,
					      "environment.%s: expected a string value", k);
		if (asprintf(&kv, "%s=%s", k, json_string_value(v)) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		r = strv_append(&a->x.env, kv);
		free(kv);
		if (r < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	json_int_t uid = json_integer_value(json_object_get(b, "user"));
	json_int_t gid = json_integer_value(json_object_get(b, "group"));
	if (uid < 0 || gid < 0 || uid > 65535 || gid > 65535)
		return cell_error_set(err, EINVAL, "user/group: expected ids in 0-65535");
	a->x.uid = (uid_t)uid;
	a->x.gid = (gid_t)gid;
	a->x.cwd = json_string_value(json_object_get(b, "cwd"));
	if (a->x.cwd && !*a->x.cwd)
		a->x.cwd = NULL;
	if (a->x.cwd && a->x.cwd[0] != '/')
		return cell_error_set(err, EINVAL, "cwd: expected an absolute path, got \"%s\"",
				      a->x.cwd);
	return 0;
}

int api_instance_exec(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	json_t *b = req->body;
	const char *name = req->seg[1];
	if (!json_is_object(b))
		return api_errorf(resp, 400, "request body: expected a JSON object");
	if (instance_load(req->d, name, &inst, &e) < 0)
		return api_error(resp, e);
	struct exec_arg *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name)))
		return free(a), api_errorf(resp, 500, "out of memory");
	a->d = req->d;
	a->x.in_fd = a->x.out_fd = a->x.err_fd = -1;
	/* The operation's thread reads its own copy (see inst_arg_new in instances.c). */
	a->body = json_deep_copy(b);
	if (!a->body || exec_parse(a, a->body, &e) < 0) {
		if (!a->body)
			cell_error_set(&e, ENOMEM, "out of memory");
		exec_arg_free(a);
		return api_error(resp, e);
	}
	if (json_is_true(json_object_get(b, "wait-for-websocket")))
		return exec_ws_start(req, resp, a);
	if (json_is_true(json_object_get(b, "record-output"))) {
		char suffix[40];
		snprintf(suffix, sizeof(suffix), "logs/exec_%08lx%04x", (unsigned long)time(NULL),
			 (unsigned)(random() & 0xffff));
		_cleanup_free_ char *base = storage_path(req->d, name, suffix);
		if (!base || asprintf(&a->out_path, "%s.stdout", base) < 0 ||
		    asprintf(&a->err_path, "%s.stderr", base) < 0) {
			exec_arg_free(a);
			return api_errorf(resp, 500, "out of memory");
		}
	}
	char url[256];
	snprintf(url, sizeof(url), "/1.0/instances/%s", name);
	_cleanup_json_ json_t *res = json_pack("{s[s]}", "instances", url);
	struct op *op;
	if (op_start("Executing command", res, op_exec, a, exec_arg_free, &op, &e) < 0)
		return api_error(resp, e);
	return api_async(resp, op);
}

int api_instance_log(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL;
	const char *file = req->seg[3];
	if (instance_load(req->d, req->seg[1], &inst, &e) < 0)
		return api_error(resp, e);
	if (strncmp(file, "exec_", 5) != 0 || strchr(file, '/') || strstr(file, ".."))
		return api_errorf(resp, 404, "log not found: %s", file);
	char sub[300];
	snprintf(sub, sizeof(sub), "logs/%s", file);
	_cleanup_free_ char *path = storage_path(req->d, req->seg[1], sub);
	if (!path || fs_read_file(path, &resp->raw, &resp->raw_len, &e) < 0)
		return api_errorf(resp, 404, "log not found: %s", file);
	resp->status = 200;
	if (req->conn && strcmp(req->method, "GET") == 0 && api_query(req, "delete"))
		unlink(path);
	return 0;
}

static json_t *snapshot_json(const char *inst, json_t *snap)
{
	char full[300];
	snprintf(full, sizeof(full), "%s/%s", inst,
		 json_string_value(json_object_get(snap, "name")));
	return json_pack(
		"{ss sO sO sO sO ss sb}", "name", full, "created_at",
		json_object_get(snap, "created_at"), "config", json_object_get(snap, "config"),
		"devices", json_object_get(snap, "devices"), "profiles",
		json_object_get(snap, "profiles"), "architecture", "x86_64", "stateful", 0);
}

int api_snapshot_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL, *rows = NULL;
	const char *name = req->seg[1];
	if (instance_load(req->d, name, &inst, &e) < 0 ||
	    db_snapshot_list(req->d->db, name, &rows, &e) < 0)
		return api_error(resp, e);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "state")), "ready") != 0)
			continue;
		if (api_recursion(req)) {
			json_array_append_new(out, snapshot_json(name, row));
		} else {
			char url[400];
			snprintf(url, sizeof(url), "/1.0/instances/%s/snapshots/%s", name,
				 json_string_value(json_object_get(row, "name")));
			json_array_append_new(out, json_string(url));
		}
	}
	return api_sync(resp, out);
}

int api_snapshot_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *snap = NULL;
	if (db_snapshot_get(req->d->db, req->seg[1], req->seg[3], &snap, &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, snapshot_json(req->seg[1], snap));
}

struct snap_arg {
	struct celld *d;
	char *name, *snap;
};

static void snap_arg_free(void *p)
{
	struct snap_arg *a = p;
	free(a->name);
	free(a->snap);
	free(a);
}

static int op_snapshot(struct op *op, void *p, struct cell_error **err)
{
	struct snap_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	int r = storage_snapshot_create(a->d, a->name, a->snap, err);
	if (r == 0)
		r = db_snapshot_set_state(a->d->db, a->name, a->snap, "ready", err);
	if (r < 0) {
		storage_snapshot_delete(a->d, a->name, a->snap, NULL);
		db_snapshot_delete(a->d->db, a->name, a->snap, NULL);
	}
	named_lock_release(l);
	return r;
}

static int op_snapshot_delete(struct op *op, void *p, struct cell_error **err)
{
	struct snap_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	int r = db_snapshot_set_state(a->d->db, a->name, a->snap, "deleting", err);
	if (r == 0)
		r = storage_snapshot_delete(a->d, a->name, a->snap, err);
	if (r == 0)
		r = db_snapshot_delete(a->d->db, a->name, a->snap, err);
	named_lock_release(l);
	return r;
}

static int op_restore(struct op *op, void *p, struct cell_error **err)
{
	struct snap_arg *a = p;
	struct named_lock *l = named_lock_acquire(a->name);
	_cleanup_json_ json_t *inst = NULL, *snap = NULL;
	int r = instance_load(a->d, a->name, &inst, err);
	if (r == 0)
		r = db_snapshot_get(a->d->db, a->name, a->snap, &snap, err);
	struct instance_state st = { 0 };
	if (r == 0)
		instance_driver(inst)->state(a->d, inst, &st);
	if (r == 0 && st.running)
		r = cell_error_set(err, EBUSY, "instance is running: %s (stop it to restore)",
				   a->name);
	if (r == 0)
		r = storage_snapshot_restore(a->d, a->name, a->snap, err);
	if (r == 0) {
		json_object_set(inst, "config", json_object_get(snap, "config"));
		json_object_set(inst, "devices", json_object_get(snap, "devices"));
		json_object_set(inst, "profiles", json_object_get(snap, "profiles"));
		r = db_instance_update(a->d->db, inst, err);
	}
	named_lock_release(l);
	return r;
}

static int snap_op(struct request *req, struct response *resp, const char *name, const char *snap,
		   const char *desc, op_fn fn)
{
	_cleanup_error_ struct cell_error *e = NULL;
	struct snap_arg *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name)) || !(a->snap = strdup(snap))) {
		if (a)
			snap_arg_free(a);
		return api_errorf(resp, 500, "out of memory");
	}
	a->d = req->d;
	char url[256];
	snprintf(url, sizeof(url), "/1.0/instances/%s", name);
	_cleanup_json_ json_t *res = json_pack("{s[s]}", "instances", url);
	struct op *op;
	if (op_start(desc, res, fn, a, snap_arg_free, &op, &e) < 0)
		return api_error(resp, e);
	return api_async(resp, op);
}

int api_snapshot_create(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *inst = NULL, *snaps = NULL;
	const char *name = req->seg[1];
	const char *snap = json_string_value(json_object_get(req->body, "name"));
	char auto_name[32];
	if (instance_load(req->d, name, &inst, &e) < 0)
		return api_error(resp, e);
	if (!snap) {
		if (db_snapshot_list(req->d->db, name, &snaps, &e) < 0)
			return api_error(resp, e);
		snprintf(auto_name, sizeof(auto_name), "snap%zu", json_array_size(snaps));
		snap = auto_name;
	}
	if (instance_name_check(snap, "snapshot", &e) < 0)
		return api_error(resp, e);
	json_t *row = json_pack("{ss ss sO sO sO}", "name", snap, "state", "creating", "config",
				json_object_get(inst, "config"), "devices",
				json_object_get(inst, "devices"), "profiles",
				json_object_get(inst, "profiles"));
	int r = db_snapshot_insert(req->d->db, name, row, &e);
	json_decref(row);
	if (r < 0)
		return api_error(resp, e);
	return snap_op(req, resp, name, snap, "Snapshotting instance", op_snapshot);
}

int api_snapshot_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *snap = NULL;
	if (db_snapshot_get(req->d->db, req->seg[1], req->seg[3], &snap, &e) < 0)
		return api_error(resp, e);
	return snap_op(req, resp, req->seg[1], req->seg[3], "Deleting snapshot",
		       op_snapshot_delete);
}

int api_instance_restore(struct request *req, struct response *resp, json_t *inst, const char *snap)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL;
	const char *name = json_string_value(json_object_get(inst, "name"));
	if (db_snapshot_get(req->d->db, name, snap, &row, &e) < 0)
		return api_error(resp, e);
	return snap_op(req, resp, name, snap, "Restoring snapshot", op_restore);
}
