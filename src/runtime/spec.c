/* spec.c - config.json -> struct spec: every field checked, errors name the field by its path,
 * unknown properties ignored (as the OCI runtime spec requires). */
#include "spec.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <strings.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "caps.h"
#include "cgroup.h"
#include "cleanup.h"
#include "hooks.h"
#include "json.h"
#include "seccomp-filter.h"
#include "strv.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name, *proc;
	int flag;
} ns_table[NS__MAX] = {
	[NS_USER] = { "user", "user", CLONE_NEWUSER },
	[NS_PID] = { "pid", "pid", CLONE_NEWPID },
	[NS_NET] = { "network", "net", CLONE_NEWNET },
	[NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
	[NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
	[NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
	[NS_TIME] = { "time", "time", CLONE_NEWTIME },
	[NS_MNT] = { "mount", "mnt", CLONE_NEWNS },
};

const char *spec_ns_name(enum ns_type t)
{
	return ns_table[t].name;
}

int spec_ns_clone_flag(enum ns_type t)
{
	return ns_table[t].flag;
}

const char *spec_ns_proc_name(enum ns_type t)
{
	return ns_table[t].proc;
}

static const struct {
	const char *name;
	int resource;
} rlimit_table[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

int spec_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_table); i++)
		if (strcmp(rlimit_table[i].name, name) == 0)
			return rlimit_table[i].resource;
	return -1;
}

void spec_process_clear(struct spec_process *p)
{
	free(p->gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->rlimits);
	memset(p, 0, sizeof(*p));
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->bundle);
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	spec_process_clear(&s->process);
	for (size_t i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
	}
	free(s->mounts);
	for (int i = 0; i < NS__MAX; i++)
		free(s->ns[i].path);
	free(s->uid_maps);
	free(s->gid_maps);
	for (size_t i = 0; i < s->ndevices; i++)
		free(s->devices[i].path);
	free(s->devices);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->cgroups_path);
	cgroup_resources_free(s->resources);
	json_decref(s->seccomp);
	free(s->seccomp_listener);
	free(s->seccomp_metadata);
	for (size_t i = 0; i < s->nsysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->sysctls);
	if (s->annotations)
		json_decref(s->annotations);
	if (s->hooks)
		json_decref(s->hooks);
	free(s);
}

void spec_freep(struct spec **s)
{
	spec_free(*s);
	*s = NULL;
}

static int dup_string(json_t *obj, const char *where, const char *key, char **ret, bool required,
		      struct cell_error **err)
{
	const char *v = NULL;
	int r = json_get_string(obj, where, key, &v, err);
	if (r < 0)
		return r;
	if (!v) {
		if (required)
			return cell_error_set(err, EINVAL, "%s%s%s: required", where,
					      *where ? "." : "", key);
		return 0;
	}
	*ret = strdup(v);
	return *ret ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

static int get_u32(json_t *obj, const char *where, const char *key, uint32_t *ret, bool required,
		   struct cell_error **err)
{
	uint64_t v = UINT64_MAX;
	int r = json_get_uint64(obj, where, key, &v, err);
	if (r < 0)
		return r;
	if (v == UINT64_MAX) {
		if (required)
			return cell_error_set(err, EINVAL, "%s.%s: required", where, key);
		return 0;
	}
	if (v > UINT32_MAX)
		return cell_error_set(err, EINVAL, "%s.%s: %llu is out of range", where, key,
				      (unsigned long long)v);
	*ret = (uint32_t)v;
	return 0;
}

static int parse_user(json_t *proc, const char *where, struct spec_process *p,
		      struct cell_error **err)
{
	json_t *user = NULL, *gids = NULL;
	char w[256];
	snprintf(w, sizeof(w), "%s.user", where);
	int r = json_get_object(proc, where, "user", &user, err);
	if (r < 0 || !user)
		return r;
	uint32_t uid = 0, gid = 0, umask = UINT32_MAX;
	if ((r = get_u32(user, w, "uid", &uid, false, err)) < 0 ||
	    (r = get_u32(user, w, "gid", &gid, false, err)) < 0 ||
	    (r = get_u32(user, w, "umask", &umask, false, err)) < 0)
		return r;
	if (umask != UINT32_MAX && umask > 0777)
		return cell_error_set(err, EINVAL, "%s.umask: %u is not a file mode mask", w,
				      umask);
	p->uid = uid;
	p->gid = gid;
	p->umask = umask == UINT32_MAX ? -1 : (int)umask;
	if ((r = json_get_array(user, w, "additionalGids", &gids, err)) < 0 || !gids)
		return r;
	p->gids = calloc(json_array_size(gids) + 1, sizeof(gid_t));
	if (!p->gids)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_t *g;
	json_array_foreach (gids, i, g) {
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > UINT32_MAX)
			return cell_error_set(err, EINVAL, "%s.additionalGids[%zu]: expected a gid",
					      w, i);
		p->gids[p->ngids++] = (gid_t)json_integer_value(g);
	}
	return 0;
}

