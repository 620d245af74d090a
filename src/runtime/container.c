/* container.c - create and run: the parent's side (state, cgroup, clone, maps, attach) and the
 * container's init up to the shared last steps in process.c. Parent and child talk over one
 * SOCK_SEQPACKET pair: at most two one-way messages down, and the child's execve (EOF) up. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "fs.h"
#include "hooks.h"
#include "log.h"
#include "namespaces.h"
#include "exeguard.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp-filter.h"
#include "spec.h"
#include "state.h"
#include "viewfs-mounts.h"

struct init_ctx {
	const struct spec *s;
	int sync;
};

static int init_before_cgroup(void *data, struct cell_error **err)
{
	struct init_ctx *ic = data;
	int r = sync_join_cgroup(ic->sync, err);
	if (r < 0)
		return r;
	/* Only now, inside the container's cgroup, so that it becomes the namespace's root. */
	if (ic->s->ns[NS_CGROUP].enabled && !ic->s->ns[NS_CGROUP].path &&
	    unshare(CLONE_NEWCGROUP) < 0)
		return cell_error_errno(err, errno, "linux.namespaces: create a cgroup namespace");
	return 0;
}

static int init_terminal(void *data, int master, struct cell_error **err)
{
	struct init_ctx *ic = data;
	int r = console_send_fd(ic->sync, SYNC_TERMINAL, master);
	return r < 0 ? cell_error_errno(err, -r, "pass the pty to the runtime") : 0;
}

/* Set before the init is forked, read by it: the id under which cellfs serves its views. */
static const char *init_viewfs_id;
/* --preserve-fds of this create, set before the init is cloned (it reads its copy). */
static int init_preserve_fds;
/* The state document for startContainer hooks (NULL without any), likewise. */
static json_t *init_start_state;
/* The seccomp program (generated or cached in the parent), likewise. */
static const struct seccomp_prog *init_seccomp;

