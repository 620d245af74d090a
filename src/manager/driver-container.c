/* driver-container.c - system containers through a runc-compatible runtime's command line (cellrt):
 * celld writes the bundle, a cell-monitor process creates, starts and outlives the container, and
 * the state is read from the monitor's files, so nothing here depends on celld staying up. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cgroup.h"
#include "config-keys.h"
#include "driver.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "network.h"
#include "spawn.h"
#include "storage.h"
#include "strv.h"
#include "trash.h"

static const char *inst_name(json_t *inst)
{
	return json_string_value(json_object_get(inst, "name"));
}

static bool cfg_bool(json_t *config, const char *key)
{
	bool b = false;
	const char *v = json_string_value(json_object_get(config, key));
	if (v)
		config_parse_bool(v, &b);
	return b;
}

static int ct_create(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err)
{
	return storage_instance_create(d, inst_name(inst),
				       cfg_bool(expanded, "security.privileged"), err);
}

static pid_t read_pid_file(const char *path)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file(path, &text, NULL, NULL) < 0)
		return -1;
	return (pid_t)atoi(text);
}

static bool pid_alive(pid_t pid)
{
	char path[64], *text = NULL;
	if (pid <= 0 || kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (fs_read_file(path, &text, NULL, NULL) < 0)
		return false;
	const char *paren = strrchr(text, ')');
	bool zombie = paren && paren[1] == ' ' && paren[2] == 'Z';
	free(text);
	return !zombie;
}

static int ct_state(struct celld *d, json_t *inst, struct instance_state *ret)
{
	const char *name = inst_name(inst);
	_cleanup_free_ char *exitp = storage_path(d, name, "run/exit");
	_cleanup_free_ char *pidp = storage_path(d, name, "run/init.pid");
	_cleanup_free_ char *how = NULL;
	memset(ret, 0, sizeof(*ret));
	if (!exitp || !pidp)
		return -ENOMEM;
	if (fs_read_file(exitp, &how, NULL, NULL) == 0) {
		how[strcspn(how, "\n")] = '\0';
		snprintf(ret->ended, sizeof(ret->ended), "%s", how);
		return 0;
	}
	pid_t pid = read_pid_file(pidp);
	if (pid_alive(pid)) {
		ret->running = true;
		ret->pid = pid;
	}
	return 0;
}

/* Start the monitor and wait for its verdict on fd 3 ("ok" or "error: ..."). */
static int monitor_spawn(struct celld *d, const char *name, struct cell_error **err)
{
	_cleanup_free_ char *bundle = storage_path(d, name, NULL);
	_cleanup_free_ char *run = storage_path(d, name, "run");
	_cleanup_free_ char *rootfs = storage_path(d, name, "rootfs");
	if (!bundle || !run || !rootfs)
		return cell_error_set(err, ENOMEM, "out of memory");
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 3); /* dup2 clears O_CLOEXEC on the copy */
		char *argv[] = { d->monitor,   d->runtime, d->runtime_root, bundle,
				 (char *)name, run,	   rootfs,	    NULL };
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(d->monitor, argv);
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return cell_error_errno(err, errno, "fork");
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	char buf[256] = "";
	ssize_t n, len = 0;
	while (len < (ssize_t)sizeof(buf) - 1 &&
	       (n = read(p[0], buf + len, sizeof(buf) - 1 - (size_t)len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		len += n;
	}
	close(p[0]);
	buf[len] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strcmp(buf, "ok") == 0)
		return 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return cell_error_set(err, EIO, "start %s: cannot run %s", name, d->monitor);
	/* The runtime's own reason is the last line it wrote to the console log. */
	_cleanup_free_ char *logp = storage_path(d, name, "run/console.log");
	_cleanup_free_ char *log = NULL;
	if (logp && fs_read_file(logp, &log, NULL, NULL) == 0) {
		char *end = log + strlen(log);
		while (end > log && end[-1] == '\n')
			*--end = '\0';
		char *last = strrchr(log, '\n');
		return cell_error_set(err, EIO, "start %s: %s", name, last ? last + 1 : log);
	}
	return cell_error_set(err, EIO, "start %s: %s", name, *buf ? buf : "the monitor died");
}

/* config.json is rebuilt from the database at every start, so it needs no fsync (which costs
 * milliseconds on a real disk): a rename keeps a reader from seeing half of it. */
