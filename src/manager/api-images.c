/* api-images.c - /1.0/images and /1.0/images/aliases: list, show, import (a tarball body),
 * delete, and aliases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cleanup.h"
#include "json.h"
#include "fs.h"
#include "image-build.h"
#include "images.h"
#include "instances.h"
#include "operations.h"

static json_t *image_json(struct celld *d, json_t *row)
{
	const char *fp = json_string_value(json_object_get(row, "fingerprint"));
	json_t *aliases = NULL;
	if (db_alias_list(d->db, fp, &aliases, NULL) < 0)
		aliases = json_array();
	return json_pack("{ss so sO sO si ss ss sb sb ss}", "fingerprint", fp, "aliases", aliases,
			 "properties", json_object_get(row, "properties"), "created_at",
			 json_object_get(row, "created_at"), "size",
			 (int)json_integer_value(json_object_get(row, "size")), "architecture",
			 "x86_64", "type", "container", "public", 0, "auto_update", 0, "filename",
			 json_string_value(json_object_get(row, "filename")) ?: "");
}

static int images_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *rows = NULL;
	if (db_image_list(req->d->db, &rows, &e) < 0)
		return api_error(resp, e);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "state")), "ready") != 0)
			continue;
		if (api_recursion(req)) {
			json_array_append_new(out, image_json(req->d, row));
		} else {
			char url[128];
			snprintf(url, sizeof(url), "/1.0/images/%s",
				 json_string_value(json_object_get(row, "fingerprint")));
			json_array_append_new(out, json_string(url));
		}
	}
	return api_sync(resp, out);
}

static int image_find(struct request *req, struct response *resp, const char *ref, json_t **ret)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_free_ char *fp = NULL;
	if (db_image_resolve(req->d->db, ref, &fp, &e) < 0 ||
	    db_image_get(req->d->db, fp, ret, &e) < 0)
		return api_error(resp, e), -1;
	return 0;
}

static int image_get(struct request *req, struct response *resp)
{
	_cleanup_json_ json_t *row = NULL;
	if (image_find(req, resp, req->seg[1], &row) < 0)
		return 0;
	return api_sync(resp, image_json(req->d, row));
}

static int image_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *row = NULL, *insts = NULL;
	if (image_find(req, resp, req->seg[1], &row) < 0)
		return 0;
	const char *fp = json_string_value(json_object_get(row, "fingerprint"));
	if (db_instance_list(req->d->db, &insts, &e) < 0)
		return api_error(resp, e);
	size_t i;
	json_t *inst;
	/* Instances share the image's tree as their lower layer: it must outlive them. */
	json_array_foreach (insts, i, inst) {
		if (strcmp(json_string_value(json_object_get(inst, "image")), fp) == 0)
			return api_errorf(resp, 409, "image %.12s is used by instance %s", fp,
					  json_string_value(json_object_get(inst, "name")));
	}
	char *dir;
	if (asprintf(&dir, "%s/%s", req->d->images_dir, fp) < 0)
		return api_errorf(resp, 500, "out of memory");
	int r = db_image_set_state(req->d->db, fp, "deleting", &e);
	if (r == 0)
		r = fs_rm_rf(dir, &e);
	if (r == 0)
		r = db_image_delete(req->d->db, fp, &e);
	free(dir);
	return r < 0 ? api_error(resp, e) : api_sync(resp, json_object());
}

/* Aliases of built images have a '/' ("debian/12"), which reaches us as two segments. */
static int with_joined_ref(struct request *req, struct response *resp, api_handler fn)
{
	char *ref, *seg1 = req->seg[1];
	if (asprintf(&ref, "%s/%s", req->seg[1], req->seg[2]) < 0)
		return api_errorf(resp, 500, "out of memory");
	req->seg[1] = ref;
	int r = fn(req, resp);
	req->seg[1] = seg1;
	free(ref);
	return r;
}

static int image_get_slashed(struct request *req, struct response *resp)
{
	return with_joined_ref(req, resp, image_get);
}

