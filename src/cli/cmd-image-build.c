/* cmd-image-build.c - cell image build NAME, and the build `launch`/`init` start for a distribution
 * image ("debian/12") before creating the instance: the operation's progress shown as it goes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

/* Print progress on one rewritten line on a terminal, else one line per change. */
static void show(const char *msg, char *last, size_t size, bool tty)
{
	if (!msg || strcmp(msg, last) == 0)
		return;
	snprintf(last, size, "%s", msg);
	if (tty)
		fprintf(stderr, "\r\033[K%s", msg);
	else
		fprintf(stderr, "%s\n", msg);
}

int cli_image_build(struct client *c, const char *name, char **ret_fp, struct cell_error **err)
{
	_cleanup_json_ json_t *body =
		json_pack("{s{ss ss}}", "source", "type", "build", "name", name);
	_cleanup_json_ json_t *op = NULL;
	int r = client_start(c, "POST", "/1.0/images", body, &op, err);
	if (r < 0)
		return r;
	const char *id = json_string_value(json_object_get(op, "id"));
	if (!id)
		return cell_error_set(err, EIO, "celld started a build without an operation id");
	char path[256], last[400] = "";
	bool tty = isatty(2);
	snprintf(path, sizeof(path), "/1.0/operations/%s/wait?timeout=1", id);
	for (;;) {
		_cleanup_json_ json_t *st = NULL;
		if ((r = client_call(c, "GET", path, NULL, &st, err)) < 0)
			break;
		json_t *md = json_object_get(st, "metadata");
		const char *status = json_string_value(json_object_get(st, "status"));
		show(json_string_value(json_object_get(md, "build_progress")), last, sizeof(last),
		     tty);
		if (status && strcmp(status, "Running") == 0)
			continue;
		if (tty && *last)
			fputc('\n', stderr);
		if (!status || strcmp(status, "Success") != 0) {
			r = cell_error_set(err, EIO, "%s",
					   json_string_value(json_object_get(st, "err")) ?:
						   "the image build failed");
			break;
		}
		const char *fp = json_string_value(json_object_get(md, "fingerprint"));
		if (!fp) {
			r = cell_error_set(err, EIO, "the image build did not say its fingerprint");
			break;
		}
		if (json_is_false(json_object_get(md, "cached")))
			fprintf(stderr, "Image %s built: %.12s\n", name, fp);
		if (ret_fp && !(*ret_fp = strdup(fp)))
			r = cell_error_set(err, ENOMEM, "out of memory");
		break;
	}
	return r;
}

int cmd_image_build(struct client *c, int argc, char **argv, struct cell_error **err)
{
	if (argc != 3 || argv[2][0] == '-')
		return cell_error_set(err, EINVAL, "usage: cell image build NAME (e.g. debian/12)");
	_cleanup_free_ char *fp = NULL;
	int r = cli_image_build(c, argv[2], &fp, err);
	if (r == 0)
		printf("%s: %s\n", argv[2], fp);
	return r;
}
