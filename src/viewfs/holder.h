/* holder.h - the process that owns the /dev/fuse fd and (re)starts the server that uses it. */
#pragma once

#include <stdbool.h>

#include "error.h"

struct holder_opts {
	const char *mountpoint;
	const char *exe; /* the server binary, exec'd anew at each (re)start: upgrades work */
	char *const *server_args; /* extra arguments passed to each server */
	bool no_passthrough;
};

/* Mount, serve through restarted servers until SIGTERM/SIGINT, then unmount and clean up. */
int holder_run(const struct holder_opts *opts, struct cell_error **err);

/* In a server: receive the fds the holder passes over `sock` (fuse, state, backing dir, and the
 * sampled connection: -1 from an older holder that has none). */
int holder_receive(int sock, int *ret_fuse, int *ret_state, int *ret_dir, int *ret_cache,
		   struct cell_error **err);