static int image_delete_slashed(struct request *req, struct response *resp)
{
	return with_joined_ref(req, resp, image_delete);
}

struct import_arg {
	struct celld *d;
	char *path;
};

static void import_arg_free(void *p)
{
	struct import_arg *a = p;
	unlink(a->path);
	free(a->path);
	free(a);
}

static int op_import(struct op *op, void *p, struct cell_error **err)
{
	struct import_arg *a = p;
	_cleanup_free_ char *fp = NULL;
	int r = images_import_file(a->d, a->path, &fp, err);
	if (r == 0)
		op_set_metadata(op, json_pack("{ss ss}", "fingerprint", fp, "size", "0"));
	return r;
}

static int images_post(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	const char *type =
		json_string_value(json_object_get(json_object_get(req->body, "source"), "type"));
	if (!req->upload_path && type && strcmp(type, "build") == 0)
		return api_images_build(req, resp);
	if (!req->upload_path)
		return api_errorf(resp, 400,
				  "image import: send the tarball as the body with Content-Type:"
				  " application/octet-stream");
	/* The upload file is removed when the request ends: the operation takes a link to it. */
	struct import_arg *a = calloc(1, sizeof(*a));
	if (!a || asprintf(&a->path, "%s.import", req->upload_path) < 0)
		return free(a), api_errorf(resp, 500, "out of memory");
	a->d = req->d;
	if (link(req->upload_path, a->path) < 0) {
		free(a->path);
		free(a);
		return api_errorf(resp, 500, "image import: cannot keep the upload");
	}
	struct op *op;
	if (op_start("Importing image", NULL, op_import, a, import_arg_free, &op, &e) < 0)
		return api_error(resp, e);
	return api_async(resp, op);
}

static int aliases_list(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	json_t *rows = NULL;
	if (db_alias_list(req->d->db, NULL, &rows, &e) < 0)
		return api_error(resp, e);
	if (api_recursion(req))
		return api_sync(resp, rows);
	json_t *out = json_array();
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		char url[300];
		snprintf(url, sizeof(url), "/1.0/images/aliases/%s",
			 json_string_value(json_object_get(row, "name")));
		json_array_append_new(out, json_string(url));
	}
	json_decref(rows);
	return api_sync(resp, out);
}

static int alias_get(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_json_ json_t *rows = NULL;
	if (db_alias_list(req->d->db, NULL, &rows, &e) < 0)
		return api_error(resp, e);
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "name")), req->seg[2]) == 0) {
			json_object_set_new(row, "type", json_string("container"));
			return api_sync(resp, json_incref(row));
		}
	}
	return api_errorf(resp, 404, "image alias not found: %s", req->seg[2]);
}

static int alias_create(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	_cleanup_free_ char *fp = NULL;
	const char *name = json_string_value(json_object_get(req->body, "name"));
	const char *target = json_string_value(json_object_get(req->body, "target"));
	if (!name || !*name || strchr(name, '/') || !target)
		return api_errorf(resp, 400,
				  "alias: name and target are needed (no '/' in the name)");
	if (db_image_resolve(req->d->db, target, &fp, &e) < 0 ||
	    db_alias_put(req->d->db, name, fp,
			 json_string_value(json_object_get(req->body, "description")), &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, json_object());
}

static int alias_delete(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	if (db_alias_delete(req->d->db, req->seg[2], &e) < 0)
		return api_error(resp, e);
	return api_sync(resp, json_object());
}

const struct api_route api_image_routes[] = {
	{ "GET", "images", images_list },
	{ "POST", "images", images_post },
	{ "GET", "images/aliases", aliases_list },
	{ "POST", "images/aliases", alias_create },
	{ "GET", "images/aliases/*", alias_get },
	{ "DELETE", "images/aliases/*", alias_delete },
	{ "GET", "images/*", image_get },
	{ "DELETE", "images/*", image_delete },
	{ "GET", "images/*/*", image_get_slashed },
	{ "DELETE", "images/*/*", image_delete_slashed },
	{ NULL, NULL, NULL },
};
