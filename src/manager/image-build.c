/* image-build.c - images built locally from a distribution's archive (debian/12 with debootstrap):
 * built once into a machine-level cache tarball, imported from it like any tarball, with progress. */
#include "image-build.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "cleanup.h"
#include "fs.h"
#include "images.h"
#include "json.h"
#include "log.h"
#include "operations.h"
#include "spawn.h"

#define DEBOOTSTRAP "/usr/sbin/debootstrap"

/* One row per image celld can build. The cache name carries a recipe version: a change to the
 * recipe or to the tree's preparation below must bump it, so no stale tree is imported. */
static const struct image_recipe {
	const char *name;
	const char *suite;
	const char *include;
	const char *cache;
	const char *os, *release, *description;
} recipes[] = {
	{ "debian/12", "bookworm", "systemd-sysv,dbus", "debootstrap-debian-12-v1.tar", "Debian",
	  "12", "Debian 12 (bookworm), debootstrap minbase with systemd" },
};

static const struct image_recipe *recipe_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(recipes); i++)
		if (strcmp(recipes[i].name, name) == 0)
			return &recipes[i];
	return NULL;
}

bool image_build_known(const char *name)
{
	return recipe_find(name) != NULL;
}

char *image_build_names(void)
{
	size_t len = 1;
	for (size_t i = 0; i < ARRAY_SIZE(recipes); i++)
		len += strlen(recipes[i].name) + 2;
	char *s = calloc(1, len);
	for (size_t i = 0; s && i < ARRAY_SIZE(recipes); i++) {
		if (i)
			strcat(s, ", ");
		strcat(s, recipes[i].name);
	}
	return s;
}

struct progress {
	image_progress_fn fn;
	void *ctx;
	struct timespec start;
};

static void report(struct progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(struct progress *p, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	char line[340];
	snprintf(line, sizeof(line), "%s (%lds)", msg, (long)(now.tv_sec - p->start.tv_sec));
	if (p->fn)
		p->fn(p->ctx, line);
}

/*
 * In the child: debootstrap as PID 1 of its own PID namespace, in a private mount namespace. The
 * proc/sys mounts it makes in the target then never show on the host, and when celld dies (even
 * by SIGKILL) the death signals below end this process, then the namespace's init, and with it
 * every dpkg and wget it started, so nothing keeps writing into a tree that reconcile removes.
 */
static int debootstrap_sandboxed(char *const argv[])
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (unshare(CLONE_NEWNS | CLONE_NEWPID) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		dprintf(2, "E: cannot make the build's namespaces: %s\n", strerror(errno));
		return 127;
	}
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], argv);
		dprintf(2, "E: cannot execute %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int st = 0;
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid < 0 ? 127 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run debootstrap with its output on a pipe: each "I: ..." line is progress, the last "E: ..."
 * line (or the last line) is the error. */
static int run_debootstrap(char *const argv[], struct progress *p, struct cell_error **err)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cell_error_errno(err, errno, "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		_exit(debootstrap_sandboxed(argv));
	}
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return cell_error_errno(err, errno, "fork");
	}
	_cleanup_fclose_ FILE *f = fdopen(fds[0], "r");
	char line[512], last[512] = "", error[512] = "";
	unsigned retrieved = 0;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line)
			continue;
		snprintf(last, sizeof(last), "%s", line);
		if (strncmp(line, "E: ", 3) == 0)
			snprintf(error, sizeof(error), "%s", line + 3);
		else if (strncmp(line, "I: ", 3) == 0) {
			retrieved += strncmp(line + 3, "Retrieving ", 11) == 0;
			report(p, "debootstrap: %s [%u retrieved]", line + 3, retrieved);
		}
	}
	if (!f)
		close(fds[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	return cell_error_set(err, EIO, "debootstrap failed: %s", *error ? error : last);
}

/* Make the fresh tree a container image: no host name of the build host (the instance's own
 * is set by the runtime), a machine id made at first boot, no package files, and debugfs (which
 * an unprivileged container cannot mount) not asked for. */
static int tree_prepare(const char *root, struct cell_error **err)
{
	static const char *const gone[] = { "etc/hostname" };
	char path[4096];
	for (size_t i = 0; i < ARRAY_SIZE(gone); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, gone[i]);
		if (unlink(path) < 0 && errno != ENOENT)
			return cell_error_errno(err, errno, "remove %s", path);
	}
	snprintf(path, sizeof(path), "%s/etc/machine-id", root);
	int r = fs_write_file_atomic(path, "", 0, 0444, err);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/etc/systemd/system/sys-kernel-debug.mount", root);
	if (symlink("/dev/null", path) < 0 && errno != EEXIST)
		return cell_error_errno(err, errno, "mask %s", path);
	snprintf(path, sizeof(path), "%s/var/cache/apt/archives", root);
	_cleanup_closedir_ DIR *dir = opendir(path);
	struct dirent *e;
	while (dir && (e = readdir(dir))) {
		size_t n = strlen(e->d_name);
		if (n > 4 && strcmp(e->d_name + n - 4, ".deb") == 0)
			unlinkat(dirfd(dir), e->d_name, 0);
	}
	return 0;
}