static int write_bundle_config(json_t *spec, const char *path, struct cell_error **err)
{
	_cleanup_free_ char *text = json_dumps(spec, JSON_COMPACT);
	_cleanup_free_ char *tmp = NULL;
	if (!text || asprintf(&tmp, "%s.tmp", path) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return cell_error_errno(err, errno, "create %s", tmp);
	size_t len = strlen(text);
	if (fs_write_all(fd, text, len) != (ssize_t)len || rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return cell_error_errno(err, e, "write %s", path);
	}
	return 0;
}

static int ct_start(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err)
{
	const char *name = inst_name(inst);
	struct instance_state st;
	ct_state(d, inst, &st);
	if (st.running)
		return cell_error_set(err, EBUSY, "instance is already running: %s", name);
	_cleanup_json_ json_t *spec = NULL;
	int r = instance_spec_build(d, name, expanded, &spec, err);
	if (r == 0)
		r = network_instance_start(d, inst, spec, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cfg = storage_path(d, name, "config.json");
	_cleanup_free_ char *exitp = storage_path(d, name, "run/exit");
	_cleanup_free_ char *pidp = storage_path(d, name, "run/init.pid");
	if (!cfg || !exitp || !pidp)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = write_bundle_config(spec, cfg, err)) < 0)
		return r;
	unlink(exitp);
	unlink(pidp);
	r = storage_instance_limit_disk(
		d, name, json_string_value(json_object_get(expanded, "limits.disk")), err);
	if (r < 0)
		return r;
	r = storage_instance_mount(d, name, json_string_value(json_object_get(inst, "image")),
				   cfg_bool(expanded, "security.privileged"), err);
	if (r < 0)
		return r;
	r = monitor_spawn(d, name, err);
	if (r < 0)
		storage_instance_umount(d, name, NULL);
	return r;
}

/* The signal that asks init to power off: busybox's init wants SIGUSR2, systemd SIGRTMIN+3. */
static int stop_signal(struct celld *d, const char *name)
{
	_cleanup_free_ char *root = storage_path(d, name, "rootfs");
	_cleanup_close_ int rfd = root ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rfd < 0)
		return SIGRTMIN + 3;
	_cleanup_close_ int fd = fs_open_in_root(rfd, "/sbin/init", O_PATH | O_NOFOLLOW, 0, NULL);
	char target[256];
	ssize_t n = fd >= 0 ? readlinkat(fd, "", target, sizeof(target) - 1) : -1;
	if (n > 0) {
		target[n] = '\0';
		if (strstr(target, "busybox"))
			return SIGUSR2;
	}
	return SIGRTMIN + 3;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The monitor writes run/exit (by rename) once the container has ended and it has cleaned up,
 * then exits: wait for that, woken by a pidfd of the monitor rather than by polling with sleeps.
 * (Not inotify: closing an inotify instance waits for an SRCU grace period, 10-20 ms here.) */
static bool wait_stopped(struct celld *d, json_t *inst, int timeout_ms)
{
	_cleanup_free_ char *exitp = storage_path(d, inst_name(inst), "run/exit");
	_cleanup_free_ char *monp = storage_path(d, inst_name(inst), "run/monitor.pid");
	if (!exitp || !monp)
		return false;
	pid_t mon = read_pid_file(monp);
	_cleanup_close_ int pfd = mon > 0 ? (int)syscall(SYS_pidfd_open, mon, 0) : -1;
	int64_t until = now_ms() + timeout_ms;
	for (;;) {
		struct instance_state st;
		ct_state(d, inst, &st);
		if (!st.running && fs_exists(exitp))
			return true;
		int64_t left = until - now_ms();
		if (left <= 0)
			return false;
		/* Once the monitor is gone (or was never known), look again every 5 ms; while it
		 * runs, its exit wakes us, with a look every 50 ms should the pid be a reused one. */
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		if (pfd < 0) {
			usleep(5000);
		} else if (poll(&p, 1, (int)(left < 50 ? left : 50)) > 0) {
			close(pfd);
			pfd = -1;
		}
	}
}

static int ct_stop(struct celld *d, json_t *inst, bool force, int timeout_s,
		   struct cell_error **err)
{
	const char *name = inst_name(inst);
	struct instance_state st;
	ct_state(d, inst, &st);
	if (!st.running)
		return 0;
	if (!force) {
		kill(st.pid, stop_signal(d, name));
		if (wait_stopped(d, inst, timeout_s * 1000))
			return 0;
	}
	/* SIGKILL to a PID namespace's init ends the whole namespace. */
	kill(st.pid, SIGKILL);
	if (!wait_stopped(d, inst, 10000))
		return cell_error_set(err, ETIMEDOUT, "stop %s: the container did not end", name);
	return 0;
}

