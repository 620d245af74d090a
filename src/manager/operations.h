/* operations.h - background operations as LXD has them: an id, a status, metadata, and a wait. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

struct op;
/* The work of an operation, run on its own thread; metadata may be set along the way. */
typedef int (*op_fn)(struct op *op, void *arg, struct cell_error **err);

/* Start fn(arg) in the background; free_arg(arg) runs when it is done. *ret holds a reference. */
int op_start(const char *description, json_t *resources, op_fn fn, void *arg,
	     void (*free_arg)(void *), struct op **ret, struct cell_error **err);
struct op *op_find(const char *id); /* a new reference, or NULL */
void op_unref(struct op *op);
const char *op_id(const struct op *op);
/* Replace the metadata (takes the reference: the caller must not use it afterwards, since
 * readers on other threads get copies of it), e.g. progress or an exec's return code. */
void op_set_metadata(struct op *op, json_t *metadata);
/* Wait until done, or timeout_s (< 0: forever); returns true when done. */
bool op_wait(struct op *op, int timeout_s);
json_t *op_to_json(struct op *op);
/* All operations, by status: {"running": [...], "success": [...], "failure": [...]}. */
json_t *op_list_json(bool recursion);
/* Number of operations still running (for a clean shutdown). */
unsigned op_running_count(void);
