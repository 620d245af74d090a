/* cgroup.c - the cgroup front end: detect the host's layout, compute a container's cgroup paths
 * by runc's rules, and hand every operation to the v1 or the v2 backend. */
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fs.h"
#include "log.h"

const char *const cgroup_hier_names[CGH_N] = {
	[CGH_FREEZER] = "freezer", [CGH_MEMORY] = "memory",	[CGH_CPU] = "cpu",
	[CGH_CPUACCT] = "cpuacct", [CGH_CPUSET] = "cpuset",	[CGH_PIDS] = "pids",
	[CGH_DEVICES] = "devices", [CGH_BLKIO] = "blkio",	[CGH_HUGETLB] = "hugetlb",
	[CGH_NET_CLS] = "net_cls", [CGH_NET_PRIO] = "net_prio", [CGH_SYSTEMD] = "systemd",
	[CGH_UNIFIED] = "",
};

static struct {
	char *root;
	bool layout_known;
	enum cgroup_layout layout;
	char *own; /* tests: the "own cgroup" used for every hierarchy */
} cg_state;

const char *cgroup_root(void)
{
	return cg_state.root ? cg_state.root : "/sys/fs/cgroup";
}

void cgroup_set_root_for_tests(const char *root, enum cgroup_layout layout, const char *own_cgroup)
{
	free(cg_state.root);
	free(cg_state.own);
	cg_state.root = root ? strdup(root) : NULL;
	cg_state.own = own_cgroup ? strdup(own_cgroup) : NULL;
	cg_state.layout = layout;
	cg_state.layout_known = root != NULL;
}

int cgroup_detect_layout(enum cgroup_layout *ret, struct cell_error **err)
{
	if (!cg_state.layout_known) {
		struct statfs st;
		if (statfs("/sys/fs/cgroup", &st) < 0)
			return cell_error_errno(err, errno, "statfs /sys/fs/cgroup");
		if (st.f_type == CGROUP2_SUPER_MAGIC)
			cg_state.layout = CGROUP_LAYOUT_V2;
		else if (statfs("/sys/fs/cgroup/unified", &st) == 0 &&
			 st.f_type == CGROUP2_SUPER_MAGIC)
			cg_state.layout = CGROUP_LAYOUT_HYBRID;
		else
			cg_state.layout = CGROUP_LAYOUT_V1;
		cg_state.layout_known = true;
	}
	*ret = cg_state.layout;
	return 0;
}

const char *cgroup_layout_name(enum cgroup_layout layout)
{
	switch (layout) {
	case CGROUP_LAYOUT_V1:
		return "v1";
	case CGROUP_LAYOUT_HYBRID:
		return "hybrid";
	case CGROUP_LAYOUT_V2:
		return "v2";
	}
	return "unknown";
}

/* Lexically clean p as an absolute path ("a/../../b" -> "/b"), as runc's CleanPath does, so
 * no cgroupsPath can climb out of a hierarchy. */
static char *clean_path(const char *p)
{
	char *out = malloc(strlen(p) + 2);
	if (!out)
		return NULL;
	size_t n = 0;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = strchrnul(p, '/');
		size_t len = e - p;
		if (len == 0 || (len == 1 && p[0] == '.')) {
			/* skip */
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[--n] != '/')
				;
		} else {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = e;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = 0;
	return out;
}

/* "a-b.slice" -> "/a.slice/a-b.slice" (systemd's slice nesting); NULL when malformed. */
static char *expand_slice(const char *slice)
{
	size_t len = strlen(slice);
	if (len < 6 || strcmp(slice + len - 6, ".slice") || strchr(slice, '/'))
		return NULL;
	if (!strcmp(slice, "-.slice"))
		return strdup("/");
	char *out = malloc(len * (len / 2 + 2) + 2);
	if (!out)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len - 6; i++) {
		if (slice[i] != '-')
			continue;
		if (i == 0 || slice[i - 1] == '-' || slice[i + 1] == '.') {
			free(out);
			return NULL;
		}
		n += sprintf(out + n, "/%.*s.slice", (int)i, slice);
	}
	sprintf(out + n, "/%s", slice);
	return out;
}

