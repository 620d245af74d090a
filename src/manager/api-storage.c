/* api-storage.c - /1.0/storage-pools: celld's one pool, `default`, as an LXD storage pool. It is
 * the state directory (instances' layers, snapshots and images live under it); its driver is
 * btrfs when that directory sits on btrfs, else dir. Creating other pools is not supported. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "api.h"
#include "cleanup.h"
#include "db.h"
#include "json.h"
#include "storage-btrfs.h"

#define POOL_NAME "default"

static const char *pool_driver(struct celld *d)
{
	return btrfs_is(d->state_dir) ? "btrfs" : "dir";
}

/* What LXD lists: instances (their root volumes), images, and profiles with a disk on the pool. */
static json_t *pool_used_by(struct celld *d)
{
	json_t *out = json_array();
	_cleanup_json_ json_t *insts = NULL, *images = NULL, *profiles = NULL;
	size_t i;
	json_t *row;
	if (db_instance_list(d->db, &insts, NULL) == 0)
		json_array_foreach (insts, i, row)
			json_array_append_new(
				out, json_sprintf("/1.0/instances/%s",
						  json_string_value(json_object_get(row, "name"))));
	if (db_image_list(d->db, &images, NULL) == 0)
		json_array_foreach (images, i, row)
			json_array_append_new(out, json_sprintf("/1.0/images/%s",
								json_string_value(json_object_get(
									row, "fingerprint"))));
	if (db_profile_list(d->db, &profiles, NULL) == 0)
		json_array_foreach (profiles, i, row) {
			const char *k;
			json_t *dev;
			bool uses = false;
			json_object_foreach (json_object_get(row, "devices"), k, dev) {
				const char *pool = json_string_value(json_object_get(dev, "pool"));
				uses = uses || (pool && strcmp(pool, POOL_NAME) == 0);
			}
			if (uses)
				json_array_append_new(
					out, json_sprintf("/1.0/profiles/%s",
							  json_string_value(
								  json_object_get(row, "name"))));
		}
	return out;
}

static json_t *pool_json(struct celld *d)
{
	return json_pack("{ss ss ss s{ss} so ss s[s]}", "name", POOL_NAME, "description",
			 "celld's state directory", "driver", pool_driver(d), "config", "source",
			 d->state_dir, "used_by", pool_used_by(d), "status", "Created", "locations",
			 "none");
}

static int pool_not_found(struct request *req, struct response *resp)
{
	return api_errorf(resp, 404, "storage pool not found: %s", req->seg[1]);
}

static bool pool_known(struct request *req)
{
	return strcmp(req->seg[1], POOL_NAME) == 0;
}

static int pools_list(struct request *req, struct response *resp)
{
	if (api_recursion(req))
		return api_sync(resp, json_pack("[o]", pool_json(req->d)));
	return api_sync(resp, json_pack("[s]", "/1.0/storage-pools/" POOL_NAME));
}

static int pools_create(struct request *req, struct response *resp)
{
	const char *name = json_string_value(json_object_get(req->body, "name"));
	return api_errorf(resp, 501,
			  "creating storage pools is not supported: celld has one pool, %s (its"
			  " state directory)%s%s",
			  POOL_NAME, name ? "; cannot create " : "", name ? name : "");
}

static int pool_get(struct request *req, struct response *resp)
{
	if (!pool_known(req))
		return pool_not_found(req, resp);
	return api_sync(resp, pool_json(req->d));
}

/* The pool's one key, source, is fixed; a body that would change anything is refused. */
static int pool_update(struct request *req, struct response *resp)
{
	if (!pool_known(req))
		return pool_not_found(req, resp);
	json_t *config = json_object_get(req->body, "config");
	const char *k;
	json_t *v;
	json_object_foreach (config, k, v) {
		if (strcmp(k, "source") == 0 && json_is_string(v) &&
		    strcmp(json_string_value(v), req->d->state_dir) == 0)
			continue;
		return api_errorf(resp, 400, "storage pool %s: %s cannot be changed", POOL_NAME, k);
	}
	return api_sync(resp, json_object());
}

