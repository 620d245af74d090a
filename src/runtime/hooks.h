/* hooks.h - OCI POSIX-platform lifecycle hooks: validated as config.json's "hooks" object, run
 * with the container's state document on stdin. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "json.h"

/* Check config.json's "hooks" (NULL: none). Errors name the field ("hooks.poststart[1].timeout").
 * Hook kinds this runtime cannot run at their point are refused, unknown kinds ignored. */
int hooks_validate(json_t *hooks, struct cell_error **err);

/* Whether hooks has at least one hook of kind. */
bool hooks_has(json_t *hooks, const char *kind);

/* Run every hook of kind (e.g. "createRuntime") in order, each with state on stdin; stops at
 * the first that fails (non-zero exit, or killed with SIGKILL past its timeout). */
int hooks_run(json_t *hooks, const char *kind, json_t *state, struct cell_error **err);
/* The same, each hook in the namespaces of ns_pid (createContainer: pid is the init). */
int hooks_run_in(json_t *hooks, const char *kind, json_t *state, pid_t ns_pid,
		 struct cell_error **err);
/* The same, but failures are logged as warnings (poststart, poststop). */
void hooks_run_warn(json_t *hooks, const char *kind, json_t *state);

/* Keep a container's hooks in its state directory (none: no file), for start and delete. */
int hooks_save(json_t *hooks, const char *state_dir, struct cell_error **err);
/* The saved hooks, or NULL when there are none (or they cannot be read). */
json_t *hooks_load(const char *state_dir);
