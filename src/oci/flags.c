/* flags.c - parsing of flag values that several verbs share. */
#include <errno.h>
#include <stdlib.h>

#include "commands.h"

int cmd_parse_preserve_fds(const char *arg, int *ret, struct cell_error **err)
{
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 0 || n > 65536)
		return cell_error_set(err, EINVAL, "--preserve-fds: '%s' is not a count of fds",
				      arg);
	*ret = (int)n;
	return 0;
}