/* "slice:prefix:name" -> the cgroupfs path a systemd driver would have made. */
static int systemd_path(const char *spec, char **ret, struct cell_error **err)
{
	const char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	_cleanup_free_ char *slice = strndup(spec, c1 - spec);
	_cleanup_free_ char *prefix = strndup(c1 + 1, c2 - c1 - 1);
	const char *name = c2 + 1;
	if (!slice || !prefix)
		return -ENOMEM;
	_cleanup_free_ char *parent = expand_slice(*slice ? slice : "system.slice");
	if (!parent || !*name || strchr(name, '/') || strchr(prefix, '/'))
		return cell_error_set(
			err, EINVAL, "linux.cgroupsPath: \"%s\": expected slice:prefix:name", spec);
	size_t nl = strlen(name);
	bool is_slice = nl > 6 && !strcmp(name + nl - 6, ".slice");
	if (asprintf(ret, "%s/%s%s%s%s", strcmp(parent, "/") ? parent : "", is_slice ? "" : prefix,
		     !is_slice && *prefix ? "-" : "", name, is_slice ? "" : ".scope") < 0)
		return -ENOMEM;
	log_info("cgroupsPath %s: systemd form, mapped to %s (no systemd manages cgroups here)",
		 spec, *ret);
	return 0;
}

/* This process's cgroup in hierarchy `name` ("" = cgroup2), from /proc/self/cgroup text. */
static char *own_cgroup(const char *text, const char *name)
{
	for (const char *l = text; l && *l;) {
		const char *nl = strchrnul(l, '\n');
		const char *c1 = memchr(l, ':', nl - l);
		const char *c2 = c1 ? memchr(c1 + 1, ':', nl - c1 - 1) : NULL;
		if (c2) {
			size_t clen = c2 - c1 - 1, n = strlen(name);
			bool match = !*name ? clen == 0 : false;
			for (const char *p = c1 + 1; *name && p < c2;) {
				const char *e = memchr(p, ',', c2 - p);
				e = e ? e : c2;
				if ((size_t)(e - p) == n && !memcmp(p, name, n))
					match = true;
				p = e + 1;
			}
			if (match)
				return strndup(c2 + 1, nl - c2 - 1);
		}
		l = *nl ? nl + 1 : nl;
	}
	return strdup("/");
}

static int join_paths(const char *a, const char *b, char **ret)
{
	_cleanup_free_ char *j = NULL;
	if (asprintf(&j, "%s/%s", a, b) < 0)
		return -ENOMEM;
	*ret = clean_path(j);
	return *ret ? 0 : -ENOMEM;
}

/* "memory=/a/c1,*=/c1": the form cgroup_path() returns when hierarchies disagree. */
static const char *map_lookup(const char *map, const char *name)
{
	size_t n = strlen(name);
	const char *star = NULL;
	for (const char *p = map; *p;) {
		const char *e = strchrnul(p, ',');
		const char *eq = memchr(p, '=', e - p);
		if (eq && (size_t)(eq - p) == n && !memcmp(p, name, n))
			return eq + 1;
		if (eq && eq - p == 1 && *p == '*')
			star = eq + 1;
		p = *e ? e + 1 : e;
	}
	return star;
}

static bool is_map_form(const char *s)
{
	/* Only what path_string() writes: a default entry for every other hierarchy. */
	return s && *s != '/' && (!strncmp(s, "*=/", 3) || strstr(s, ",*=/"));
}

