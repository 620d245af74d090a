/* instances.h - instance logic shared by the API handlers: names, expanded config, the LXD view of
 * an instance, and the crash-recovery pass celld makes at start. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "api.h"
#include "celld.h"
#include "driver.h"
#include "error.h"

/* A valid hostname label, as LXD requires of instance names (also snapshot names). */
int instance_name_check(const char *name, const char *what, struct cell_error **err);
/* Merge the instance's profiles (in order) and its own config/devices. */
int instance_expand(struct celld *d, json_t *inst, json_t **ret_config, json_t **ret_devices,
		    struct cell_error **err);
/* GET /1.0/instances/NAME as LXD shows it (status from the driver). */
json_t *instance_to_json(struct celld *d, json_t *inst);
/* Load the row of a ready instance, or fail with 404-worthy -ENOENT. */
int instance_load(struct celld *d, const char *name, json_t **ret, struct cell_error **err);
const struct instance_driver_ops *instance_driver(json_t *inst);
/* Start under the instance's lock (used by launch, start, restart, autostart). */
int instance_start(struct celld *d, json_t *inst, struct cell_error **err);

/* At celld start: finish or undo what a crash interrupted, remove orphans, autostart after boot. */
int instances_reconcile(struct celld *d, bool host_booted, struct cell_error **err);

/* A parsed exec request (instance-ops.c) and its WebSocket flavour (exec-ws.c). */
struct exec_arg {
	struct celld *d;
	char *name;
	json_t *body;
	struct exec_request x;
	char *out_path, *err_path;
};
void exec_arg_free(void *p);
int exec_parse(struct exec_arg *a, json_t *b, struct cell_error **err);
/* Start an exec whose stdio are WebSockets (LXD's wait-for-websocket); takes a. */
int exec_ws_start(struct request *req, struct response *resp, struct exec_arg *a);
int api_operation_websocket(struct request *req, struct response *resp);
/* The instance's console over one websocket (relayed to the monitor's console.sock). */
int api_instance_console(struct request *req, struct response *resp);

/* Route tables of the snapshot/copy/exec handlers, merged into api_instance_routes. */
int api_instance_exec(struct request *req, struct response *resp);
int api_instance_log(struct request *req, struct response *resp);
int api_snapshot_list(struct request *req, struct response *resp);
int api_snapshot_create(struct request *req, struct response *resp);
int api_snapshot_get(struct request *req, struct response *resp);
int api_snapshot_delete(struct request *req, struct response *resp);
int api_instance_restore(struct request *req, struct response *resp, json_t *inst,
			 const char *snap);
int api_instance_copy(struct request *req, struct response *resp, const char *name);
