/* hooks.c - OCI lifecycle hooks: validation of config.json's "hooks" and running one kind of
 * them, each hook a fork+execve with the state JSON on stdin and an optional timeout. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "log.h"
#include "strv.h"

/* The kinds run by this runtime. startContainer's path is in the container's filesystem (it runs
 * there, after start, before the process execs), so it cannot be checked on the host. */
static const char *const run_kinds[] = { "prestart",	   "createRuntime", "createContainer",
					 "startContainer", "poststart",	    "poststop" };

static int validate_hook(json_t *h, const char *where, bool on_host, struct cell_error **err)
{
	const char *path = NULL;
	json_t *args = NULL, *env = NULL, *t;
	int r;
	if (!json_is_object(h))
		return cell_error_set(err, EINVAL, "%s: expected an object", where);
	if ((r = json_get_string(h, where, "path", &path, err)) < 0 ||
	    (r = json_get_array(h, where, "args", &args, err)) < 0 ||
	    (r = json_get_array(h, where, "env", &env, err)) < 0)
		return r;
	if (!path)
		return cell_error_set(err, EINVAL, "%s.path: required", where);
	if (path[0] != '/')
		return cell_error_set(err, EINVAL, "%s.path: %s is not absolute", where, path);
	struct stat st;
	if (on_host && stat(path, &st) < 0)
		return cell_error_errno(err, errno, "%s.path: %s", where, path);
	for (int pass = 0; pass < 2; pass++) {
		json_t *a = pass ? env : args;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_is_string(json_array_get(a, i)))
				return cell_error_set(err, EINVAL, "%s.%s[%zu]: expected a string",
						      where, pass ? "env" : "args", i);
	}
	if ((t = json_object_get(h, "timeout")) && !json_is_null(t)) {
		if (!json_is_integer(t))
			return cell_error_set(err, EINVAL, "%s.timeout: expected an integer",
					      where);
		if (json_integer_value(t) <= 0)
			return cell_error_set(err, EINVAL, "%s.timeout: must be greater than zero",
					      where);
	}
	return 0;
}

int hooks_validate(json_t *hooks, struct cell_error **err)
{
	if (!hooks || json_is_null(hooks))
		return 0;
	if (!json_is_object(hooks))
		return cell_error_set(err, EINVAL, "hooks: expected an object");
	for (size_t k = 0; k < ARRAY_SIZE(run_kinds); k++) {
		json_t *a = NULL, *h;
		char where[64];
		size_t i;
		int r = json_get_array(hooks, "hooks", run_kinds[k], &a, err);
		if (r < 0)
			return r;
		json_array_foreach (a, i, h) {
			snprintf(where, sizeof(where), "hooks.%s[%zu]", run_kinds[k], i);
			bool on_host = strcmp(run_kinds[k], "startContainer") != 0;
			if ((r = validate_hook(h, where, on_host, err)) < 0)
				return r;
		}
	}
	return 0;
}

static char **strv_of(json_t *a, const char *first)
{
	size_t n = json_array_size(a), j = 0;
	char **v = calloc(n + 2, sizeof(*v));
	if (!v)
		return NULL;
	if (n == 0 && first)
		v[j++] = (char *)first;
	for (size_t i = 0; i < n; i++)
		v[j++] = (char *)json_string_value(json_array_get(a, i));
	return v;
}

/* Wait for pid, killing it once timeout (seconds, 0: none) has passed; -ETIME then. */
static int wait_hook(pid_t pid, int timeout, int *status)
{
	if (timeout > 0) {
		_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int n;
		while (pidfd >= 0 && (n = poll(&p, 1, timeout * 1000)) < 0 && errno == EINTR)
			;
		if (pidfd >= 0 && n == 0) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -ETIME;
		}
	}
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

/* In the forked hook: join the namespaces of pid (those that differ from ours), then fork again
 * so that a joined pid namespace applies; the middle process passes on the exit status. */
