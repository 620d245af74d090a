/* exec.c - run another process in a live container: its cgroup, its namespaces (user first, pid
 * through a child born in it), its root, and the config's capabilities, seccomp and limits. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "console.h"
#include "console-socket.h"
#include "json.h"
#include "log.h"
#include "container.h"
#include "fs.h"
#include "exeguard.h"
#include "process.h"
#include "seccomp-filter.h"
#include "spec.h"
#include "state.h"
#include "strv.h"

struct exec_ctx {
	struct seccomp_prog seccomp;
	int ns_fds[NS__MAX];
	int root_fd;
	int sync;
	int preserve_fds;
};

/* Open the namespaces of pid that differ from ours. */
static int open_namespaces(pid_t pid, int fds[NS__MAX], struct cell_error **err)
{
	for (int t = 0; t < NS__MAX; t++) {
		char path[64], self[64];
		struct stat a, b;
		fds[t] = -1;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, spec_ns_proc_name(t));
		snprintf(self, sizeof(self), "/proc/self/ns/%s", spec_ns_proc_name(t));
		if (stat(path, &a) < 0) {
			if (errno == ENOENT && t == NS_TIME)
				continue;
			return cell_error_errno(err, errno, "%s", path);
		}
		if (stat(self, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[t] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0)
			return cell_error_errno(err, errno, "%s", path);
	}
	return 0;
}

