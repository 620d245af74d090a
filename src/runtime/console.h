/* console.h - the container's terminal: a pty from the container's own devpts, its master handed
 * to the runtime over a socket, and the foreground proxy between the user's terminal and it. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* In the container: open ROOT/dev/pts/ptmx, make the peer the controlling terminal on 0/1/2,
 * with dev_console (the init's, not exec's) bind it on /dev/console; returns the master fd. */
int console_setup(int root_fd, unsigned short rows, unsigned short cols, bool dev_console,
		  struct cell_error **err);

/* Pass fds over a unix socket, with a one-byte tag. */
int console_send_fd(int sock, char tag, int fd);
/* Receive a tagged message (up to len bytes of payload into buf) and maybe an fd (*ret_fd = -1
 * when none); returns the payload length, 0 on EOF, or -errno. */
ssize_t console_recv(int sock, char *buf, size_t len, int *ret_fd);

/* Copy between our stdin/stdout and master until the container's side closes, with the user's
 * terminal in raw mode, its size and the forwarded signals (container.h) passed on; returns when
 * pid has exited (status in *status). */
int console_proxy(int master, pid_t pid, int *status, struct cell_error **err);