/* debootstrap into STATE/images/build-*.tmp (reconcile removes it after a crash), prepare the
 * tree, pack it into the cache file (written under a temporary name, then renamed). */
static int build_cache(struct celld *d, const struct image_recipe *rc, const char *cache,
		       struct progress *p, struct cell_error **err)
{
	if (access(DEBOOTSTRAP, X_OK) < 0)
		return cell_error_set(err, ENOENT,
				      "image %s: debootstrap is not installed (apt-get install "
				      "debootstrap)",
				      rc->name);
	_cleanup_free_ char *tmp = NULL, *root = NULL, *part = NULL;
	if (asprintf(&tmp, "%s/build-%s.tmp", d->images_dir, rc->suite) < 0 ||
	    asprintf(&root, "%s/rootfs", tmp) < 0 ||
	    asprintf(&part, "%s.%d.part", cache, getpid()) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	fs_rm_rf(tmp, NULL);
	int r = fs_mkdir_p(tmp, 0700, err);
	if (r == 0)
		r = fs_mkdir_p(d->cache_dir, 0755, err);
	if (r < 0)
		return r;
	const char *mirror = getenv("CELL_DEBIAN_MIRROR");
	_cleanup_free_ char *include = NULL;
	if (asprintf(&include, "--include=%s", rc->include) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *argv[] = { (char *)DEBOOTSTRAP,
			 (char *)"--variant=minbase",
			 include,
			 (char *)rc->suite,
			 root,
			 (char *)(mirror && *mirror ? mirror : "http://deb.debian.org/debian"),
			 NULL };
	report(p, "debootstrap %s %s: starting", rc->suite, argv[5]);
	log_info("image %s: debootstrap %s into %s", rc->name, rc->suite, root);
	r = run_debootstrap(argv, p, err);
	if (r == 0)
		r = tree_prepare(root, err);
	if (r == 0) {
		report(p, "packing the tree into %s", cache);
		char *tar[] = { (char *)"/bin/tar", (char *)"--numeric-owner",
				(char *)"--xattrs", (char *)"--xattrs-include=*",
				(char *)"-C",	    root,
				(char *)"-cf",	    part,
				(char *)".",	    NULL };
		r = spawn_run(tar, -1, -1, NULL, err);
	}
	if (r == 0 && rename(part, cache) < 0)
		r = cell_error_errno(err, errno, "rename %s", part);
	unlink(part);
	fs_rm_rf(tmp, NULL);
	return r < 0 ? cell_error_wrap(err, "build image %s", rc->name) : 0;
}

int image_build(struct celld *d, const char *name, image_progress_fn fn, void *ctx, char **ret_fp,
		bool *ret_cached, struct cell_error **err)
{
	const struct image_recipe *rc = recipe_find(name);
	if (!rc) {
		_cleanup_free_ char *names = image_build_names();
		return cell_error_set(err, EINVAL,
				      "image %s: celld cannot build it (it builds: %s)",
				      name ? name : "(none)", names ? names : "");
	}
	struct progress p = { .fn = fn, .ctx = ctx };
	clock_gettime(CLOCK_MONOTONIC, &p.start);
	char lock_name[128];
	snprintf(lock_name, sizeof(lock_name), "image-build/%s", rc->name);
	/* One build per image at a time: a second request waits and then finds the alias. */
	struct named_lock *l = named_lock_acquire(lock_name);
	_cleanup_free_ char *fp = NULL, *cache = NULL;
	*ret_cached = db_image_resolve(d->db, rc->name, &fp, NULL) == 0;
	int r = 0;
	if (*ret_cached)
		goto done;
	if (asprintf(&cache, "%s/%s", d->cache_dir, rc->cache) < 0) {
		r = cell_error_set(err, ENOMEM, "out of memory");
		goto done;
	}
	if (!fs_exists(cache))
		r = build_cache(d, rc, cache, &p, err);
	else
		log_info("image %s: from the cached %s", rc->name, cache);
	if (r < 0)
		goto done;
	report(&p, "importing %s", cache);
	json_t *props =
		json_pack("{ss ss ss ss ss}", "os", rc->os, "release", rc->release, "description",
			  rc->description, "architecture", "x86_64", "variant", "minbase");
	r = images_import_file_props(d, cache, props, &fp, err);
	json_decref(props);
	if (r == -EEXIST) {
		/* Imported before under another name, or its alias was removed: reuse it. */
		char sum[65];
		if ((r = images_sha256_file(cache, sum, err)) == 0 && !(fp = strdup(sum)))
			r = cell_error_set(err, ENOMEM, "out of memory");
	}
	if (r == 0)
		r = db_alias_put(d->db, rc->name, fp, rc->description, err);
	if (r == -EEXIST)
		r = 0;
done:
	named_lock_release(l);
	if (r == 0)
		*ret_fp = steal_ptr(fp);
	return r;
}

struct build_arg {
	struct celld *d;
	char *name;
	struct op *op;
};

static void build_arg_free(void *p)
{
	struct build_arg *a = p;
	free(a->name);
	free(a);
}

static void op_progress(void *ctx, const char *msg)
{
	struct build_arg *a = ctx;
	/* LXD's clients show any metadata key ending in "_progress". */
	op_set_metadata(a->op, json_pack("{ss ss}", "build_progress", msg, "alias", a->name));
}

static int op_build(struct op *op, void *p, struct cell_error **err)
{
	struct build_arg *a = p;
	a->op = op;
	_cleanup_free_ char *fp = NULL;
	bool cached = false;
	int r = image_build(a->d, a->name, op_progress, a, &fp, &cached, err);
	if (r == 0)
		op_set_metadata(op, json_pack("{ss ss sb}", "fingerprint", fp, "alias", a->name,
					      "cached", cached));
	return r;
}

int api_images_build(struct request *req, struct response *resp)
{
	_cleanup_error_ struct cell_error *e = NULL;
	json_t *src = json_object_get(req->body, "source");
	const char *name = json_string_value(json_object_get(src, "name"));
	if (!image_build_known(name)) {
		_cleanup_free_ char *names = image_build_names();
		return api_errorf(resp, 400,
				  "source.name: \"%s\" is not an image celld can build (%s)",
				  name ? name : "", names ? names : "");
	}
	struct build_arg *a = calloc(1, sizeof(*a));
	if (!a || !(a->name = strdup(name))) {
		free(a);
		return api_errorf(resp, 500, "out of memory");
	}
	a->d = req->d;
	struct op *op;
	_cleanup_json_ json_t *res = json_pack("{s[s]}", "images", name);
	if (op_start("Building image", res, op_build, a, build_arg_free, &op, &e) < 0)
		return api_error(resp, e);
	return api_async(resp, op);
}