static int init_run(const struct spec *s, int sync, int ns_fds[NS__MAX], int fifo_fd, bool no_pivot,
		    struct cell_error **err)
{
	struct init_ctx ic = { .s = s, .sync = sync };
	struct rootfs_hooks hooks = { init_before_cgroup, init_terminal, &ic, init_viewfs_id };
	bool userns = s->ns[NS_USER].enabled && !s->ns[NS_USER].path;
	int r;
	if (userns) {
		if ((r = sync_wait(sync, SYNC_USERNS_READY, err)) < 0)
			return r;
		/* Become the namespace's root, so that what we create is owned by a mapped id. */
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
			return cell_error_errno(err, errno,
						"linux.uidMappings: become root of the user "
						"namespace (is container id 0 mapped?)");
	}
	if ((r = ns_join_and_unshare(s, ns_fds, err)) < 0)
		return r;
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return cell_error_errno(err, errno, "hostname: %s", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return cell_error_errno(err, errno, "domainname: %s", s->domainname);
	if (s->ns[NS_MNT].enabled && !s->ns[NS_MNT].path) {
		if ((r = rootfs_setup(s, userns, no_pivot, &hooks, err)) < 0)
			return r;
	} else {
		/* A joined mount namespace is used as it is. */
		if ((r = init_before_cgroup(&ic, err)) < 0)
			return r;
	}
	struct process_exec pe = { .proc = &s->process,
				   .seccomp = init_seccomp,
				   .sync_fd = sync,
				   .fifo_fd = fifo_fd,
				   .preserve_fds = init_preserve_fds,
				   .personality = s->personality,
				   .hooks = s->hooks,
				   .state = init_start_state,
				   .exeguard = exeguard_wanted(s->annotations) };
	return process_exec(&pe, err);
}

static _Noreturn void container_init(const struct spec *s, int sync, int ns_fds[NS__MAX],
				     int fifo_fd, bool no_pivot, bool detach)
{
	struct cell_error *err = NULL;
	/* Nothing in the container may open our /proc entries (exe, mem, fd) until execve. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!detach)
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	umask(0);
	init_run(s, sync, ns_fds, fifo_fd, no_pivot, &err);
	sync_fail(sync, err);
}

struct creation {
	const struct container_opts *o;
	struct spec *spec;
	char *dir;
	struct cgroup *cg;
	bool cg_created;
	pid_t pid;
	int sync, master, fifo_fd, cgroup_fd, console;
	int ns_fds[NS__MAX];
	struct seccomp_prog seccomp;
};

static void creation_rollback(struct creation *c)
{
	if (c->pid > 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (c->cg_created) {
		cgroup_kill_all(c->cg, SIGKILL, NULL);
		cgroup_destroy(c->cg, NULL);
	}
	if (c->dir)
		fs_rm_rf(c->dir, NULL);
}

static void creation_free(struct creation *c)
{
	ns_close_all(c->ns_fds);
	if (c->sync >= 0)
		close(c->sync);
	if (c->master >= 0)
		close(c->master);
	if (c->fifo_fd >= 0)
		close(c->fifo_fd);
	if (c->cgroup_fd >= 0)
		close(c->cgroup_fd);
	if (c->console >= 0)
		close(c->console);
	cgroup_free(c->cg);
	free(c->dir);
	seccomp_prog_clear(&c->seccomp);
	spec_free(c->spec);
}

/* With a new user namespace, the container's root owns its cgroup (v2 delegation). */
static int delegate_cgroup(struct creation *c, struct cell_error **err)
{
	const struct spec *s = c->spec;
	if (!s->ns[NS_USER].enabled || s->ns[NS_USER].path)
		return 0;
	for (size_t u = 0; u < s->nuid_maps; u++)
		for (size_t g = 0; g < s->ngid_maps; g++)
			if (s->uid_maps[u].container_id == 0 && s->gid_maps[g].container_id == 0)
				return cgroup_delegate(c->cg, s->uid_maps[u].host_id,
						       s->gid_maps[g].host_id, err);
	return 0;
}

/* runc's --console-socket: a unix socket that receives the pty master as SCM_RIGHTS. */
static int connect_console_socket(struct creation *c, struct cell_error **err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(c->o->console_socket) >= sizeof(addr.sun_path))
		return cell_error_set(err, ENAMETOOLONG, "--console-socket: path too long");
	strcpy(addr.sun_path, c->o->console_socket);
	c->console = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->console < 0 || connect(c->console, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cell_error_errno(err, errno, "--console-socket: connect %s",
					c->o->console_socket);
	return 0;
}

static int prepare(struct creation *c, struct cell_error **err)
{
	const struct container_opts *o = c->o;
	struct stat st;
	int r;
	if ((r = state_validate_id(o->id, err)) < 0 ||
	    (r = spec_load(o->bundle, &c->spec, err)) < 0)
		return r;
	struct spec *s = c->spec;
	if (s->process.terminal && o->detach && !o->console_socket)
		return cell_error_set(err, EINVAL,
				      "process.terminal: create needs --console-socket to hand the "
				      "terminal to (or use run, or terminal false)");
	if (o->console_socket && (r = connect_console_socket(c, err)) < 0)
		return r;
	if (stat(s->root_path, &st) < 0)
		return cell_error_errno(err, errno, "root.path: %s", s->root_path);
	if (!S_ISDIR(st.st_mode))
		return cell_error_set(err, ENOTDIR, "root.path: %s is not a directory",
				      s->root_path);
	if (!s->ns[NS_MNT].enabled)
		return cell_error_set(err, EINVAL,
				      "linux.namespaces: a mount namespace is required");
	if ((r = ns_open_joined(s, c->ns_fds, err)) < 0)
		return r;
	if ((r = cgroup_new(o->id, s->cgroups_path, &c->cg, err)) < 0)
		return r;
	if ((r = fs_mkdir_p(o->root, 0711, err)) < 0 ||
	    (r = state_dir(o->root, o->id, &c->dir, err)) < 0 ||
	    (r = seccomp_prog_compile(s->seccomp, o->root, &c->seccomp, err)) < 0)
		return r;
	if (mkdir(c->dir, 0711) < 0) {
		int e = errno;
		free(c->dir);
		c->dir = NULL; /* not ours to remove */
		if (e == EEXIST)
			return cell_error_set(err, EEXIST, "container %s already exists", o->id);
		return cell_error_errno(err, e, "mkdir %s/%s", o->root, o->id);
	}
	/* On cgroup v2 the child is cloned straight into its cgroup, which must exist first; on
	 * v1 the cgroup is made while the child builds its mounts (follow_child), and the child
	 * moves itself in; on a hybrid host it is cloned into the cgroup2 directory, made now. */
	enum cgroup_layout layout;
	if ((r = cgroup_detect_layout(&layout, err)) < 0)
		return r;
	if (layout == CGROUP_LAYOUT_V2) {
		if ((r = cgroup_create(c->cg, s->resources, err)) < 0)
			return r;
		c->cg_created = true;
		if ((r = delegate_cgroup(c, err)) < 0)
			return r;
		c->cgroup_fd = cgroup_open_leaf(c->cg, NULL);
	} else if (layout == CGROUP_LAYOUT_HYBRID) {
		c->cg_created = true; /* from here on, rollback removes what there is */
		c->cgroup_fd = cgroup_open_leaf(c->cg, err);
		if (c->cgroup_fd < 0 && c->cgroup_fd != -EOPNOTSUPP)
			return c->cgroup_fd;
	}
	if (o->detach) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/exec.fifo", c->dir);
		/* The init opens it for writing after it became the container's root, which in a
		 * user namespace is an unprivileged host uid: the fifo is 0622 (umask aside) and
		 * owned by that uid, so no one else but root can open it to release the init.
		 * The state dir stays root's, 0711. */
		uid_t uid;
		gid_t gid;
		userns_host_root(s, &uid, &gid);
		if (mkfifo(path, 0600) < 0 || chmod(path, 0622) < 0 ||
		    ((uid || gid) && chown(path, uid, gid) < 0) ||
		    (c->fifo_fd = open(path, O_PATH | O_CLOEXEC)) < 0)
			return cell_error_errno(err, errno, "create %s", path);
	}
	return 0;
}

/* The OCI state document of the container being created, for its hooks. */
static json_t *creation_state_json(const struct creation *c, enum container_status status)
{
	struct container_state st = {
		.id = (char *)c->o->id,
		.pid = c->pid,
		.bundle = c->spec->bundle,
		.rootfs = c->spec->root_path,
		.annotations = c->spec->annotations,
	};
	return state_to_json(&st, status);
}

static bool has_create_hooks(const struct spec *s)
{
	return hooks_has(s->hooks, "prestart") || hooks_has(s->hooks, "createRuntime") ||
	       hooks_has(s->hooks, "createContainer");
}

/* createRuntime (and the deprecated prestart), then createContainer in the container's
 * namespaces: namespaces made, root not yet pivoted. */
static int run_create_hooks(const struct creation *c, struct cell_error **err)
{
	json_t *h = c->spec->hooks;
	if (!has_create_hooks(c->spec))
		return 0;
	_cleanup_json_ json_t *state = creation_state_json(c, STATUS_CREATING);
	int r;
	if (!state)
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = hooks_run(h, "prestart", state, err)) < 0 ||
	    (r = hooks_run(h, "createRuntime", state, err)) < 0 ||
	    (r = hooks_run_in(h, "createContainer", state, c->pid, err)) < 0)
		return r;
	return 0;
}

