/* commands.h - cellrt's verbs, one file each, dispatched from the table in main.c. */
#pragma once

#include "error.h"

struct cmd_ctx {
	const char *root; /* --root */
};

/* Each returns the exit status to use (>= 0), or a negative errno with *err filled. */
typedef int (*cmd_fn)(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);

int cmd_spec(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_create(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_run(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_start(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_state(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_kill(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_delete(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_list(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_exec(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);

/* Exactly n positional arguments left after the flags, or a usage error. */
int cmd_need_args(int argc, int optind_, int n, const char *usage, struct cell_error **err);
