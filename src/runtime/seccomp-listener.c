/* seccomp-listener.c - the seccomp user-notification fd handed to the agent at listenerPath, as
 * the runtime spec describes: one message, the container process state, with the fd attached. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdpass.h"
#include "fs.h"
#include "json.h"
#include "seccomp-filter.h"

int seccomp_listener_send(const char *path, const char *metadata, json_t *state, pid_t pid, int fd,
			  struct cell_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "linux.seccomp.listenerPath: too long");
	strcpy(addr.sun_path, path);
	_cleanup_json_ json_t *msg = json_pack(
		"{s:s, s:[s], s:I, s:s, s:O}", "ociVersion", "1.1.0", "fds", "seccompFd", "pid",
		(json_int_t)pid, "metadata", metadata ? metadata : "", "state", state);
	_cleanup_free_ char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || connect(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cell_error_errno(err, errno, "linux.seccomp.listenerPath: connect %s", path);
	size_t len = strlen(text);
	ssize_t n = fdpass_send(sock, text, len, &fd, 1);
	if (n < 0)
		return cell_error_errno(err, (int)-n, "linux.seccomp.listenerPath: send to %s",
					path);
	/* The rest of a long state document, if the first send was short. */
	if ((size_t)n < len && fs_write_all(sock, text + n, len - (size_t)n) < 0)
		return cell_error_errno(err, errno, "linux.seccomp.listenerPath: send to %s", path);
	return 0;
}
