/* cmd-spec.c - `cellrt spec [--bundle DIR]`: write the default config.json, as `runc spec`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "fs.h"

/* image/config.json, compiled in (see meson.build): the built-in image's own config. */
extern const char cellrt_spec_template[];
__asm__(".section .rodata\n"
	".global cellrt_spec_template\n"
	"cellrt_spec_template:\n"
	".incbin \"" CELL_SPEC_TEMPLATE "\"\n"
	".byte 0\n"
	".previous\n");

int cmd_spec(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "bundle", required_argument, NULL, 'b' },
					      { "rootless", no_argument, NULL, 'R' },
					      { 0 } };
	const char *bundle = ".";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'R')
			return cell_error_set(err, ENOTSUP, "spec --rootless: not supported yet");
		else
			return cell_error_set(err, EINVAL, "usage: cellrt spec [--bundle DIR]");
	}
	int r = cmd_need_args(argc, optind, 0, "spec [--bundle DIR]", err);
	if (r < 0)
		return r;
	char path[4096];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 && errno == EEXIST)
		return cell_error_set(err, EEXIST, "%s exists already; remove it first", path);
	if (fd < 0)
		return cell_error_errno(err, errno, "create %s", path);
	size_t len = strlen(cellrt_spec_template);
	if (fs_write_all(fd, cellrt_spec_template, len) < 0)
		return cell_error_errno(err, errno, "write %s", path);
	(void)ctx;
	return 0;
}
