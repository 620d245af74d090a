/* db.h - celld's state in SQLite: instances, snapshots, profiles, images and aliases. Rows carry a
 * lifecycle state so that a crash between the database write and the disk work can be undone. */
#pragma once

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>

#include "error.h"

struct db;

/* Run a statement binding "s" (string), "i" (int64) and "j" (json_t *) arguments in order;
 * returns the number of changed rows. Used by the resources kept in their own files. */
int db_run(struct db *db, struct cell_error **err, const char *sql, const char *types, ...);
/* Run a query; *ret is an array of row objects (columns named x_json are parsed as x). */
int db_query(struct db *db, json_t **ret, struct cell_error **err, const char *sql,
	     const char *types, ...);

int db_open(const char *path, struct db **ret, struct cell_error **err);
void db_close(struct db *db);
/* The schema version after migrations (for tests and /1.0). */
int db_schema_version(struct db *db);

/*
 * Instances: an object {name, type, state, image, created_at, description, config{}, devices{},
 * profiles[], ephemeral}. state is "creating", "ready" or "deleting" (the running state is never
 * stored: it is read from the monitor's files). Insert fails with -EEXIST when the name is taken.
 */
int db_instance_insert(struct db *db, json_t *inst, struct cell_error **err);
int db_instance_get(struct db *db, const char *name, json_t **ret, struct cell_error **err);
/* Every instance, ordered by name. */
int db_instance_list(struct db *db, json_t **ret, struct cell_error **err);
int db_instance_set_state(struct db *db, const char *name, const char *state,
			  struct cell_error **err);
/* Replace config, devices, profiles and description from inst (same keys as above). */
int db_instance_update(struct db *db, json_t *inst, struct cell_error **err);
int db_instance_delete(struct db *db, const char *name, struct cell_error **err);

/* Snapshots of an instance: {name, created_at, state, config{}, devices{}, profiles[]}. */
int db_snapshot_insert(struct db *db, const char *instance, json_t *snap, struct cell_error **err);
int db_snapshot_list(struct db *db, const char *instance, json_t **ret, struct cell_error **err);
int db_snapshot_get(struct db *db, const char *instance, const char *name, json_t **ret,
		    struct cell_error **err);
int db_snapshot_set_state(struct db *db, const char *instance, const char *name, const char *state,
			  struct cell_error **err);
int db_snapshot_delete(struct db *db, const char *instance, const char *name,
		       struct cell_error **err);

/* Profiles: {name, description, config{}, devices{}}. */
int db_profile_put(struct db *db, json_t *profile, bool create, struct cell_error **err);
int db_profile_get(struct db *db, const char *name, json_t **ret, struct cell_error **err);
int db_profile_list(struct db *db, json_t **ret, struct cell_error **err);
int db_profile_delete(struct db *db, const char *name, struct cell_error **err);
/* Names of instances using a profile. */
int db_profile_users(struct db *db, const char *name, json_t **ret, struct cell_error **err);

/* Images: {fingerprint, state, size, created_at, properties{}, filename}; aliases name -> fp. */
int db_image_insert(struct db *db, json_t *image, struct cell_error **err);
int db_image_set_state(struct db *db, const char *fp, const char *state, struct cell_error **err);
int db_image_get(struct db *db, const char *fp, json_t **ret, struct cell_error **err);
int db_image_list(struct db *db, json_t **ret, struct cell_error **err);
int db_image_delete(struct db *db, const char *fp, struct cell_error **err);
/* Resolve an alias, a full fingerprint or a unique fingerprint prefix to a fingerprint. */
int db_image_resolve(struct db *db, const char *ref, char **ret_fp, struct cell_error **err);
int db_alias_put(struct db *db, const char *name, const char *fp, const char *description,
		 struct cell_error **err);
int db_alias_delete(struct db *db, const char *name, struct cell_error **err);
/* [{name, target, description}] for one image (fp) or all (NULL). */
int db_alias_list(struct db *db, const char *fp, json_t **ret, struct cell_error **err);
