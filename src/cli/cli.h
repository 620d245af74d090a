/* cli.h - the verbs of `cell`: one table row per verb, each in a cmd-*.c file. */
#pragma once

#include <stdbool.h>

#include "client.h"
#include "error.h"

struct cli_verb {
	const char *name;
	const char *usage;   /* after "cell NAME " */
	const char *summary; /* one line */
	int (*run)(struct client *c, int argc, char **argv, struct cell_error **err);
};

/* 1 when argv has -h/--help before "--" (the verb then prints its usage). */
bool cli_wants_help(int argc, char **argv);
/* Fail with "NAME: usage: cell NAME USAGE" unless min <= argc-1 <= max (max < 0: no max). */
int cli_check_args(int argc, char **argv, int min, int max, struct cell_error **err);
/* Split "key=value" into a new JSON object member of obj. */
int cli_set_kv(json_t *obj, const char *kv, struct cell_error **err);
const char *cli_usage_of(const char *verb);

enum cli_format { CLI_TABLE, CLI_JSON, CLI_CSV };
/* A list verb: parse --format from argv[first..] (else fail with "usage: USAGE"), GET path; JSON is
 * printed as it came (*ret_list NULL), table and csv are the caller's to print from *ret_list. */
int cli_list_get(struct client *c, int argc, char **argv, int first, const char *usage,
		 const char *path, enum cli_format *ret_format, json_t **ret_list,
		 struct cell_error **err);
/* The strings of array (or each element's member key) joined with commas into buf. */
const char *cli_join(json_t *array, const char *key, char *buf, size_t size);

int cmd_launch(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_init(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_start(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_stop(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_restart(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_delete(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_list(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_info(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_exec(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_console(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_config(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_profile(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_image(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_snapshot(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_restore(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_copy(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_file(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_network(struct client *c, int argc, char **argv, struct cell_error **err);
int cmd_storage(struct client *c, int argc, char **argv, struct cell_error **err);
/* config device / profile device: kind is "instances" or "profiles"; argv starts at "device". */
int cli_device(struct client *c, const char *kind, int argc, char **argv, struct cell_error **err);

/* exec with stdio on WebSockets (a pty when stdin is a terminal). */
int cli_exec_ws(struct client *c, const char *socket, const char *name, json_t *body,
		struct cell_error **err);
/* Attach to the instance's console (raw terminal; ctrl+a q detaches). */
int cli_console_ws(struct client *c, const char *socket, const char *name, struct cell_error **err);

/* Have celld build the image name ("debian/12") unless it has it, showing progress on stderr. */
int cli_image_build(struct client *c, const char *name, char **ret_fp, struct cell_error **err);
int cmd_image_build(struct client *c, int argc, char **argv, struct cell_error **err);

/* Set by main from the exec verb: the command's exit status to pass through. */
extern int cli_exit_status;
