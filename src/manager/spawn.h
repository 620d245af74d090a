/* spawn.h - running helper programs (the runtime, cp) and collecting what they said. */
#pragma once

#include <sys/types.h>

#include "error.h"

/*
 * Run argv (argv[0] is a path) with stdin from /dev/null, stdout to out_fd and stderr to err_fd
 * (-1: captured; the last line of what was captured becomes the error message). Returns 0 when it
 * exited 0, else fills err with "argv[0] ARG1: message" and returns -EIO; *ret_status (optional)
 * gets the wait status either way.
 */
int spawn_run(char *const argv[], int out_fd, int err_fd, int *ret_status, struct cell_error **err);
/* Like spawn_run with stdin from in_fd (-1: /dev/null) and out/err as given (-1: /dev/null). */
int spawn_run_in(char *const argv[], int in_fd, int out_fd, int err_fd, int *ret_status,
		 struct cell_error **err);
/* Like spawn_run_in with stdin, stdout and stderr on tty_fd, made the controlling terminal of a
 * new session (so that resizes reach the program as SIGWINCH). */
int spawn_run_tty(char *const argv[], int tty_fd, int *ret_status, struct cell_error **err);
/* Like spawn_run, with stdout and stderr captured into *ret_out (NUL-terminated). */
int spawn_capture(char *const argv[], char **ret_out, int *ret_status, struct cell_error **err);
