/* state.c - state.json under --root: what `state`, `list`, `kill`, `start` and `delete` read. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "json.h"

void container_state_clear(struct container_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->cgroups_path);
	if (st->annotations)
		json_decref(st->annotations);
	memset(st, 0, sizeof(*st));
}

int state_validate_id(const char *id, struct cell_error **err)
{
	if (!id || !*id)
		return cell_error_set(err, EINVAL, "container id: must not be empty");
	if (strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0 || strlen(id) > 1024)
		return cell_error_set(err, EINVAL, "container id '%s': invalid", id);
	for (const char *p = id; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return cell_error_set(err, EINVAL, "container id '%s': invalid character",
					      id);
	return 0;
}

int state_dir(const char *root, const char *id, char **ret, struct cell_error **err)
{
	int r = state_validate_id(id, err);
	if (r < 0)
		return r;
	if (asprintf(ret, "%s/%s", root, id) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int state_write(const char *root, const struct container_state *st, struct cell_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s/state.json", root, st->id) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_json_ json_t *j = json_pack(
		"{s:s, s:I, s:I, s:s, s:s, s:s, s:s?, s:I, s:b}", "id", st->id, "pid",
		(json_int_t)st->pid, "pidStartTime", (json_int_t)st->start_time, "bundle",
		st->bundle, "rootfs", st->rootfs, "created", st->created, "cgroupsPath",
		st->cgroups_path, "owner", (json_int_t)st->owner, "terminal", st->terminal);
	if (!j)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	/* Atomic by rename, without fsync: the state lives on tmpfs (/run) and means nothing
	 * after a reboot, and fsync would cost more than the rest of a container start. */
	_cleanup_free_ char *text = json_dumps(j, JSON_COMPACT);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	return fs_write_file_replace(path, text, strlen(text), 0600, err);
}

int state_write_pid_file(const char *path, pid_t pid, struct cell_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", pid);
	/* No fsync either: a pid file is worthless after a crash, and clients put it on real
	 * disks (podman: the container's userdata), where fsync costs milliseconds. */
	int r = fs_write_file_replace(path, buf, strlen(buf), 0644, err);
	return r < 0 ? cell_error_wrap(err, "--pid-file") : 0;
}

static int dup_member(json_t *j, const char *key, char **ret)
{
	const char *v = json_string_value(json_object_get(j, key));
	if (!v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

int state_read(const char *root, const char *id, struct container_state *st,
	       struct cell_error **err)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int r = state_dir(root, id, &dir, err);
	if (r < 0)
		return r;
	if (asprintf(&path, "%s/state.json", dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (access(dir, F_OK) < 0)
		return cell_error_set(err, ENOENT, "container %s does not exist", id);
	_cleanup_json_ json_t *j = NULL;
	if ((r = json_load_object_file(path, &j, err)) < 0)
		return cell_error_set(err, ENOENT, "container %s does not exist (no state yet)",
				      id);
	memset(st, 0, sizeof(*st));
	if (dup_member(j, "id", &st->id) < 0 || dup_member(j, "bundle", &st->bundle) < 0 ||
	    dup_member(j, "rootfs", &st->rootfs) < 0 ||
	    dup_member(j, "created", &st->created) < 0 ||
	    dup_member(j, "cgroupsPath", &st->cgroups_path) < 0) {
		container_state_clear(st);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	st->pid = (pid_t)json_integer_value(json_object_get(j, "pid"));
	st->start_time = (unsigned long long)json_integer_value(json_object_get(j, "pidStartTime"));
	st->owner = (uid_t)json_integer_value(json_object_get(j, "owner"));
	st->terminal = json_is_true(json_object_get(j, "terminal"));
	json_t *ann = json_object_get(j, "annotations");
	if (ann)
		st->annotations = json_incref(ann);
	if (!st->id || !st->bundle) {
		container_state_clear(st);
		return cell_error_set(err, EINVAL, "%s: missing id or bundle", path);
	}
	return 0;
}

int state_remove(const char *root, const char *id, struct cell_error **err)
{
	_cleanup_free_ char *dir = NULL;
	int r = state_dir(root, id, &dir, err);
	if (r < 0)
		return r;
	return fs_rm_rf(dir, err);
}

unsigned long long state_pid_start_time(pid_t pid, bool *alive)
{
	char path[64], buf[1024];
	*alive = false;
	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	p += 2;
	/* p is at field 3 (state); start time is field 22. */
	for (int field = 3; field < 22 && p; field++)
		p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
	if (!p)
		return 0;
	*alive = state != 'Z' && state != 'X';
	return strtoull(p, NULL, 10);
}

enum container_status state_status(const char *root, const struct container_state *st)
{
	bool alive;
	unsigned long long start = state_pid_start_time(st->pid, &alive);
	if (!alive || start != st->start_time)
		return STATUS_STOPPED;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s/exec.fifo", root, st->id);
	if (access(path, F_OK) == 0)
		return STATUS_CREATED;
	return STATUS_RUNNING;
}

const char *state_status_name(enum container_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused",
					     "stopped" };
	return names[s];
}

json_t *state_to_json(const struct container_state *st, enum container_status status)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s?}", "ociVersion", "1.1.0",
			      "id", st->id, "status", state_status_name(status), "pid",
			      (json_int_t)(status == STATUS_STOPPED ? 0 : st->pid), "bundle",
			      st->bundle, "rootfs", st->rootfs ? st->rootfs : "", "created",
			      st->created ? st->created : "", "cgroupsPath", st->cgroups_path);
	if (!j)
		return NULL;
	json_object_set_new(j, "owner", json_string(st->owner == 0 ? "root" : ""));
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	else
		json_object_set_new(j, "annotations", json_object());
	return j;
}