static int exec_child(struct exec_ctx *x, const struct spec *s, struct cell_error **err)
{
	int r = sync_join_cgroup(x->sync, err);
	if (r < 0)
		return r;
	for (int t = 0; t < NS__MAX; t++) {
		if (x->ns_fds[t] < 0 || t == NS_PID)
			continue;
		if (setns(x->ns_fds[t], 0) < 0)
			return cell_error_errno(err, errno, "join the container's %s namespace",
						spec_ns_name(t));
	}
	/* The init's root, not the mount namespace's: right under --no-pivot too. */
	if (fchdir(x->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return cell_error_errno(err, errno, "enter the container's root");
	/* A pty of its own, as runc gives; /dev/console stays the init's (a bind here would
	 * change the container's mounts for every process, and outlive this one). */
	if (s->process.terminal) {
		_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		_cleanup_close_ int master = console_setup(root, s->process.console_rows,
							   s->process.console_cols, false, err);
		if (master < 0)
			return master;
		if ((r = console_send_fd(x->sync, SYNC_TERMINAL, master)) < 0)
			return cell_error_errno(err, -r, "pass the pty to the runtime");
	}
	struct process_exec pe = {
		.proc = &s->process,
		.seccomp = &x->seccomp,
		.sync_fd = x->sync,
		.fifo_fd = -1,
		.preserve_fds = x->preserve_fds,
		.personality = s->personality,
		.exeguard = exeguard_wanted(s->annotations),
	};
	return process_exec(&pe, err);
}

/* runc's exec --cap: into bounding, effective and permitted; into ambient too when the process
 * has inheritable capabilities (ambient needs them). */
static int add_caps(struct spec_process *p, char **names, struct cell_error **err)
{
	strv_foreach (name, names) {
		cap_value_t cap;
		if (cap_from_name(name, &cap) < 0 || cap >= 64 || !CAP_IS_SUPPORTED(cap))
			return cell_error_set(err, EINVAL, "--cap: unknown capability '%s'", name);
		uint64_t bit = 1ULL << cap;
		p->caps.present = true;
		p->caps.bounding |= bit;
		p->caps.effective |= bit;
		p->caps.permitted |= bit;
		if (p->caps.inheritable)
			p->caps.ambient |= bit;
	}
	return 0;
}

static int override_process(struct spec_process *p, const struct exec_opts *o,
			    struct cell_error **err)
{
	int r = add_caps(p, o->caps, err);
	if (r < 0)
		return r;
	p->no_new_privs |= o->no_new_privs;
	if (o->process_file) {
		/* runc's exec --process: the whole process comes from the file */
		_cleanup_json_ json_t *j = NULL;
		if ((r = json_load_object_file(o->process_file, &j, err)) < 0)
			return r;
		spec_process_clear(p);
		if ((r = spec_parse_process(j, "--process", p, err)) < 0 ||
		    (r = add_caps(p, o->caps, err)) < 0)
			return r;
		p->no_new_privs |= o->no_new_privs;
		return 0;
	}
	strv_free(p->args);
	p->args = NULL;
	strv_foreach (a, o->args)
		if (strv_append(&p->args, a) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	strv_foreach (e, o->env)
		if (strv_env_set(&p->env, e) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	if (o->cwd) {
		free(p->cwd);
		if (!(p->cwd = strdup(o->cwd)))
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	if (o->user) {
		unsigned uid, gid;
		int n = sscanf(o->user, "%u:%u", &uid, &gid);
		if (n < 1)
			return cell_error_set(err, EINVAL, "--user: '%s' is not UID[:GID]",
					      o->user);
		p->uid = uid;
		p->gid = n == 2 ? gid : p->gid;
	}
	p->terminal = o->tty;
	return 0;
}

/* The exec'd process's seccomp listener, on to the agent at listenerPath with the state. */
static int pass_listener(const struct spec *s, const struct container_state *st, pid_t pid, int fd,
			 struct cell_error **err)
{
	_cleanup_close_ int listener = fd;
	if (listener < 0 || !s->seccomp_listener)
		return cell_error_set(err, EPROTO, "linux.seccomp: unexpected listener");
	_cleanup_json_ json_t *state = state_to_json(st, STATUS_RUNNING);
	if (!state)
		return cell_error_set(err, ENOMEM, "out of memory");
	return seccomp_listener_send(s->seccomp_listener, s->seccomp_metadata, state, pid, listener,
				     err);
}

/* The child's messages until it execs (its socket closes on exec): a pty master, a seccomp
 * listener to pass on, or the error that stopped it. */
static int exec_receive(int sock, const struct spec *s, const struct container_state *st, pid_t pid,
			const char *id, int *master, struct cell_error **err)
{
	for (;;) {
		char buf[2048];
		int fd;
		ssize_t n = console_recv(sock, buf, sizeof(buf) - 1, &fd);
		if (n <= 0)
			return 0;
		buf[n] = '\0';
		if (buf[0] == SYNC_TERMINAL) {
			*master = fd;
			continue;
		}
		if (buf[0] == SYNC_SECCOMP) {
			int r = pass_listener(s, st, pid, fd, err);
			if (r < 0)
				return r;
			sync_send(sock, SYNC_LISTENER_SENT);
			continue;
		}
		return cell_error_set(err, EINVAL, "exec in %s: %s", id,
				      buf[0] == SYNC_ERROR ? buf + 1 : "protocol error");
	}
}

/* Clone the child into the container's pid namespace (we return to ours) and, where the layout
 * allows, straight into its cgroup2 directory; *leaf says whether that worked. */
static pid_t exec_clone(struct exec_ctx *x, const struct spec *s, const struct exec_opts *o,
			struct cgroup *cg, int sv[2], int *leaf, struct cell_error **err)
{
	_cleanup_close_ int own_pidns = -1;
	/* Our child is born in the container's pid namespace; we stay where we are, and so do our
	 * later children (LeakSanitizer's tracer must see us: it hangs our exit otherwise). */
	if (x->ns_fds[NS_PID] >= 0 &&
	    ((own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC)) < 0 ||
	     setns(x->ns_fds[NS_PID], CLONE_NEWPID) < 0))
		return cell_error_errno(err, errno, "join the container's pid namespace");
	*leaf = cgroup_open_leaf(cg, NULL);
	fflush(NULL);
	pid_t pid = process_clone(0, *leaf);
	if (pid < 0 && *leaf >= 0) {
		close(*leaf);
		*leaf = -1;
		pid = process_clone(0, -1);
	}
	int clone_errno = errno;
	if (pid != 0 && own_pidns >= 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		log_warn("return to our own pid namespace: %s", strerror(errno));
	if (pid == 0) {
		struct cell_error *cerr = NULL;
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		if (!o->detach)
			prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		close(sv[0]);
		x->sync = sv[1];
		exec_child(x, s, &cerr);
		sync_fail(x->sync, cerr);
	}
	if (pid < 0)
		return cell_error_errno(err, clone_errno, "fork");
	return pid;
}

int container_exec(const struct exec_opts *o, int *ret_status, struct cell_error **err)
{
	struct container_state st;
	_cleanup_spec_ struct spec *s = NULL;
	struct cgroup *cg = NULL;
	struct exec_ctx x = { .root_fd = -1, .sync = -1, .preserve_fds = o->preserve_fds };
	int r = state_read(o->root, o->id, &st, err), sv[2] = { -1, -1 }, master = -1;
	int leaf = -1, console = -1;
	pid_t pid = -1;
	for (int t = 0; t < NS__MAX; t++)
		x.ns_fds[t] = -1;
	if (r < 0)
		return r;
	if (!o->detach)
		container_hold_signals();
	enum container_status status = container_status(o->root, &st);
	if (status != STATUS_RUNNING && status != STATUS_CREATED) {
		r = cell_error_set(err, EINVAL, "cannot exec in container %s: it is %s", o->id,
				   state_status_name(status));
		goto out;
	}
	char rootpath[64];
	snprintf(rootpath, sizeof(rootpath), "/proc/%d/root", st.pid);
	if ((r = spec_load(st.bundle, &s, err)) < 0 ||
	    (r = override_process(&s->process, o, err)) < 0 ||
	    (r = seccomp_prog_compile(s->seccomp, o->root, &x.seccomp, err)) < 0 ||
	    (r = open_namespaces(st.pid, x.ns_fds, err)) < 0 ||
	    (r = cgroup_new(o->id, st.cgroups_path, &cg, err)) < 0)
		goto out;
	if ((x.root_fd = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = cell_error_errno(err, errno, "%s", rootpath);
		goto out;
	}
	/* The pty's destination is connected to first: a bad one fails before anything runs. */
	if (o->detach && o->console_socket && s->process.terminal &&
	    (console = console_socket_connect(o->console_socket, err)) < 0) {
		r = console;
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = cell_error_errno(err, errno, "socketpair");
		goto out;
	}
	/* Born in the container's v2 (or hybrid cgroup2) directory where we can: no attach. */
	enum cgroup_layout layout;
	if ((r = cgroup_detect_layout(&layout, err)) < 0)
		goto out;
	pid = exec_clone(&x, s, o, cg, sv, &leaf, err);
	close(sv[1]);
	sv[1] = -1;
	if (pid < 0) {
		r = pid;
		goto out;
	}
	/* A cgroup object from a saved path knows its directories but not which hierarchies the
	 * container uses; find tells it, leaving limits set since by `update` alone. The
	 * child then moves itself into the v1 hierarchies (cgroup.h), unless it missed the clone
	 * into the hybrid cgroup2 (or v2) directory: then we move it, in every hierarchy. */
	bool self_join = layout == CGROUP_LAYOUT_V1 || leaf >= 0;
	if ((r = cgroup_find(cg, s->resources, err)) < 0 ||
	    (!self_join && (r = cgroup_attach(cg, pid, err)) < 0) ||
	    (r = process_set_oom_score_adj(pid, &s->process, err)) < 0 ||
	    (r = sync_send_cgroup(sv[0], self_join ? cg : NULL, err)) < 0)
		goto out;
	if ((r = exec_receive(sv[0], s, &st, pid, o->id, &master, err)) < 0)
		goto out;
	if (o->pid_file) {
		if ((r = state_write_pid_file(o->pid_file, pid, err)) < 0)
			goto out;
	}
	if (o->detach) {
		/* the caller (conmon, the shim) is the subreaper that waits for it */
		if (master >= 0 && console >= 0)
			r = console_socket_send(console, o->console_socket, master, err);
		if (r == 0)
			pid = -1;
		goto out;
	}
	int wstatus = 0;
	r = master >= 0 ? console_proxy(master, pid, &wstatus, err) :
			  container_wait(pid, &wstatus, err);
	pid = -1;
	if (r == 0)
		*ret_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
out:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (master >= 0)
		close(master);
	if (console >= 0)
		close(console);
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (x.root_fd >= 0)
		close(x.root_fd);
	if (leaf >= 0)
		close(leaf);
	for (int t = 0; t < NS__MAX; t++)
		if (x.ns_fds[t] >= 0)
			close(x.ns_fds[t]);
	cgroup_free(cg);
	seccomp_prog_clear(&x.seccomp);
	container_state_clear(&st);
	return r;
}
