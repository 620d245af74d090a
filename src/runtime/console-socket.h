/* console-socket.h - runc's --console-socket protocol: the pty master handed to the client. */
#pragma once

#include "error.h"

/* Connect to the unix socket at path (first, so that a bad one fails before anything runs). */
int console_socket_connect(const char *path, struct cell_error **err);
/* Send master over sock with SCM_RIGHTS, with the pty's name as the message (what conmon and
 * containerd's shim receive); path names the socket in errors. */
int console_socket_send(int sock, const char *path, int master, struct cell_error **err);