static int dir_path(struct cgroup *cg, int h, const char *map, const char *inner, bool relative,
		    const char *own_text)
{
	struct cgroup_dir *d = &cg->dirs[h];
	const char *hname = cg->layout == CGROUP_LAYOUT_V2 ? "" : cgroup_hier_names[h];
	if (map) {
		const char *v = map_lookup(map, *hname ? hname : "unified");
		if (!v)
			return -ENOENT;
		size_t len = strchrnul(v, ',') - v;
		_cleanup_free_ char *p = strndup(v, len);
		if (!p || !(d->path = clean_path(p)))
			return -ENOMEM;
	} else if (relative) {
		_cleanup_free_ char *own = cg_state.own	    ? strdup(cg_state.own) :
					   h == CGH_SYSTEMD ? own_cgroup(own_text, "name=systemd") :
							      own_cgroup(own_text, hname);
		if (!own)
			return -ENOMEM;
		/* v2: the own cgroup has processes, so its children could get no controllers;
		 * runc puts containers beside it, under its parent. */
		if (cg->layout == CGROUP_LAYOUT_V2) {
			char *slash = strrchr(own, '/');
			slash[slash == own ? 1 : 0] = 0;
		}
		if (join_paths(own, inner, &d->path) < 0)
			return -ENOMEM;
	} else if (!(d->path = strdup(inner))) {
		return -ENOMEM;
	}
	const char *sub = cg->layout == CGROUP_LAYOUT_V2 ? "" :
			  h == CGH_UNIFIED		 ? "/unified" :
							   NULL;
	int n = asprintf(&d->abs, "%s%s%s%s", cgroup_root(), sub ? sub : "/", sub ? "" : hname,
			 strcmp(d->path, "/") ? d->path : "");
	if (n < 0)
		return -ENOMEM;
	d->root_len = n - (strcmp(d->path, "/") ? strlen(d->path) : 0);
	return 0;
}

static int path_string(struct cgroup *cg)
{
	const char *common = cg->dirs[0].path;
	size_t len = strlen(common) + 3;
	for (int h = 1; h < CGH_N; h++)
		if (cg->dirs[h].path && strcmp(cg->dirs[h].path, common))
			len += strlen(cg->dirs[h].path) + 12;
	char *s = malloc(len);
	if (!s)
		return -ENOMEM;
	if (len == strlen(common) + 3) {
		strcpy(s, common);
	} else {
		size_t n = 0;
		for (int h = 1; h < CGH_N; h++)
			if (cg->dirs[h].path && strcmp(cg->dirs[h].path, common))
				n += sprintf(s + n, "%s=%s,",
					     h == CGH_UNIFIED ? "unified" : cgroup_hier_names[h],
					     cg->dirs[h].path);
		sprintf(s + n, "*=%s", common);
	}
	cg->path_str = s;
	return 0;
}

int cgroup_new(const char *id, const char *cgroups_path, struct cgroup **ret,
	       struct cell_error **err)
{
	enum cgroup_layout layout;
	int r = cgroup_detect_layout(&layout, err);
	if (r < 0)
		return r;
	struct cgroup *cg = calloc(1, sizeof(*cg));
	_cleanup_free_ char *inner = NULL, *own_text = NULL;
	const char *map = is_map_form(cgroups_path) ? cgroups_path : NULL;
	if (!cg || !(cg->id = strdup(id)))
		goto nomem;
	cg->layout = layout;
	cg->ops = layout == CGROUP_LAYOUT_V2 ? &cgroup_v2_ops : &cgroup_v1_ops;
	bool relative = false;
	if (map) {
		/* a path saved by an earlier command */
	} else if (!cgroups_path || !*cgroups_path) {
		relative = true;
		if (!(inner = clean_path(id)))
			goto nomem;
	} else if (*cgroups_path != '/' && strchr(cgroups_path, ':') &&
		   strchr(strchr(cgroups_path, ':') + 1, ':')) {
		if ((r = systemd_path(cgroups_path, &inner, err)) < 0)
			goto fail;
	} else {
		relative = *cgroups_path != '/';
		if (!(inner = clean_path(cgroups_path)))
			goto nomem;
	}
	if (inner && !strcmp(inner, "/")) {
		r = cell_error_set(err, EINVAL,
				   "linux.cgroupsPath: \"%s\": the root cgroup cannot "
				   "hold a container",
				   cgroups_path);
		goto fail;
	}
	if (relative && !cg_state.own &&
	    (r = fs_read_file("/proc/self/cgroup", &own_text, NULL, err)) < 0)
		goto fail;
	for (int h = 0; h < CGH_N; h++) {
		if (layout == CGROUP_LAYOUT_V2 && h > 0)
			break;
		if (layout == CGROUP_LAYOUT_V1 && h == CGH_UNIFIED)
			break;
		r = dir_path(cg, h, map, inner, relative, own_text);
		if (r == -ENOENT && h > 0)
			continue;
		if (r == -ENOENT) {
			r = cell_error_set(err, EINVAL, "cgroup path \"%s\": no default entry",
					   cgroups_path);
			goto fail;
		}
		if (r < 0)
			goto nomem;
		if (!strcmp(cg->dirs[h].path, "/")) {
			r = cell_error_set(err, EINVAL,
					   "cgroup path \"%s\": the root cgroup cannot "
					   "hold a container",
					   cgroups_path);
			goto fail;
		}
	}
	if (path_string(cg) < 0)
		goto nomem;
	*ret = cg;
	return 0;
nomem:
	r = cell_error_set(err, ENOMEM, "cgroup of %s: out of memory", id);
fail:
	cgroup_free(cg);
	return r;
}

