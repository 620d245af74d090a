/* cmd-image.c - cell image ..., snapshot, restore, copy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

static int image_list(struct client *c, struct cell_error **err)
{
	_cleanup_json_ json_t *list = NULL;
	int r = client_call(c, "GET", "/1.0/images?recursion=1", NULL, &list, err);
	if (r < 0)
		return r;
	printf("%-20s %-14s %s\n", "ALIAS", "FINGERPRINT", "DESCRIPTION");
	size_t i;
	json_t *img;
	json_array_foreach (list, i, img) {
		char aliases[256];
		cli_join(json_object_get(img, "aliases"), "name", aliases, sizeof(aliases));
		printf("%-20s %-14.12s %s\n", aliases,
		       json_string_value(json_object_get(img, "fingerprint")),
		       json_string_value(json_object_get(json_object_get(img, "properties"), "description")) ?:
			       "");
	}
	return 0;
}

static int alias_create(struct client *c, const char *name, const char *target,
			struct cell_error **err)
{
	_cleanup_json_ json_t *body = json_pack("{ss ss}", "name", name, "target", target);
	return client_call(c, "POST", "/1.0/images/aliases", body, NULL, err);
}

static int image_import(struct client *c, int argc, char **argv, struct cell_error **err)
{
	const char *file = NULL, *alias = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--alias") == 0 && i + 1 < argc)
			alias = argv[++i];
		else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return cell_error_set(err, EINVAL,
					      "usage: cell image import FILE [--alias A]");
	}
	if (!file)
		return cell_error_set(err, EINVAL, "usage: cell image import FILE [--alias A]");
	fprintf(stderr, "Importing %s...\n", file);
	_cleanup_json_ json_t *md = NULL;
	int r = client_upload(c, "/1.0/images", file, &md, err);
	if (r < 0)
		return r;
	const char *fp = json_string_value(json_object_get(md, "fingerprint"));
	printf("Image imported with fingerprint: %s\n", fp ? fp : "?");
	return alias && fp ? alias_create(c, alias, fp, err) : 0;
}

int cmd_image(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, -1, err);
	if (r < 0)
		return r;
	const char *sub = argv[1];
	if (strcmp(sub, "list") == 0 || strcmp(sub, "ls") == 0)
		return image_list(c, err);
	if (strcmp(sub, "import") == 0)
		return image_import(c, argc, argv, err);
	if (strcmp(sub, "build") == 0)
		return cmd_image_build(c, argc, argv, err);
	if (strcmp(sub, "delete") == 0 && argc == 3) {
		_cleanup_free_ char *ref = client_escape(c, argv[2]);
		return client_callf(c, "DELETE", NULL, NULL, err, "/1.0/images/%s",
				    ref ? ref : argv[2]);
	}
	if (strcmp(sub, "alias") == 0 && argc >= 3) {
		if (strcmp(argv[2], "create") == 0 && argc == 5)
			return alias_create(c, argv[3], argv[4], err);
		if (strcmp(argv[2], "delete") == 0 && argc == 4) {
			_cleanup_free_ char *ref = client_escape(c, argv[3]);
			return client_callf(c, "DELETE", NULL, NULL, err, "/1.0/images/aliases/%s",
					    ref ? ref : argv[3]);
		}
		if (strcmp(argv[2], "list") == 0) {
			_cleanup_json_ json_t *list = NULL;
			if ((r = client_call(c, "GET", "/1.0/images/aliases?recursion=1", NULL,
					     &list, err)) < 0)
				return r;
			size_t i;
			json_t *a;
			json_array_foreach (list, i, a)
				printf("%-20s %.12s\n",
				       json_string_value(json_object_get(a, "name")),
				       json_string_value(json_object_get(a, "target")));
			return 0;
		}
	}
	return cell_error_set(err, EINVAL, "usage: cell image %s", cli_usage_of("image"));
}

int cmd_snapshot(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 1, 2, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *body =
		argc == 3 ? json_pack("{ss}", "name", argv[2]) : json_object();
	return client_callf(c, "POST", body, NULL, err, "/1.0/instances/%s/snapshots", argv[1]);
}

int cmd_restore(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 2, 2, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *body = json_pack("{ss}", "restore", argv[2]);
	return client_callf(c, "PUT", body, NULL, err, "/1.0/instances/%s", argv[1]);
}

int cmd_copy(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 2, 2, err);
	if (r < 0)
		return r;
	fprintf(stderr, "Copying %s to %s...\n", argv[1], argv[2]);
	_cleanup_json_ json_t *body = json_pack("{ss s{ss ss}}", "name", argv[2], "source", "type",
						"copy", "source", argv[1]);
	return client_call(c, "POST", "/1.0/instances", body, NULL, err);
}
