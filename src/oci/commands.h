/* commands.h - cellrt's verbs, one file each, dispatched from the table in main.c. */
#pragma once

#include "error.h"

struct cmd_ctx {
	const char *root; /* --root */
	int open_fds_end; /* the lowest fd >= 3 that was not open when cellrt started */
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
int cmd_ps(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_pause(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_resume(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_update(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_features(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_events(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);
int cmd_exec(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err);

/* --preserve-fds N (src/oci/flags.c): fds 3 .. 2+N must all have been open when cellrt started. */
int cmd_parse_preserve_fds(const struct cmd_ctx *ctx, const char *arg, int *ret,
			   struct cell_error **err);
/* The lowest fd >= 3 not open now: called first thing, before cellrt opens anything itself. */
int cmd_open_fds_end(void);

/* Exactly n positional arguments left after the flags, or a usage error. */
int cmd_need_args(int argc, int optind_, int n, const char *usage, struct cell_error **err);
