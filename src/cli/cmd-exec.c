/* cmd-exec.c - cell exec (output recorded by celld and replayed; exit status passed through),
 * cell console (--show-log: the log here; attaching is in cmd-exec-ws.c), cell file push/pull. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "fs.h"
#include "json.h"

static int exec_args(int argc, char **argv, json_t *body, const char **ret_name,
		     struct cell_error **err)
{
	json_t *env = json_object_get(body, "environment");
	json_t *cmd = json_object_get(body, "command");
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--env") == 0 && i + 1 < argc) {
			int r = cli_set_kv(env, argv[++i], err);
			if (r < 0)
				return r;
		} else if (strcmp(a, "--cwd") == 0 && i + 1 < argc) {
			json_object_set_new(body, "cwd", json_string(argv[++i]));
		} else if ((strcmp(a, "--user") == 0 || strcmp(a, "--group") == 0) &&
			   i + 1 < argc) {
			char *end;
			long id = strtol(argv[++i], &end, 10);
			if (*end || id < 0)
				return cell_error_set(err, EINVAL,
						      "%s: expected a numeric id, got \"%s\"", a,
						      argv[i]);
			json_object_set_new(body, a + 2, json_integer(id));
		} else if (strcmp(a, "-t") == 0 || strcmp(a, "-T") == 0 ||
			   strcmp(a, "--force-noninteractive") == 0) {
			continue;
		} else if (a[0] == '-') {
			return cell_error_set(err, EINVAL, "exec: unknown option %s", a);
		} else if (!*ret_name) {
			*ret_name = a;
		} else {
			break;
		}
	}
	for (; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	if (!*ret_name || !json_array_size(cmd))
		return cell_error_set(err, EINVAL, "usage: cell exec %s", cli_usage_of("exec"));
	return 0;
}

static void replay(struct client *c, json_t *output, const char *fd, FILE *to)
{
	const char *url = json_string_value(json_object_get(output, fd));
	_cleanup_free_ char *data = NULL;
	size_t len;
	char path[1024];
	if (!url)
		return;
	snprintf(path, sizeof(path), "%s?delete=1", url);
	if (client_get_raw(c, path, &data, &len, NULL) == 0) {
		fwrite(data, 1, len, to);
		fflush(to);
	}
}

int cmd_exec(struct client *c, int argc, char **argv, struct cell_error **err)
{
	_cleanup_json_ json_t *body =
		json_pack("{s[] s{} sb sb sb}", "command", "environment", "interactive", 0,
			  "wait-for-websocket", 0, "record-output", 1);
	const char *name = NULL;
	int r = exec_args(argc, argv, body, &name, err);
	if (r < 0)
		return r;
	/* Streams (stdin, a pty) need the WebSocket flavour; CELL_EXEC_RECORD=1 keeps the
	 * recorded-output one, which replays output after the command ends. */
	const char *rec = getenv("CELL_EXEC_RECORD");
	if (!rec || strcmp(rec, "1") != 0)
		return cli_exec_ws(c, client_socket(c), name, body, err);
	_cleanup_json_ json_t *md = NULL;
	r = client_callf(c, "POST", body, &md, err, "/1.0/instances/%s/exec", name);
	if (r < 0)
		return r;
	json_t *out = json_object_get(md, "output");
	replay(c, out, "1", stdout);
	replay(c, out, "2", stderr);
	cli_exit_status = (int)json_integer_value(json_object_get(md, "return"));
	return 0;
}