/* The init's seccomp listener, on to the agent at listenerPath with the state. */
static int pass_listener(const struct creation *c, int fd, struct cell_error **err)
{
	_cleanup_close_ int listener = fd;
	if (listener < 0 || !c->spec->seccomp_listener)
		return cell_error_set(err, EPROTO, "linux.seccomp: unexpected listener");
	_cleanup_json_ json_t *state = creation_state_json(c, STATUS_CREATING);
	if (!state)
		return cell_error_set(err, ENOMEM, "out of memory");
	return seccomp_listener_send(c->spec->seccomp_listener, c->spec->seccomp_metadata, state,
				     c->pid, listener, err);
}

/* Between clone and the child's execve (EOF) or its wait for start ('R'). */
static int follow_child(struct creation *c, struct cell_error **err)
{
	const struct spec *s = c->spec;
	int r;
	if (s->ns[NS_USER].enabled && !s->ns[NS_USER].path) {
		if ((r = userns_write_maps(s, c->pid, err)) < 0)
			return r;
		sync_send(c->sync, SYNC_USERNS_READY);
	}
	enum cgroup_layout layout;
	if ((r = cgroup_detect_layout(&layout, err)) < 0)
		return r;
	if (layout != CGROUP_LAYOUT_V2) {
		c->cg_created = true;
		if ((r = cgroup_create(c->cg, s->resources, err)) < 0 ||
		    (r = delegate_cgroup(c, err)) < 0)
			return r;
	}
	/* The init moves itself in when it gets 'C' (cgroup.h), unless hooks that run before must
	 * find it there already, or it missed being cloned into the v2 or hybrid cgroup2 one: then
	 * we move it (which may wait for a grace period). */
	bool cloned_in = c->cgroup_fd >= 0;
	bool self_join = !has_create_hooks(s) && (layout == CGROUP_LAYOUT_V1 || cloned_in);
	if (!self_join && !(layout == CGROUP_LAYOUT_V2 && cloned_in) &&
	    (r = cgroup_attach(c->cg, c->pid, err)) < 0)
		return r;
	if ((r = process_set_oom_score_adj(c->pid, &s->process, err)) < 0)
		return r;
	if ((r = run_create_hooks(c, err)) < 0 ||
	    (r = sync_send_cgroup(c->sync, self_join ? c->cg : NULL, err)) < 0)
		return r;
	for (;;) {
		char buf[2048];
		int fd;
		ssize_t n = console_recv(c->sync, buf, sizeof(buf) - 1, &fd);
		if (n < 0)
			return cell_error_errno(err, (int)-n, "read from the container's init");
		if (n == 0)
			return 0; /* execve closed the child's end */
		buf[n] = '\0';
		switch (buf[0]) {
		case SYNC_ERROR:
			return cell_error_set(err, EINVAL, "%s", buf + 1);
		case SYNC_TERMINAL:
			if (c->master >= 0)
				close(c->master);
			c->master = fd;
			if (c->console >= 0 && console_send_fd(c->console, 'T', fd) < 0)
				return cell_error_errno(err, errno,
							"--console-socket: send the pty");
			break;
		case SYNC_SECCOMP:
			if ((r = pass_listener(c, fd, err)) < 0)
				return r;
			sync_send(c->sync, SYNC_LISTENER_SENT);
			break;
		case SYNC_CREATED:
			return 0;
		default:
			if (fd >= 0)
				close(fd);
			return cell_error_set(err, EPROTO, "unexpected message from the init");
		}
	}
}

