/* console-socket.h - runc's --console-socket protocol: the pty master handed to the client. */
#pragma once

#include "error.h"

/* Connect to the unix socket at path and send master over it with SCM_RIGHTS, with the pty's
 * name as the message (what conmon and containerd's shim receive). */
int console_socket_send(const char *path, int master, struct cell_error **err);
