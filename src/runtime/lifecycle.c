/* lifecycle.c - start, state, kill, delete and list: everything after create, read from the
 * state directory and checked against the live process (pid + start time, against reuse). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "container.h"
#include "fs.h"
#include "hooks.h"
#include "state.h"

static int pidfd_of(const struct container_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return -errno;
	bool alive;
	/* The pidfd pins the process; check it is still the one we started. */
	if (state_pid_start_time(st->pid, &alive) != st->start_time || !alive) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

enum container_status container_status_cg(const char *root, const struct container_state *st,
					  struct cgroup *cg)
{
	enum container_status status = state_status(root, st);
	bool frozen = false;
	if (status == STATUS_RUNNING && cg && cgroup_is_frozen(cg, &frozen, NULL) == 0 && frozen)
		return STATUS_PAUSED;
	return status;
}

enum container_status container_status(const char *root, const struct container_state *st)
{
	struct cgroup *cg = NULL;
	if (state_status(root, st) == STATUS_RUNNING)
		cgroup_new(st->id, st->cgroups_path, &cg, NULL);
	enum container_status status = container_status_cg(root, st, cg);
	cgroup_free(cg);
	return status;
}

int container_start(const char *root, const char *id, struct cell_error **err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);
	if (r < 0)
		return r;
	enum container_status status = state_status(root, &st);
	if (status != STATUS_CREATED) {
		container_state_clear(&st);
		return cell_error_set(err, EINVAL, "cannot start container %s: it is %s", id,
				      state_status_name(status));
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root, id);
	_cleanup_json_ json_t *hooks = hooks_load(path);
	_cleanup_json_ json_t *hstate = hooks ? state_to_json(&st, STATUS_RUNNING) : NULL;
	snprintf(path, sizeof(path), "%s/%s/exec.fifo", root, id);
	_cleanup_close_ int pidfd = pidfd_of(&st);
	container_state_clear(&st);
	_cleanup_close_ int fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return cell_error_errno(err, errno, "open %s", path);
	/* The init is blocked opening the fifo for writing: our open released it; now wait for
	 * its byte, or for its death. */
	struct pollfd p[2] = { { .fd = fifo, .events = POLLIN },
			       { .fd = pidfd, .events = POLLIN } };
	for (;;) {
		if (poll(p, pidfd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return cell_error_errno(err, errno, "wait for container %s", id);
		}
		char c;
		if (read(fifo, &c, 1) == 1)
			break;
		if (p[1].revents & POLLIN)
			return cell_error_set(err, ESRCH, "container %s exited before start", id);
	}
	unlink(path);
	hooks_run_warn(hooks, "poststart", hstate);
	return 0;
}

int container_state_json(const char *root, const char *id, json_t **ret, struct cell_error **err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);
	if (r < 0)
		return r;
	*ret = state_to_json(&st, container_status(root, &st));
	container_state_clear(&st);
	return *ret ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int container_kill(const char *root, const char *id, int signal, bool all, struct cell_error **err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);
	if (r < 0)
		return r;
	enum container_status status = state_status(root, &st);
	if (status == STATUS_STOPPED && !all) {
		container_state_clear(&st);
		return cell_error_set(err, ESRCH, "container %s is not running", id);
	}
	if (all) {
		struct cgroup *cg = NULL;
		r = cgroup_new(id, st.cgroups_path, &cg, err);
		if (r == 0)
			r = cgroup_kill_all(cg, signal, err);
		cgroup_free(cg);
		container_state_clear(&st);
		return r;
	}
	_cleanup_close_ int pidfd = pidfd_of(&st);
	container_state_clear(&st);
	if (pidfd < 0)
		return cell_error_set(err, ESRCH, "container %s is not running", id);
	if (syscall(SYS_pidfd_send_signal, pidfd, signal, NULL, 0) < 0)
		return cell_error_errno(err, errno, "kill container %s", id);
	return 0;
}

/* Wait (a little) for a killed init to go, so that its cgroup can be removed. */
static void wait_gone(int pidfd)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };
	poll(&p, 1, 2000);
}

int container_delete(const char *root, const char *id, bool force, struct cell_error **err)
{
	struct container_state st;
	int r = state_read(root, id, &st, err);
	if (r == -ENOENT && force) {
		/* A directory without a state: a create that died half way. --force clears it. */
		_cleanup_free_ char *dir = NULL;
		if (state_dir(root, id, &dir, NULL) == 0 && access(dir, F_OK) == 0)
			return state_remove(root, id, err);
	}
	if (r < 0)
		return r;
	enum container_status status = container_status(root, &st);
	if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !force) {
		container_state_clear(&st);
		return cell_error_set(err, EBUSY,
				      "cannot delete container %s: it is %s (use --force)", id,
				      state_status_name(status));
	}
	_cleanup_free_ char *dir = NULL;
	_cleanup_json_ json_t *hooks =
		state_dir(root, id, &dir, NULL) == 0 ? hooks_load(dir) : NULL;
	_cleanup_json_ json_t *hstate = hooks ? state_to_json(&st, STATUS_STOPPED) : NULL;
	struct cgroup *cg = NULL;
	r = cgroup_new(id, st.cgroups_path, &cg, err);
	if (r < 0) {
		container_state_clear(&st);
		return r;
	}
	if (status != STATUS_STOPPED) {
		_cleanup_close_ int pidfd = pidfd_of(&st);
		if (pidfd >= 0) {
			syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
			if (status == STATUS_PAUSED) /* frozen tasks die only once thawed */
				cgroup_freeze(cg, false, NULL);
			wait_gone(pidfd);
		}
	}
	cgroup_kill_all(cg, SIGKILL, NULL);
	r = cgroup_destroy(cg, err);
	cgroup_free(cg);
	container_state_clear(&st);
	if (r < 0 || (r = state_remove(root, id, err)) < 0)
		return r;
	hooks_run_warn(hooks, "poststop", hstate);
	return 0;
}

static int cmp_json_id(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
	return strcmp(x ? x : "", y ? y : "");
}

int container_list(const char *root, json_t **ret, struct cell_error **err)
{
	json_t *list = json_array();
	if (!list)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d) {
		*ret = list;
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "open %s", root);
	}
	size_t n = 0, cap = 16;
	json_t **items = malloc(cap * sizeof(*items));
	struct dirent *de;
	while (items && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		json_t *j = NULL;
		if (container_state_json(root, de->d_name, &j, NULL) < 0)
			continue; /* being created or deleted right now */
		if (n == cap) {
			json_t **bigger = realloc(items, 2 * cap * sizeof(*items));
			if (!bigger) {
				json_decref(j);
				break;
			}
			items = bigger;
			cap *= 2;
		}
		items[n++] = j;
	}
	if (!items) {
		json_decref(list);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	qsort(items, n, sizeof(*items), cmp_json_id);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	*ret = list;
	return 0;
}