static char *now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}

static int record_state(struct creation *c, struct cell_error **err)
{
	bool alive;
	struct container_state st = {
		.id = (char *)c->o->id,
		.pid = c->pid,
		.start_time = state_pid_start_time(c->pid, &alive),
		.bundle = c->spec->bundle,
		.rootfs = c->spec->root_path,
		.created = now_rfc3339(),
		.cgroups_path =
			(char *)cgroup_path(c->cg), /* the saved form cgroup_new() takes back */
		.owner = geteuid(),
		.terminal = c->spec->process.terminal,
		.annotations = c->spec->annotations,
	};
	int r = state_write(c->o->root, &st, err);
	free(st.created);
	if (r < 0 || (r = hooks_save(c->spec->hooks, c->dir, err)) < 0)
		return r;
	if (c->o->pid_file) {
		if ((r = state_write_pid_file(c->o->pid_file, c->pid, err)) < 0)
			return r;
	}
	return 0;
}

static int launch(struct creation *c, struct cell_error **err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cell_error_errno(err, errno, "socketpair");
	c->sync = sv[0];
	if (c->ns_fds[NS_PID] >= 0 && setns(c->ns_fds[NS_PID], CLONE_NEWPID) < 0) {
		close(sv[1]);
		return cell_error_errno(err, errno, "linux.namespaces: join %s",
					c->spec->ns[NS_PID].path);
	}
	init_viewfs_id = viewfs_requested(c->spec->annotations) ? c->o->id : NULL;
	init_preserve_fds = c->o->preserve_fds;
	init_seccomp = &c->seccomp;
	_cleanup_json_ json_t *start_state = NULL;
	if (hooks_has(c->spec->hooks, "startContainer") &&
	    !(start_state = creation_state_json(c, STATUS_CREATED))) {
		close(sv[1]);
		return cell_error_set(err, ENOMEM, "out of memory");
	}
	init_start_state = start_state;
	fflush(NULL);
	c->pid = process_clone((uint64_t)ns_clone_flags(c->spec), c->cgroup_fd);
	if (c->pid == 0) {
		close(sv[0]);
		container_init(c->spec, sv[1], c->ns_fds, c->fifo_fd, c->o->no_pivot, c->o->detach);
	}
	int e = errno;
	close(sv[1]);
	if (c->pid < 0)
		return cell_error_errno(err, e, "clone the container's init (namespaces)");
	return 0;
}

