/* flags.c - parsing of flag values that several verbs share. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "commands.h"

int cmd_open_fds_end(void)
{
	int fd = 3;
	while (fd < 3 + 65536 && fcntl(fd, F_GETFD) >= 0)
		fd++;
	return fd;
}

int cmd_parse_preserve_fds(const struct cmd_ctx *ctx, const char *arg, int *ret,
			   struct cell_error **err)
{
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 0 || n > 65536)
		return cell_error_set(err, EINVAL, "--preserve-fds: '%s' is not a count of fds",
				      arg);
	/* Checked against what we inherited, not what is open now: an fd of our own (the log)
	 * may sit in a gap the caller left, and would reach the container. */
	if (3 + n > ctx->open_fds_end)
		return cell_error_set(err, EBADF, "--preserve-fds %ld: fd %d is not open", n,
				      ctx->open_fds_end);
	*ret = (int)n;
	return 0;
}