int cmd_console(struct client *c, int argc, char **argv, struct cell_error **err)
{
	const char *name = NULL;
	bool show_log = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--show-log") == 0) {
			show_log = true;
			continue;
		}
		if (argv[i][0] == '-' || name)
			return cell_error_set(err, EINVAL, "usage: cell console %s",
					      cli_usage_of("console"));
		name = argv[i];
	}
	if (!name)
		return cell_error_set(err, EINVAL, "usage: cell console %s",
				      cli_usage_of("console"));
	_cleanup_json_ json_t *inst = NULL;
	int r = client_callf(c, "GET", NULL, &inst, err, "/1.0/instances/%s", name);
	if (r < 0)
		return r;
	if (!show_log)
		return cli_console_ws(c, client_socket(c), name, err);
	char path[512];
	_cleanup_free_ char *data = NULL;
	size_t len;
	snprintf(path, sizeof(path), "/1.0/instances/%s/console", name);
	if ((r = client_get_raw(c, path, &data, &len, err)) < 0)
		return r;
	fwrite(data, 1, len, stdout);
	return 0;
}

/* NAME/PATH -> name and absolute path. */
static int split_target(const char *arg, char **ret_name, const char **ret_path,
			struct cell_error **err)
{
	const char *slash = strchr(arg, '/');
	if (!slash || slash == arg)
		return cell_error_set(err, EINVAL, "expected NAME/PATH, got \"%s\"", arg);
	*ret_name = strndup(arg, (size_t)(slash - arg));
	*ret_path = slash;
	return 0;
}

/* Files go through exec (cat in the instance): the instance's own ids and permissions apply. */
int cmd_file(struct client *c, int argc, char **argv, struct cell_error **err)
{
	int r = cli_check_args(argc, argv, 3, 3, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *name = NULL;
	const char *path;
	if (strcmp(argv[1], "pull") == 0) {
		if ((r = split_target(argv[2], &name, &path, err)) < 0)
			return r;
		_cleanup_json_ json_t *body =
			json_pack("{s[ss] sb}", "command", "cat", path, "record-output", 1);
		_cleanup_json_ json_t *md = NULL;
		if ((r = client_callf(c, "POST", body, &md, err, "/1.0/instances/%s/exec", name)) <
		    0)
			return r;
		if (json_integer_value(json_object_get(md, "return")) != 0)
			return cell_error_set(err, ENOENT, "file pull: cannot read %s in %s", path,
					      name);
		const char *url =
			json_string_value(json_object_get(json_object_get(md, "output"), "1"));
		_cleanup_free_ char *data = NULL;
		size_t len;
		if ((r = client_get_raw(c, url, &data, &len, err)) < 0)
			return r;
		if (strcmp(argv[3], "-") == 0)
			return fwrite(data, 1, len, stdout) == len ? 0 : -EIO;
		return fs_write_file_atomic(argv[3], data, len, 0644, err);
	}
	if (strcmp(argv[1], "push") == 0) {
		if ((r = split_target(argv[3], &name, &path, err)) < 0)
			return r;
		_cleanup_free_ char *data = NULL;
		size_t len;
		if ((r = fs_read_file(argv[2], &data, &len, err)) < 0)
			return r;
		/* Sent as a printf of octal escapes: binary-safe through a JSON string. */
		_cleanup_free_ char *esc = malloc(len * 4 + 1);
		if (!esc)
			return cell_error_set(err, ENOMEM, "out of memory");
		for (size_t i = 0; i < len; i++)
			sprintf(esc + i * 4, "\\%03o", (unsigned char)data[i]);
		esc[len * 4] = '\0';
		_cleanup_json_ json_t *body =
			json_pack("{s[sssss] sb}", "command", "sh", "-c", "printf \"$1\" > \"$2\"",
				  "sh", esc, "record-output", 1);
		json_array_append_new(json_object_get(body, "command"), json_string(path));
		_cleanup_json_ json_t *md = NULL;
		if ((r = client_callf(c, "POST", body, &md, err, "/1.0/instances/%s/exec", name)) <
		    0)
			return r;
		if (json_integer_value(json_object_get(md, "return")) != 0)
			return cell_error_set(err, EIO, "file push: cannot write %s in %s", path,
					      name);
		return 0;
	}
	return cell_error_set(err, EINVAL, "usage: cell file %s", cli_usage_of("file"));
}