int container_create(const struct container_opts *o, int *ret_status, struct cell_error **err)
{
	struct creation c = {
		.o = o, .sync = -1, .master = -1, .fifo_fd = -1, .cgroup_fd = -1, .console = -1
	};
	for (int t = 0; t < NS__MAX; t++)
		c.ns_fds[t] = -1;
	if (!o->detach)
		container_hold_signals();
	int r = prepare(&c, err);
	if (r == 0)
		r = launch(&c, err);
	if (r == 0)
		log_debug("container %s: init is pid %d", o->id, c.pid);
	if (r == 0)
		r = follow_child(&c, err);
	if (r == 0)
		r = record_state(&c, err);
	if (r < 0) {
		creation_rollback(&c);
		creation_free(&c);
		return r;
	}
	if (o->detach) {
		c.pid = -1; /* the init outlives us, waiting for start */
		creation_free(&c);
		return 0;
	}
	_cleanup_json_ json_t *hstate = creation_state_json(&c, STATUS_RUNNING);
	hooks_run_warn(c.spec->hooks, "poststart", hstate);
	int status = 0;
	if (c.master >= 0 && c.console < 0)
		r = console_proxy(c.master, c.pid, &status, err);
	else
		r = container_wait(c.pid, &status, err);
	c.pid = -1;
	/* The container is over: take down what is left of it (with its own pid namespace,
	 * everything died with its init). */
	if (!c.spec->ns[NS_PID].enabled || c.spec->ns[NS_PID].path)
		cgroup_kill_all(c.cg, SIGKILL, NULL);
	struct cell_error *derr = NULL;
	if (cgroup_destroy(c.cg, &derr) < 0) {
		log_warn("%s", derr->msg);
		cell_error_free(derr);
	}
	c.cg_created = false;
	creation_rollback(&c);
	if (hstate)
		json_object_set_new(hstate, "status", json_string("stopped"));
	hooks_run_warn(c.spec->hooks, "poststop", hstate);
	creation_free(&c);
	if (r < 0)
		return r;
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

void container_forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(set, forwarded[i]);
}

void container_hold_signals(void)
{
	sigset_t set;
	container_forwarded_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static volatile pid_t forward_pid;

static void forward_signal(int sig)
{
	if (forward_pid > 0)
		kill(forward_pid, sig);
}

int container_wait(pid_t pid, int *ret_status, struct cell_error **err)
{
	struct sigaction sa = { .sa_handler = forward_signal }, old[ARRAY_SIZE(forwarded)];
	sigset_t set;
	forward_pid = pid;
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &sa, &old[i]);
	/* what came while the container was being made is delivered (and forwarded) here */
	container_forwarded_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	int r;
	while ((r = waitpid(pid, ret_status, 0)) < 0 && errno == EINTR)
		;
	int e = errno;
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaction(forwarded[i], &old[i], NULL);
	forward_pid = 0;
	if (r < 0)
		return cell_error_errno(err, e, "wait for pid %d", pid);
	return 0;
}
