/* json.h - loading JSON with errors that say where, and typed field access that names the field. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

static inline void cleanup_json_decrefp(json_t **j)
{
	if (*j)
		json_decref(*j);
	*j = NULL;
}
#define _cleanup_json_ __attribute__((cleanup(cleanup_json_decrefp)))

/* Parse a file; errors read "PATH:LINE:COLUMN: reason". The top level must be an object. */
int json_load_object_file(const char *path, json_t **ret, struct cell_error **err);
int json_load_object_string(const char *text, const char *what, json_t **ret,
			    struct cell_error **err);

/*
 * Typed getters: a missing member leaves *ret untouched and returns 0 (optional fields), a member
 * of the wrong type fails with "WHERE.KEY: expected TYPE". `where` is the dotted path of obj
 * ("process.rlimits[2]"), used only in messages.
 */
int json_get_string(json_t *obj, const char *where, const char *key, const char **ret,
		    struct cell_error **err);
int json_get_bool(json_t *obj, const char *where, const char *key, bool *ret,
		  struct cell_error **err);
int json_get_int64(json_t *obj, const char *where, const char *key, int64_t *ret,
		   struct cell_error **err);
int json_get_uint64(json_t *obj, const char *where, const char *key, uint64_t *ret,
		    struct cell_error **err);
/* Object or array members: *ret stays NULL when absent (or JSON null). */
int json_get_object(json_t *obj, const char *where, const char *key, json_t **ret,
		    struct cell_error **err);
int json_get_array(json_t *obj, const char *where, const char *key, json_t **ret,
		   struct cell_error **err);

/* A JSON array of strings as a NULL-terminated vector (strv). */
int json_get_strv(json_t *obj, const char *where, const char *key, char ***ret,
		  struct cell_error **err);

/* Serialize compactly into a file, atomically. */
int json_dump_file_atomic(json_t *j, const char *path, struct cell_error **err);