void cgroup_free(struct cgroup *cg)
{
	if (!cg)
		return;
	for (int h = 0; h < CGH_N; h++) {
		free(cg->dirs[h].path);
		free(cg->dirs[h].abs);
	}
	free(cg->path_str);
	free(cg->id);
	free(cg);
}

const char *cgroup_path(const struct cgroup *cg)
{
	return cg->path_str;
}

int cgroup_create(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	return cg->ops->create(cg, res, err);
}

int cgroup_find(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	cg->join_only = true;
	return cg->ops->create(cg, res, err);
}

int cgroup_attach(struct cgroup *cg, pid_t pid, struct cell_error **err)
{
	return cg->ops->attach(cg, pid, err);
}

int cgroup_open_leaf(struct cgroup *cg, struct cell_error **err)
{
	return cg->ops->open_leaf(cg, err);
}

int cgroup_open_join(struct cgroup *cg, struct cgroup_join *ret, struct cell_error **err)
{
	_Static_assert(CGH_N <= CGROUP_JOIN_MAX, "CGROUP_JOIN_MAX too small");
	memset(ret, 0, sizeof(*ret));
	if (!cg->ops->open_join)
		return 0;
	int r = cg->ops->open_join(cg, ret, err);
	if (r < 0)
		cgroup_join_close(ret);
	return r;
}

void cgroup_join_close(struct cgroup_join *j)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->fds[i] >= 0)
			close(j->fds[i]);
	j->n = 0;
}

int cgroup_join_self(const int *fds, size_t n, const char *names, struct cell_error **err)
{
	for (size_t i = 0; i < n; i++) {
		if (write(fds[i], "0", 1) == 1)
			continue;
		int e = errno;
		const char *name = names;
		for (size_t k = 0; k < i && name; k++)
			name = strchr(name, ',') ? strchr(name, ',') + 1 : NULL;
		size_t len = name ? strcspn(name, ",") : 1;
		return cell_error_errno(err, e, "join the container's cgroup (%.*s)", (int)len,
					name ? name : "?");
	}
	return 0;
}

int cgroup_update(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	return cg->ops->update(cg, res, err);
}

int cgroup_read_stats(struct cgroup *cg, struct cgroup_stats *ret, struct cell_error **err)
{
	memset(ret, 0, sizeof(*ret));
	return cg->ops->read_stats(cg, ret, err);
}

int cgroup_freeze(struct cgroup *cg, bool frozen, struct cell_error **err)
{
	return cg->ops->freeze(cg, frozen, err);
}

int cgroup_is_frozen(struct cgroup *cg, bool *ret, struct cell_error **err)
{
	return cg->ops->is_frozen(cg, ret, err);
}

int cgroup_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_len, struct cell_error **err)
{
	return cg->ops->list_pids(cg, ret, ret_len, err);
}

int cgroup_kill_all(struct cgroup *cg, int signal, struct cell_error **err)
{
	return cg->ops->kill_all(cg, signal, err);
}

int cgroup_destroy(struct cgroup *cg, struct cell_error **err)
{
	return cg->ops->destroy(cg, err);
}

int cgroup_delegate(struct cgroup *cg, uid_t uid, gid_t gid, struct cell_error **err)
{
	static const char *const files[] = { "", "/cgroup.procs", "/cgroup.threads",
					     "/cgroup.subtree_control", "/tasks" };
	for (int h = 0; h < CGH_N; h++) {
		if (!cg->dirs[h].used)
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s%s", cg->dirs[h].abs, files[i]);
			/* Not every file exists on every layout (tasks is v1, the rest v2). */
			if (chown(path, uid, gid) < 0 && (errno != ENOENT || i == 0))
				return cell_error_errno(err, errno, "delegate %s to %d:%d", path,
							(int)uid, (int)gid);
		}
	}
	return 0;
}