static int pool_delete(struct request *req, struct response *resp)
{
	if (!pool_known(req))
		return pool_not_found(req, resp);
	return api_errorf(resp, 400,
			  "storage pool %s cannot be deleted (it is celld's state"
			  " directory)",
			  POOL_NAME);
}

static int pool_resources(struct request *req, struct response *resp)
{
	if (!pool_known(req))
		return pool_not_found(req, resp);
	struct statvfs st;
	if (statvfs(req->d->state_dir, &st) < 0)
		return api_errorf(resp, 500, "statvfs %s: %s", req->d->state_dir, strerror(errno));
	json_int_t total = (json_int_t)(st.f_blocks * st.f_frsize);
	json_int_t used = (json_int_t)((st.f_blocks - st.f_bfree) * st.f_frsize);
	return api_sync(resp,
			json_pack("{s{sI sI} s{sI sI}}", "space", "used", used, "total", total,
				  "inodes", "used", (json_int_t)(st.f_files - st.f_ffree), "total",
				  (json_int_t)st.f_files));
}

static json_t *volume_json(const char *type, const char *name, const char *used)
{
	json_t *v =
		json_pack("{ss ss ss s{} s[] ss ss}", "name", name, "type", type, "description", "",
			  "config", "used_by", "content_type", "filesystem", "location", "none");
	if (used)
		json_array_append_new(json_object_get(v, "used_by"), json_string(used));
	return v;
}

/* The volumes LXD would show on the pool: one per instance (its writable layer) and one per
 * image (its unpacked tree). Read-only: custom volumes are not supported. */
static int pool_volumes(struct request *req, struct response *resp)
{
	if (!pool_known(req))
		return pool_not_found(req, resp);
	_cleanup_json_ json_t *insts = NULL, *images = NULL;
	json_t *out = json_array();
	size_t i;
	json_t *row;
	bool rec = api_recursion(req);
	if (db_instance_list(req->d->db, &insts, NULL) == 0)
		json_array_foreach (insts, i, row) {
			const char *n = json_string_value(json_object_get(row, "name"));
			_cleanup_free_ char *url = NULL;
			if (asprintf(&url, "/1.0/instances/%s", n) < 0)
				continue;
			json_array_append_new(out,
					      rec ? volume_json("container", n, url) :
						    json_sprintf("/1.0/storage-pools/" POOL_NAME
								 "/volumes/container/%s",
								 n));
		}
	if (db_image_list(req->d->db, &images, NULL) == 0)
		json_array_foreach (images, i, row) {
			const char *fp = json_string_value(json_object_get(row, "fingerprint"));
			json_array_append_new(out,
					      rec ? volume_json("image", fp, NULL) :
						    json_sprintf("/1.0/storage-pools/" POOL_NAME
								 "/volumes/image/%s",
								 fp));
		}
	return api_sync(resp, out);
}

static int pool_volume_create(struct request *req, struct response *resp)
{
	return api_errorf(resp, 501,
			  "custom storage volumes are not supported: the pool holds instances and"
			  " images only");
}

const struct api_route api_storage_routes[] = {
	{ "GET", "storage-pools/*/volumes", pool_volumes },
	{ "POST", "storage-pools/*/volumes", pool_volume_create },
	{ "POST", "storage-pools/*/volumes/*", pool_volume_create },
	{ "GET", "storage-pools", pools_list },
	{ "POST", "storage-pools", pools_create },
	{ "GET", "storage-pools/*", pool_get },
	{ "PUT", "storage-pools/*", pool_update },
	{ "PATCH", "storage-pools/*", pool_update },
	{ "DELETE", "storage-pools/*", pool_delete },
	{ "GET", "storage-pools/*/resources", pool_resources },
	{ NULL, NULL, NULL },
};
