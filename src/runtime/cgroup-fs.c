/* cgroup-fs.c - reading and writing cgroup files with as few syscalls as the kernel allows:
 * one open/write/close per value, and mkdir that looks at parents only when it has to. */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fs.h"

int cg_write(const char *dir, const char *name, const char *value, struct cell_error **err)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return cell_error_set(err, ENAMETOOLONG, "%s/%s: path too long", dir, name);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", path);
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	if (n < 0)
		return cell_error_errno(err, errno, "write \"%s\" to %s", value, path);
	if ((size_t)n != len)
		return cell_error_set(err, EIO, "write \"%s\" to %s: short write", value, path);
	return 0;
}

int cg_writef(const char *dir, const char *name, struct cell_error **err, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return cell_error_set(err, EINVAL, "%s/%s: value too long", dir, name);
	return cg_write(dir, name, buf, err);
}

int cg_read(const char *dir, const char *name, char **ret, struct cell_error **err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t len = 0;
	int r = fs_read_file(path, ret, &len, err);
	if (r < 0)
		return r;
	while (len > 0 && (*ret)[len - 1] == '\n')
		(*ret)[--len] = 0;
	return 0;
}

int cg_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = cg_read(dir, name, &text, NULL);
	if (r < 0)
		return r;
	size_t klen = strlen(key);
	for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (!strncmp(l, key, klen) && l[klen] == ' ') {
			*ret = strtoull(l + klen + 1, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

int cg_read_u64(const char *dir, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *text = NULL;
	int r = cg_read(dir, name, &text, NULL);
	if (r < 0)
		return r;
	/* "max" in v2 files is an absent limit. */
	*ret = !strcmp(text, "max") ? UINT64_MAX : strtoull(text, NULL, 10);
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_len, struct cell_error **err)
{
	_cleanup_free_ char *text = NULL;
	int r = cg_read(dir, "cgroup.procs", &text, err);
	if (r < 0)
		return r;
	size_t n = 0, cap = 16;
	_cleanup_free_ pid_t *pids = malloc(cap * sizeof(*pids));
	if (!pids)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (char *p = text; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (n == cap) {
			pid_t *np = realloc(pids, (cap *= 2) * sizeof(*pids));
			if (!np)
				return cell_error_set(err, ENOMEM, "out of memory");
			pids = np;
		}
		pids[n++] = (pid_t)v;
		p = end + strspn(end, "\n");
	}
	qsort(pids, n, sizeof(*pids), cmp_pid);
	*ret = steal_ptr(pids);
	*ret_len = n;
	return 0;
}

int cg_mkdir(const char *abs, size_t root_len, int *n_made, struct cell_error **err)
{
	*n_made = 0;
	if (mkdir(abs, 0755) == 0) {
		*n_made = 1;
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return cell_error_errno(err, errno, "mkdir %s", abs);
	/* Missing parents: make them one by one from the first missing one. */
	_cleanup_free_ char *p = strdup(abs);
	if (!p)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *slash = strrchr(p, '/');
	/* Never make the hierarchy itself: a missing one is not mounted. */
	if (!slash || (size_t)(slash - p) <= root_len)
		return cell_error_set(err, ENOENT, "mkdir %s: hierarchy not mounted", abs);
	*slash = 0;
	int made = 0;
	int r = cg_mkdir(p, root_len, &made, err);
	if (r < 0)
		return r;
	if (mkdir(abs, 0755) < 0 && errno != EEXIST) {
		r = cell_error_errno(err, errno, "mkdir %s", abs);
		cg_rmdir_made(p, made);
		return r;
	}
	*n_made = made + 1;
	return 0;
}

/* The cgroups a delegated container made below its own (a systemd inside makes init.scope,
 * system.slice/...), deepest first; the cgroup files themselves cannot be unlinked. */
static void rmdir_children(const char *abs, int depth)
{
	_cleanup_closedir_ DIR *d = depth < 32 ? opendir(abs) : NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char sub[4096];
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", abs, e->d_name) >= sizeof(sub))
			continue;
		rmdir_children(sub, depth + 1);
		rmdir(sub);
	}
}

int cg_rmdir(const char *abs, struct cell_error **err)
{
	/* Tasks that were killed leave their cgroup a little after they are reaped. */
	for (int i = 0; i < 200; i++) {
		if (rmdir(abs) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			break;
		rmdir_children(abs, 0);
		if (rmdir(abs) == 0)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 5 * 1000 * 1000 }, NULL);
	}
	return cell_error_errno(err, errno, "rmdir %s", abs);
}

void cg_rmdir_made(const char *abs, int n_made)
{
	_cleanup_free_ char *p = strdup(abs);
	for (int i = 0; p && i < n_made; i++) {
		if (rmdir(p) < 0)
			break;
		char *slash = strrchr(p, '/');
		if (!slash)
			break;
		*slash = 0;
	}
}