static void enter_namespaces(pid_t pid)
{
	static const char *const names[] = { "user", "ipc", "uts", "net", "pid", "mnt" };
	int fds[ARRAY_SIZE(names)];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", pid, names[i]);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", names[i]);
		fds[i] = -1;
		if (stat(theirs, &a) == 0 && stat(ours, &b) == 0 && a.st_ino != b.st_ino &&
		    (fds[i] = open(theirs, O_RDONLY | O_CLOEXEC)) < 0)
			_exit(127);
	}
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (fds[i] >= 0 && setns(fds[i], 0) < 0) {
			fprintf(stderr, "join the container's %s namespace: %s\n", names[i],
				strerror(errno));
			_exit(127);
		}
	pid_t child = fork();
	if (child < 0)
		_exit(127);
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); /* dies with a timed out middle */
		return;
	}
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			_exit(127);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int run_one(json_t *h, const char *where, const char *state, pid_t ns_pid,
		   struct cell_error **err)
{
	const char *path = json_string_value(json_object_get(h, "path"));
	int timeout = (int)json_integer_value(json_object_get(h, "timeout"));
	_cleanup_free_ char **argv = strv_of(json_object_get(h, "args"), path);
	_cleanup_free_ char **envp = strv_of(json_object_get(h, "env"), NULL);
	/* stdin from a memfd: no pipe to fill up or to raise SIGPIPE if the hook ignores it. */
	_cleanup_close_ int in = memfd_create("cell-hook-state", MFD_CLOEXEC);
	size_t len = strlen(state);
	if (!argv || !envp)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (in < 0 || write(in, state, len) != (ssize_t)len || lseek(in, 0, SEEK_SET) < 0)
		return cell_error_errno(err, errno, "%s: state for stdin", where);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return cell_error_errno(err, errno, "%s: fork", where);
	if (pid == 0) {
		if (dup2(in, STDIN_FILENO) < 0)
			_exit(127);
		if (ns_pid > 0)
			enter_namespaces(ns_pid);
		execve(path, argv, envp);
		fprintf(stderr, "%s: exec %s: %s\n", where, path, strerror(errno));
		_exit(127);
	}
	int status = 0, r = wait_hook(pid, timeout, &status);
	if (r == -ETIME)
		return cell_error_set(err, ETIME, "%s: timed out after %d s", where, timeout);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: wait", where);
	if (WIFSIGNALED(status))
		return cell_error_set(err, EIO, "%s: %s killed by signal %d", where, path,
				      WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return cell_error_set(err, EIO, "%s: %s exited with status %d", where, path,
				      WEXITSTATUS(status));
	return 0;
}

bool hooks_has(json_t *hooks, const char *kind)
{
	return json_array_size(json_object_get(hooks, kind)) > 0;
}

int hooks_run(json_t *hooks, const char *kind, json_t *state, struct cell_error **err)
{
	return hooks_run_in(hooks, kind, state, 0, err);
}

int hooks_run_in(json_t *hooks, const char *kind, json_t *state, pid_t ns_pid,
		 struct cell_error **err)
{
	json_t *a = json_object_get(hooks, kind), *h;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;
	_cleanup_free_ char *text = json_dumps(state, JSON_COMPACT);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_array_foreach (a, i, h) {
		char where[64];
		snprintf(where, sizeof(where), "hooks.%s[%zu]", kind, i);
		int r = run_one(h, where, text, ns_pid, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void hooks_run_warn(json_t *hooks, const char *kind, json_t *state)
{
	struct cell_error *err = NULL;
	if (hooks_run(hooks, kind, state, &err) < 0) {
		log_warn("%s", err->msg);
		cell_error_free(err);
	}
}

int hooks_save(json_t *hooks, const char *state_dir, struct cell_error **err)
{
	if (!hooks || json_object_size(hooks) == 0)
		return 0;
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/hooks.json", state_dir) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return json_dump_file_atomic(hooks, path, err);
}

json_t *hooks_load(const char *state_dir)
{
	_cleanup_free_ char *path = NULL;
	json_t *j = NULL;
	if (asprintf(&path, "%s/hooks.json", state_dir) < 0 || access(path, F_OK) < 0)
		return NULL;
	if (json_load_object_file(path, &j, NULL) < 0)
		return NULL;
	return j;
}