static int parse_rlimits(json_t *proc, const char *where, struct spec_process *p,
			 struct cell_error **err)
{
	json_t *arr = NULL, *rl;
	int r = json_get_array(proc, where, "rlimits", &arr, err);
	if (r < 0 || !arr)
		return r;
	p->rlimits = calloc(json_array_size(arr) + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_array_foreach (arr, i, rl) {
		char w[256];
		snprintf(w, sizeof(w), "%s.rlimits[%zu]", where, i);
		if (!json_is_object(rl))
			return cell_error_set(err, EINVAL, "%s: expected an object", w);
		const char *type = NULL;
		struct spec_rlimit *l = &p->rlimits[p->nrlimits++];
		l->soft = l->hard = UINT64_MAX;
		if ((r = json_get_string(rl, w, "type", &type, err)) < 0 ||
		    (r = json_get_uint64(rl, w, "soft", &l->soft, err)) < 0 ||
		    (r = json_get_uint64(rl, w, "hard", &l->hard, err)) < 0)
			return r;
		if (!type)
			return cell_error_set(err, EINVAL, "%s.type: required", w);
		l->resource = spec_rlimit_from_name(type);
		if (l->resource < 0)
			return cell_error_set(err, EINVAL, "%s.type: unknown rlimit '%s'", w, type);
		if (l->soft == UINT64_MAX || l->hard == UINT64_MAX)
			return cell_error_set(err, EINVAL, "%s: soft and hard are required", w);
		if (l->soft > l->hard)
			return cell_error_set(err, EINVAL, "%s: soft limit above the hard limit",
					      w);
	}
	return 0;
}

int spec_parse_process(json_t *proc, const char *where, struct spec_process *p,
		       struct cell_error **err)
{
	int r;
	json_t *caps = NULL, *console = NULL, *oom;
	memset(p, 0, sizeof(*p));
	p->umask = -1;
	if ((r = json_get_bool(proc, where, "terminal", &p->terminal, err)) < 0 ||
	    (r = json_get_strv(proc, where, "args", &p->args, err)) < 0 ||
	    (r = json_get_strv(proc, where, "env", &p->env, err)) < 0 ||
	    (r = dup_string(proc, where, "cwd", &p->cwd, false, err)) < 0 ||
	    (r = json_get_bool(proc, where, "noNewPrivileges", &p->no_new_privs, err)) < 0 ||
	    (r = parse_user(proc, where, p, err)) < 0 ||
	    (r = parse_rlimits(proc, where, p, err)) < 0)
		return r;
	if (!p->args || !p->args[0])
		return cell_error_set(err, EINVAL, "%s.args: must be a non-empty array", where);
	if (!p->cwd && !(p->cwd = strdup("/")))
		return cell_error_set(err, ENOMEM, "out of memory");
	if (p->cwd[0] != '/')
		return cell_error_set(err, EINVAL, "%s.cwd: '%s' is not an absolute path", where,
				      p->cwd);
	if ((oom = json_object_get(proc, "oomScoreAdj")) && !json_is_null(oom)) {
		if (!json_is_integer(oom) || json_integer_value(oom) < -1000 ||
		    json_integer_value(oom) > 1000)
			return cell_error_set(err, EINVAL,
					      "%s.oomScoreAdj: expected an integer in -1000..1000",
					      where);
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)json_integer_value(oom);
	}
	char w[256];
	snprintf(w, sizeof(w), "%s.scheduler", where);
	if ((r = procattr_parse_scheduler(json_object_get(proc, "scheduler"), w, &p->sched, err)) <
	    0)
		return r;
	snprintf(w, sizeof(w), "%s.ioPriority", where);
	if ((r = procattr_parse_ioprio(json_object_get(proc, "ioPriority"), w, &p->ioprio, err)) <
	    0)
		return r;
	if ((r = json_get_object(proc, where, "consoleSize", &console, err)) < 0)
		return r;
	if (console) {
		uint32_t h = 0, wd = 0;
		snprintf(w, sizeof(w), "%s.consoleSize", where);
		if ((r = get_u32(console, w, "height", &h, true, err)) < 0 ||
		    (r = get_u32(console, w, "width", &wd, true, err)) < 0)
			return r;
		p->console_rows = (unsigned short)h;
		p->console_cols = (unsigned short)wd;
	}
	if ((r = json_get_object(proc, where, "capabilities", &caps, err)) < 0)
		return r;
	if (caps) {
		snprintf(w, sizeof(w), "%s.capabilities", where);
		if ((r = caps_parse(caps, w, &p->caps, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_mounts(json_t *doc, struct spec *s, struct cell_error **err)
{
	json_t *arr = NULL, *m;
	int r = json_get_array(doc, "", "mounts", &arr, err);
	if (r < 0 || !arr)
		return r;
	s->mounts = calloc(json_array_size(arr) + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_array_foreach (arr, i, m) {
		char w[64];
		snprintf(w, sizeof(w), "mounts[%zu]", i);
		if (!json_is_object(m))
			return cell_error_set(err, EINVAL, "%s: expected an object", w);
		struct spec_mount *sm = &s->mounts[s->nmounts++];
		_cleanup_strv_ char **options = NULL;
		if ((r = dup_string(m, w, "destination", &sm->destination, true, err)) < 0 ||
		    (r = dup_string(m, w, "type", &sm->type, false, err)) < 0 ||
		    (r = dup_string(m, w, "source", &sm->source, false, err)) < 0 ||
		    (r = json_get_strv(m, w, "options", &options, err)) < 0)
			return r;
		if (sm->destination[0] != '/')
			return cell_error_set(err, EINVAL, "%s.destination: '%s' is not absolute",
					      w, sm->destination);
		char ow[80];
		snprintf(ow, sizeof(ow), "%s.options", w);
		if ((r = spec_mount_parse_options(sm, options, ow, err)) < 0)
			return r;
		if (sm->type && strcmp(sm->type, "bind") == 0)
			sm->bind = true;
		if (sm->bind && sm->source && sm->source[0] != '/') {
			char *abs = NULL;
			if (asprintf(&abs, "%s/%s", s->bundle, sm->source) < 0)
				return cell_error_set(err, ENOMEM, "out of memory");
			free(sm->source);
			sm->source = abs;
		}
		if (!sm->bind && !sm->type)
			return cell_error_set(err, EINVAL, "%s.type: required unless bind", w);
		if (sm->bind && !sm->source)
			return cell_error_set(err, EINVAL, "%s.source: required for a bind mount",
					      w);
	}
	return 0;
}

static int parse_idmaps(json_t *lx, const char *key, struct spec_idmap **ret, size_t *n,
			struct cell_error **err)
{
	json_t *arr = NULL, *m;
	char w[64];
	snprintf(w, sizeof(w), "linux.%s", key);
	int r = json_get_array(lx, "linux", key, &arr, err);
	if (r < 0 || !arr)
		return r;
	*ret = calloc(json_array_size(arr) + 1, sizeof(**ret));
	if (!*ret)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_array_foreach (arr, i, m) {
		char mw[128];
		snprintf(mw, sizeof(mw), "%s[%zu]", w, i);
		if (!json_is_object(m))
			return cell_error_set(err, EINVAL, "%s: expected an object", mw);
		struct spec_idmap *im = &(*ret)[(*n)++];
		if ((r = get_u32(m, mw, "containerID", &im->container_id, true, err)) < 0 ||
		    (r = get_u32(m, mw, "hostID", &im->host_id, true, err)) < 0 ||
		    (r = get_u32(m, mw, "size", &im->size, true, err)) < 0)
			return r;
		if (im->size == 0)
			return cell_error_set(err, EINVAL, "%s.size: must not be 0", mw);
	}
	return 0;
}

static int parse_namespaces(json_t *lx, struct spec *s, struct cell_error **err)
{
	json_t *arr = NULL, *n;
	int r = json_get_array(lx, "linux", "namespaces", &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t i;
	json_array_foreach (arr, i, n) {
		char w[64];
		snprintf(w, sizeof(w), "linux.namespaces[%zu]", i);
		const char *type = NULL, *path = NULL;
		if (!json_is_object(n))
			return cell_error_set(err, EINVAL, "%s: expected an object", w);
		if ((r = json_get_string(n, w, "type", &type, err)) < 0 ||
		    (r = json_get_string(n, w, "path", &path, err)) < 0)
			return r;
		if (!type)
			return cell_error_set(err, EINVAL, "%s.type: required", w);
		int t;
		for (t = 0; t < NS__MAX; t++)
			if (strcmp(ns_table[t].name, type) == 0)
				break;
		if (t == NS__MAX)
			return cell_error_set(err, EINVAL, "%s.type: unknown namespace type '%s'",
					      w, type);
		if (s->ns[t].enabled)
			return cell_error_set(err, EINVAL, "%s.type: '%s' is listed twice", w,
					      type);
		s->ns[t].enabled = true;
		if (path && *path && !(s->ns[t].path = strdup(path)))
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int parse_devices(json_t *lx, struct spec *s, struct cell_error **err)
{
	json_t *arr = NULL, *d;
	int r = json_get_array(lx, "linux", "devices", &arr, err);
	if (r < 0 || !arr)
		return r;
	s->devices = calloc(json_array_size(arr) + 1, sizeof(*s->devices));
	if (!s->devices)
		return cell_error_set(err, ENOMEM, "out of memory");
	size_t i;
	json_array_foreach (arr, i, d) {
		char w[64];
		snprintf(w, sizeof(w), "linux.devices[%zu]", i);
		if (!json_is_object(d))
			return cell_error_set(err, EINVAL, "%s: expected an object", w);
		struct spec_device *dev = &s->devices[s->ndevices++];
		const char *type = NULL;
		uint32_t mode = 0666, uid = 0, gid = 0;
		dev->major = dev->minor = -1;
		if ((r = dup_string(d, w, "path", &dev->path, true, err)) < 0 ||
		    (r = json_get_string(d, w, "type", &type, err)) < 0 ||
		    (r = json_get_int64(d, w, "major", &dev->major, err)) < 0 ||
		    (r = json_get_int64(d, w, "minor", &dev->minor, err)) < 0 ||
		    (r = get_u32(d, w, "fileMode", &mode, false, err)) < 0 ||
		    (r = get_u32(d, w, "uid", &uid, false, err)) < 0 ||
		    (r = get_u32(d, w, "gid", &gid, false, err)) < 0)
			return r;
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			return cell_error_set(err, EINVAL, "%s.type: expected c, b, u or p", w);
		if (dev->path[0] != '/')
			return cell_error_set(err, EINVAL, "%s.path: '%s' is not absolute", w,
					      dev->path);
		dev->type = type[0];
		if (dev->type != 'p' && (dev->major < 0 || dev->minor < 0))
			return cell_error_set(err, EINVAL, "%s: major and minor are required", w);
		dev->mode = mode & 07777;
		dev->uid = uid;
		dev->gid = gid;
	}
	return 0;
}

static int parse_time_offsets(json_t *lx, struct spec *s, struct cell_error **err)
{
	json_t *offs = NULL;
	int r = json_get_object(lx, "linux", "timeOffsets", &offs, err);
	if (r < 0 || !offs)
		return r;
	static const char *const names[] = { "monotonic", "boottime" };
	struct spec_time_offset *dst[] = { &s->time_monotonic, &s->time_boottime };
	for (int i = 0; i < 2; i++) {
		json_t *o = NULL;
		char w[64];
		snprintf(w, sizeof(w), "linux.timeOffsets.%s", names[i]);
		if ((r = json_get_object(offs, "linux.timeOffsets", names[i], &o, err)) < 0)
			return r;
		if (!o)
			continue;
		uint32_t ns = 0;
		if ((r = json_get_int64(o, w, "secs", &dst[i]->secs, err)) < 0 ||
		    (r = get_u32(o, w, "nanosecs", &ns, false, err)) < 0)
			return r;
		if (ns >= 1000000000)
			return cell_error_set(err, EINVAL, "%s.nanosecs: must be below 1e9", w);
		dst[i]->nanosecs = ns;
		dst[i]->set = true;
	}
	if ((s->time_monotonic.set || s->time_boottime.set) && !s->ns[NS_TIME].enabled)
		return cell_error_set(
			err, EINVAL,
			"linux.timeOffsets: needs a time namespace in linux.namespaces");
	return 0;
}

static int parse_propagation(json_t *lx, struct spec *s, struct cell_error **err)
{
	const char *prop = NULL;
	int r = json_get_string(lx, "linux", "rootfsPropagation", &prop, err);
	if (r < 0 || !prop || !*prop)
		return r;
	struct spec_mount tmp = { 0 };
	char *opts[] = { (char *)prop, NULL };
	if ((r = spec_mount_parse_options(&tmp, opts, "linux.rootfsPropagation", err)) < 0)
		return r;
	free(tmp.data);
	if (!tmp.propagation)
		return cell_error_set(err, EINVAL, "linux.rootfsPropagation: unknown value '%s'",
				      prop);
	s->rootfs_propagation = tmp.propagation;
	return 0;
}

static int parse_sysctl(json_t *lx, struct spec *s, struct cell_error **err)
{
	json_t *obj = NULL, *v;
	int r = json_get_object(lx, "linux", "sysctl", &obj, err);
	if (r < 0 || !obj)
		return r;
	s->sysctls = calloc(json_object_size(obj) + 1, sizeof(*s->sysctls));
	if (!s->sysctls)
		return cell_error_set(err, ENOMEM, "out of memory");
	const char *key;
	json_object_foreach (obj, key, v) {
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "linux.sysctl.%s: expected a string",
					      key);
		if (strstr(key, "..") || key[0] == '/' || key[0] == '.')
			return cell_error_set(err, EINVAL, "linux.sysctl: bad key '%s'", key);
		struct spec_sysctl *sc = &s->sysctls[s->nsysctls++];
		sc->key = strdup(key);
		sc->value = strdup(json_string_value(v));
		if (!sc->key || !sc->value)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Fields this runtime cannot honour: refused by name rather than silently ignored. */
static int refuse_unsupported(json_t *doc, json_t *lx, struct cell_error **err)
{
	json_t *v;
	(void)doc;
	if ((v = json_object_get(lx, "intelRdt")) && !json_is_null(v))
		return cell_error_set(err, ENOTSUP, "linux.intelRdt: not supported %s",
				      access("/sys/fs/resctrl/info", F_OK) < 0 ?
					      "on this host (no resctrl)" :
					      "by this runtime yet");
	return 0;
}

static int parse_linux(json_t *doc, struct spec *s, struct cell_error **err)
{
	json_t *lx = NULL, *resources = NULL, *seccomp = NULL;
	int r = json_get_object(doc, "", "linux", &lx, err);
	if (r < 0)
		return r;
	if (!lx)
		lx = json_object(); /* every field optional: parse an empty one */
	else
		json_incref(lx);
	_cleanup_json_ json_t *owned = lx;
	if ((r = refuse_unsupported(doc, lx, err)) < 0 || (r = parse_namespaces(lx, s, err)) < 0 ||
	    (r = procattr_parse_personality(json_object_get(lx, "personality"), &s->personality,
					    err)) < 0 ||
	    (r = parse_idmaps(lx, "uidMappings", &s->uid_maps, &s->nuid_maps, err)) < 0 ||
	    (r = parse_idmaps(lx, "gidMappings", &s->gid_maps, &s->ngid_maps, err)) < 0 ||
	    (r = parse_devices(lx, s, err)) < 0 ||
	    (r = json_get_strv(lx, "linux", "maskedPaths", &s->masked_paths, err)) < 0 ||
	    (r = json_get_strv(lx, "linux", "readonlyPaths", &s->readonly_paths, err)) < 0 ||
	    (r = dup_string(lx, "linux", "cgroupsPath", &s->cgroups_path, false, err)) < 0 ||
	    (r = parse_propagation(lx, s, err)) < 0 || (r = parse_sysctl(lx, s, err)) < 0 ||
	    (r = parse_time_offsets(lx, s, err)) < 0)
		return r;
	bool userns = s->ns[NS_USER].enabled && !s->ns[NS_USER].path;
	if (userns && (!s->nuid_maps || !s->ngid_maps))
		return cell_error_set(err, EINVAL,
				      "linux.uidMappings: a new user namespace needs uidMappings "
				      "and gidMappings");
	if (!userns && (s->nuid_maps || s->ngid_maps))
		return cell_error_set(err, EINVAL,
				      "linux.uidMappings: mappings given without a new user "
				      "namespace in linux.namespaces");
	if ((r = json_get_object(lx, "linux", "resources", &resources, err)) < 0 ||
	    (r = cgroup_resources_parse(resources, &s->resources, err)) < 0)
		return r;
	for (size_t i = 0; i < s->ndevices; i++)
		cgroup_resources_allow_device(s->resources, s->devices[i].type, s->devices[i].major,
					      s->devices[i].minor);
	if ((r = json_get_object(lx, "linux", "seccomp", &seccomp, err)) < 0)
		return r;
	/* Checked here, compiled (or taken from the cache) only by create and exec. */
	if (seccomp && ((r = seccomp_filter_build(seccomp, NULL, err)) < 0 ||
			(r = seccomp_filter_listener(seccomp, &s->seccomp_listener,
						     &s->seccomp_metadata, err)) < 0))
		return r;
	if (seccomp)
		s->seccomp = json_incref(seccomp);
	return 0;
}

static int parse_root(json_t *doc, struct spec *s, struct cell_error **err)
{
	json_t *root = NULL;
	const char *path = NULL;
	int r = json_get_object(doc, "", "root", &root, err);
	if (r < 0)
		return r;
	if (!root)
		return cell_error_set(err, EINVAL, "root: required");
	if ((r = json_get_string(root, "root", "path", &path, err)) < 0 ||
	    (r = json_get_bool(root, "root", "readonly", &s->root_readonly, err)) < 0)
		return r;
	if (!path || !*path)
		return cell_error_set(err, EINVAL, "root.path: required");
	if (path[0] == '/')
		s->root_path = strdup(path);
	else if (asprintf(&s->root_path, "%s/%s", s->bundle, path) < 0)
		s->root_path = NULL;
	return s->root_path ? 0 : cell_error_set(err, ENOMEM, "out of memory");
}

int spec_parse(json_t *doc, const char *bundle, struct spec **ret, struct cell_error **err)
{
	_cleanup_spec_ struct spec *s = calloc(1, sizeof(*s));
	json_t *proc = NULL, *ann = NULL, *hooks = NULL;
	int r;
	if (!s || !(s->bundle = strdup(bundle)))
		return cell_error_set(err, ENOMEM, "out of memory");
	if ((r = dup_string(doc, "", "ociVersion", &s->oci_version, true, err)) < 0 ||
	    (r = parse_root(doc, s, err)) < 0 ||
	    (r = dup_string(doc, "", "hostname", &s->hostname, false, err)) < 0 ||
	    (r = dup_string(doc, "", "domainname", &s->domainname, false, err)) < 0 ||
	    (r = json_get_object(doc, "", "process", &proc, err)) < 0)
		return r;
	if (!proc)
		return cell_error_set(err, EINVAL, "process: required");
	if ((r = spec_parse_process(proc, "process", &s->process, err)) < 0 ||
	    (r = parse_mounts(doc, s, err)) < 0 || (r = parse_linux(doc, s, err)) < 0 ||
	    (r = json_get_object(doc, "", "annotations", &ann, err)) < 0 ||
	    (r = json_get_object(doc, "", "hooks", &hooks, err)) < 0 ||
	    (r = hooks_validate(hooks, err)) < 0)
		return r;
	if (hooks)
		s->hooks = json_incref(hooks);
	if ((s->hostname || s->domainname) && !s->ns[NS_UTS].enabled)
		return cell_error_set(
			err, EINVAL,
			"hostname: setting it needs a uts namespace in linux.namespaces");
	if (ann)
		s->annotations = json_incref(ann);
	*ret = steal_ptr(s);
	return 0;
}

int spec_load(const char *bundle, struct spec **ret, struct cell_error **err)
{
	_cleanup_free_ char *abs = realpath(bundle, NULL);
	if (!abs)
		return cell_error_errno(err, errno, "bundle %s", bundle);
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/config.json", abs) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	_cleanup_json_ json_t *doc = NULL;
	int r = json_load_object_file(path, &doc, err);
	if (r < 0)
		return r;
	r = spec_parse(doc, abs, ret, err);
	if (r < 0)
		return cell_error_wrap(err, "%s", path);
	return 0;
}

int spec_signal_from_name(const char *name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
		{ "HUP", SIGHUP },   { "INT", SIGINT },	      { "QUIT", SIGQUIT },
		{ "ILL", SIGILL },   { "TRAP", SIGTRAP },     { "ABRT", SIGABRT },
		{ "IOT", SIGIOT },   { "BUS", SIGBUS },	      { "FPE", SIGFPE },
		{ "KILL", SIGKILL }, { "USR1", SIGUSR1 },     { "SEGV", SIGSEGV },
		{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },
		{ "TERM", SIGTERM }, { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
		{ "CONT", SIGCONT }, { "STOP", SIGSTOP },     { "TSTP", SIGTSTP },
		{ "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },     { "URG", SIGURG },
		{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },     { "VTALRM", SIGVTALRM },
		{ "PROF", SIGPROF }, { "WINCH", SIGWINCH },   { "IO", SIGIO },
		{ "PWR", SIGPWR },   { "SYS", SIGSYS },
	};
	if (!name || !*name)
		return -1;
	char *end;
	long n = strtol(name, &end, 10);
	if (*end == '\0')
		return n > 0 && n < 65 ? (int)n : -1;
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (strcasecmp(sigs[i].name, name) == 0)
			return sigs[i].sig;
	if (strncasecmp(name, "RTMIN+", 6) == 0) {
		n = strtol(name + 6, &end, 10);
		if (*end == '\0' && n >= 0 && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	return -1;
}
