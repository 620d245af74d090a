/* console-socket.c - runc's --console-socket protocol: connect to the client's unix socket and hand
 * it the container's pty master with SCM_RIGHTS, as conmon and containerd's shim expect. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "console-socket.h"
#include "fdpass.h"

int console_socket_connect(const char *path, struct cell_error **err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "--console-socket %s: path too long",
				      path);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return cell_error_errno(err, errno, "--console-socket: socket");
	if (connect(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cell_error_errno(err, errno, "--console-socket %s", path);
	return steal_fd(sock);
}

int console_socket_send(int sock, const char *path, int master, struct cell_error **err)
{
	/* The name is informational (runc sends the peer's path); receivers keep only the fd. */
	char name[64] = "/dev/ptmx";
	unsigned int n;
	if (ioctl(master, TIOCGPTN, &n) == 0)
		snprintf(name, sizeof(name), "/dev/pts/%u", n);
	ssize_t r = fdpass_send(sock, name, strlen(name), &master, 1);
	if (r < 0)
		return cell_error_errno(err, (int)-r, "--console-socket %s: send the pty", path);
	return 0;
}