static int ct_exec(struct celld *d, json_t *inst, const struct exec_request *x, int *ret_code,
		   struct cell_error **err)
{
	const char *name = inst_name(inst);
	_cleanup_strv_ char **argv = NULL;
	char user[32];
	snprintf(user, sizeof(user), "%u:%u", (unsigned)x->uid, (unsigned)x->gid);
	int r = 0;
	const char *head[] = { d->runtime, "--root", d->runtime_root, "exec",
			       "--user",   user,     "--cwd",	      x->cwd ? x->cwd : "/" };
	for (size_t i = 0; i < ARRAY_SIZE(head) && r == 0; i++)
		r = strv_append(&argv, head[i]);
	if (r == 0 && x->tty)
		r = strv_append(&argv, "-t");
	strv_foreach (e, x->env) {
		if (r == 0)
			r = strv_append(&argv, "--env");
		if (r == 0)
			r = strv_append(&argv, e);
	}
	if (r == 0)
		r = strv_append(&argv, name);
	strv_foreach (a, x->argv)
		if (r == 0)
			r = strv_append(&argv, a);
	if (r < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	int st = 0;
	_cleanup_error_ struct cell_error *e = NULL;
	if (x->tty)
		spawn_run_tty(argv, x->in_fd, &st, &e);
	else
		spawn_run_in(argv, x->in_fd, x->out_fd, x->err_fd, &st, &e);
	*ret_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return 0;
}

/* A hot-plugged interface is configured as at boot: by the image's /etc/cell/nic-up IFNAME
 * (the busybox image's runs its DHCP client), run as root inside the container. An image without
 * one gets the interface as it is, as with LXD: its own hotplug handling takes over. */
static void nic_up(struct celld *d, json_t *inst, const char *ifname)
{
	_cleanup_free_ char *root = storage_path(d, inst_name(inst), "rootfs");
	_cleanup_close_ int rfd = root ? open(root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	_cleanup_close_ int fd =
		rfd >= 0 ? fs_open_in_root(rfd, "/etc/cell/nic-up", O_PATH, 0, NULL) : -1;
	if (fd < 0)
		return;
	char *argv[] = { (char *)"/etc/cell/nic-up", (char *)ifname, NULL };
	struct exec_request x = { .argv = argv, .in_fd = -1, .out_fd = -1, .err_fd = -1 };
	int code = 0;
	_cleanup_error_ struct cell_error *e = NULL;
	if (ct_exec(d, inst, &x, &code, &e) < 0 || code != 0)
		log_warn("instance %s: /etc/cell/nic-up %s failed (%d)", inst_name(inst), ifname,
			 code);
}

static int ct_hotplug(struct celld *d, json_t *inst, pid_t pid, struct cell_error **err)
{
	_cleanup_json_ json_t *added = NULL;
	int r = network_instance_hotplug(d, inst, pid, &added, err);
	size_t i;
	json_t *v;
	json_array_foreach (added, i, v)
		nic_up(d, inst, json_string_value(v));
	return r;
}

/* Live limits go straight to the instance's cgroup through the runtime's cgroup library (the
 * same code cellrt used to create it), so no runtime `update` verb is needed. */
static int ct_update(struct celld *d, json_t *inst, json_t *expanded, struct cell_error **err)
{
	const char *name = inst_name(inst);
	struct instance_state st;
	ct_state(d, inst, &st);
	if (!st.running)
		return 0;
	_cleanup_json_ json_t *res = NULL;
	int r = config_to_resources(expanded, d->host_mem, d->host_cpus, &res, err);
	if (r < 0)
		return r;
	char cgpath[512];
	snprintf(cgpath, sizeof(cgpath), "/%s/%s", d->cgroup_parent, name);
	struct cgroup *cg = NULL;
	struct cgroup_resources *cr = NULL;
	r = cgroup_new(name, cgpath, &cg, err);
	if (r == 0)
		r = cgroup_resources_parse(res, &cr, err);
	if (r == 0)
		r = cgroup_update(cg, cr, err);
	cgroup_resources_free(cr);
	cgroup_free(cg);
	if (r < 0)
		return cell_error_wrap(err, "apply limits to %s", name);
	return ct_hotplug(d, inst, st.pid, err);
}

static int ct_delete(struct celld *d, json_t *inst, struct cell_error **err)
{
	network_instance_forget(d, inst_name(inst));
	/* Moved aside under the instance's lock (the name is free at once); unmounted and removed
	 * by the trash thread, off the request path. */
	int r = storage_instance_trash(d, inst_name(inst), err);
	trash_kick();
	return r;
}

const struct instance_driver_ops container_driver_ops = {
	.type = "container",
	.create = ct_create,
	.start = ct_start,
	.stop = ct_stop,
	.exec = ct_exec,
	.state = ct_state,
	.update = ct_update,
	.delete = ct_delete,
};

const struct instance_driver_ops *driver_for(const char *type)
{
	static const struct instance_driver_ops *const drivers[] = { &container_driver_ops };
	for (size_t i = 0; i < ARRAY_SIZE(drivers); i++)
		if (strcmp(drivers[i]->type, type ? type : "container") == 0)
			return drivers[i];
	return NULL;
}
