/* reconcile.c - make the database and the disk agree after celld starts: rows a crash left in
 * "creating" are undone, "deleting" ones finished, directories without a row removed, and
 * instances whose monitor vanished (host reboot) cleaned up and, with boot.autostart, started. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "config-keys.h"
#include "fs.h"
#include "instances.h"
#include "log.h"
#include "storage.h"

static bool rows_have(json_t *rows, const char *key, const char *name)
{
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row)
		if (strcmp(json_string_value(json_object_get(row, key)), name) == 0)
			return true;
	return false;
}

/* Remove entries of dir that no row names (".tmp" leftovers of image imports included). */
static void remove_orphans(const char *dir, json_t *rows, const char *key, bool is_instance,
			   struct celld *d)
{
	_cleanup_closedir_ DIR *dp = opendir(dir);
	struct dirent *de;
	while (dp && (de = readdir(dp))) {
		if (de->d_name[0] == '.' || rows_have(rows, key, de->d_name))
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", dir, de->d_name) < 0)
			continue;
		log_warn("reconcile: removing %s, which no database row owns", p);
		if (is_instance)
			storage_instance_delete(d, de->d_name, NULL);
		else
			fs_rm_rf(p, NULL);
	}
}

static void reconcile_snapshots(struct celld *d, const char *name)
{
	_cleanup_json_ json_t *snaps = NULL;
	if (db_snapshot_list(d->db, name, &snaps, NULL) < 0)
		return;
	size_t i;
	json_t *s;
	json_array_foreach (snaps, i, s) {
		const char *sn = json_string_value(json_object_get(s, "name"));
		if (strcmp(json_string_value(json_object_get(s, "state")), "ready") != 0) {
			log_warn("reconcile: dropping unfinished snapshot %s/%s", name, sn);
			storage_snapshot_delete(d, name, sn, NULL);
			db_snapshot_delete(d->db, name, sn, NULL);
		}
	}
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/%s", d->snapshots_dir, name) >= 0) {
		_cleanup_json_ json_t *left = NULL;
		if (db_snapshot_list(d->db, name, &left, NULL) == 0)
			remove_orphans(dir, left, "name", false, d);
	}
}

static void reconcile_instance(struct celld *d, json_t *inst, bool host_booted)
{
	const char *name = json_string_value(json_object_get(inst, "name"));
	const char *state = json_string_value(json_object_get(inst, "state"));
	if (strcmp(state, "ready") != 0) {
		log_warn("reconcile: %s was %s when celld stopped; removing it", name, state);
		storage_instance_delete(d, name, NULL);
		db_instance_delete(d->db, name, NULL);
		return;
	}
	if (!storage_instance_exists(d, name)) {
		log_warn("reconcile: %s has no root filesystem; removing its row", name);
		db_instance_delete(d->db, name, NULL);
		return;
	}
	reconcile_snapshots(d, name);
	struct instance_state st;
	instance_driver(inst)->state(d, inst, &st);
	if (st.running)
		return; /* its monitor still owns it: re-attached by reading its files */
	/* Stopped: its monitor may have died with the host; leave no mount behind. */
	storage_instance_umount(d, name, NULL);
	_cleanup_json_ json_t *config = NULL;
	bool autostart = false;
	if (host_booted && instance_expand(d, inst, &config, NULL, NULL) == 0) {
		const char *v = json_string_value(json_object_get(config, "boot.autostart"));
		if (v)
			config_parse_bool(v, &autostart);
	}
	if (autostart) {
		_cleanup_error_ struct cell_error *e = NULL;
		log_info("autostart: starting %s", name);
		if (instance_start(d, inst, &e) < 0)
			log_error("autostart %s: %s", name, e->msg);
	}
}

static void reconcile_images(struct celld *d)
{
	_cleanup_json_ json_t *rows = NULL;
	if (db_image_list(d->db, &rows, NULL) < 0)
		return;
	size_t i;
	json_t *img;
	json_array_foreach (rows, i, img) {
		const char *fp = json_string_value(json_object_get(img, "fingerprint"));
		if (strcmp(json_string_value(json_object_get(img, "state")), "ready") == 0)
			continue;
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s/%s", d->images_dir, fp) >= 0)
			fs_rm_rf(p, NULL);
		db_image_delete(d->db, fp, NULL);
	}
	json_decref(rows);
	rows = NULL;
	if (db_image_list(d->db, &rows, NULL) == 0)
		remove_orphans(d->images_dir, rows, "fingerprint", false, d);
}

int instances_reconcile(struct celld *d, bool host_booted, struct cell_error **err)
{
	reconcile_images(d);
	_cleanup_json_ json_t *rows = NULL;
	int r = db_instance_list(d->db, &rows, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *inst;
	json_array_foreach (rows, i, inst)
		reconcile_instance(d, inst, host_booted);
	json_decref(rows);
	rows = NULL;
	if ((r = db_instance_list(d->db, &rows, err)) < 0)
		return r;
	remove_orphans(d->instances_dir, rows, "name", true, d);
	remove_orphans(d->snapshots_dir, rows, "name", false, d);
	return 0;
}
