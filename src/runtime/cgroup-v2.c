/* cgroup-v2.c - the cgroup v2 backend: one directory, controllers enabled down from the root,
 * the spec's v1-style values converted to v2 files, devices as an eBPF filter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "log.h"

#define RES "linux.resources"

bool cg_v2_enable_controllers = true;

/* The controllers res needs, as "+cpu +memory" (written to cgroup.subtree_control). */
static void v2_needed(const struct cgroup_resources *res, char *buf, size_t size)
{
	unsigned s = res ? res->set : 0;
	bool io = s & (CG_BLKIO_WEIGHT | CG_BLKIO_LEAF_WEIGHT);
	for (int t = 0; res && t < CG_THROTTLE_N; t++)
		io |= res->n_throttle[t] > 0;
	io |= res && res->n_weight_devices > 0;
	const struct {
		const char *name;
		bool on;
	} c[] = {
		{ "cpu", s & CG_CPU_ANY },
		{ "cpuset", s & CG_CPUSET_ANY },
		{ "memory", s & CG_MEM_ANY },
		{ "pids", s & CG_PIDS },
		{ "io", io },
		{ "hugetlb", res && res->n_hugetlb > 0 },
	};
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++)
		if (c[i].on)
			n += snprintf(buf + n, size - n, "%s+%s", n ? " " : "", c[i].name);
}

/* unified keys name their controller before the dot ("memory.high"): enable those the host
 * has; for the others the kernel's answer (no such file) says the key is unknown. */
static void v2_unified_controllers(const struct cgroup_resources *res, const char *avail, char *buf,
				   size_t size)
{
	size_t n = strlen(buf);
	for (size_t i = 0; res && avail && i < res->n_unified && n < size - 40; i++) {
		const char *key = res->unified[i].key;
		int len = (int)strcspn(key, ".");
		char word[40];
		snprintf(word, sizeof(word), "+%.*s", len < 30 ? len : 30, key);
		bool listed = false;
		for (const char *a = avail; *a && !listed;) {
			a += strspn(a, " \n");
			size_t alen = strcspn(a, " \n");
			listed = alen == (size_t)len && alen && !strncmp(a, key, alen);
			a += alen;
		}
		if (listed && !strstr(buf, word))
			n += snprintf(buf + n, size - n, "%s%s", n ? " " : "", word);
	}
}

/* Is each "+name" of want listed in avail (cgroup.controllers)? Names the first missing. */
static const char *missing_controller(const char *want, const char *avail, char *name, size_t sz)
{
	for (const char *p = want; *p;) {
		p += strspn(p, " +");
		size_t len = strcspn(p, " ");
		if (!len)
			break;
		snprintf(name, sz, "%.*s", (int)len, p);
		bool found = false;
		for (const char *a = avail; *a && !found;) {
			a += strspn(a, " ");
			size_t alen = strcspn(a, " ");
			found = alen == len && !strncmp(a, p, len);
			a += alen;
		}
		if (!found)
			return name;
		p += len;
	}
	return NULL;
}

static const char *field_of_controller(const char *c)
{
	if (!strcmp(c, "cpu") || !strcmp(c, "cpuset"))
		return RES ".cpu";
	if (!strcmp(c, "memory"))
		return RES ".memory";
	if (!strcmp(c, "pids"))
		return RES ".pids";
	if (!strcmp(c, "io"))
		return RES ".blockIO";
	if (!strcmp(c, "hugetlb"))
		return RES ".hugepageLimits";
	return RES ".unified";
}

/* Enable controllers in every ancestor, from the root down to the leaf's parent. All that the
 * root offers when possible (so the container can delegate them further, as systemd inside
 * wants), else exactly the needed ones. */
static int v2_enable(const struct cgroup_dir *d, const char *need, const char *avail,
		     struct cell_error **err)
{
	_cleanup_free_ char *all = NULL, *p = strdup(d->abs);
	if (!p)
		return -ENOMEM;
	if (avail && *avail) {
		all = malloc(strlen(avail) * 2 + 2);
		if (!all)
			return -ENOMEM;
		size_t n = 0;
		for (const char *a = avail; *a;) {
			a += strspn(a, " ");
			size_t len = strcspn(a, " ");
			if (len)
				n += sprintf(all + n, "%s+%.*s", n ? " " : "", (int)len, a);
			a += len;
		}
	}
	char *end = p + strlen(p);
	for (char *slash = p + d->root_len; slash && slash < end; slash = strchr(slash + 1, '/')) {
		char saved = *slash;
		*slash = 0;
		int r = all ? cg_write(p, "cgroup.subtree_control", all, NULL) : -EINVAL;
		if (r < 0 && *need)
			r = cg_write(p, "cgroup.subtree_control", need, NULL);
		*slash = saved;
		if (r < 0 && *need)
			return cell_error_errno(err, -r,
						"enable \"%s\" in %.*s/cgroup.subtree_control%s",
						need, (int)(slash - p), p,
						r == -EBUSY ? " (processes live there: use a "
							      "cgroupsPath beside them)" :
							      "");
	}
	return 0;
}

static int set(const struct cgroup_dir *d, const char *field, const char *file, const char *value,
	       struct cell_error **err)
{
	int r = cg_write(d->abs, file, value, NULL);
	if (r == -ENOENT)
		return cell_error_set(err, EOPNOTSUPP, "%s: \"%s\": not supported here (no %s)",
				      field, value, file);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: \"%s\": writing %s", field, value, file);
	return 0;
}

static int setf(const struct cgroup_dir *d, const char *field, const char *file,
		struct cell_error **err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int setf(const struct cgroup_dir *d, const char *field, const char *file,
		struct cell_error **err, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return set(d, field, file, buf, err);
}

static int v2_cpu(const struct cgroup_dir *d, const struct cgroup_resources *res,
		  struct cell_error **err)
{
	unsigned s = res->set;
	int r = 0;
	if (s & CG_CPU_SHARES)
		r = setf(d, RES ".cpu.shares", "cpu.weight", err, "%llu",
			 (unsigned long long)cg_shares_to_weight(res->cpu_shares));
	if (r == 0 && (s & (CG_CPU_QUOTA | CG_CPU_PERIOD))) {
		unsigned long long period = s & CG_CPU_PERIOD ? res->cpu_period : 100000;
		if ((s & CG_CPU_QUOTA) && res->cpu_quota > 0)
			r = setf(d, RES ".cpu.quota", "cpu.max", err, "%lld %llu",
				 (long long)res->cpu_quota, period);
		else
			r = setf(d, RES ".cpu.period", "cpu.max", err, "max %llu", period);
	}
	if (r == 0 && (s & CG_CPU_BURST))
		r = setf(d, RES ".cpu.burst", "cpu.max.burst", err, "%llu",
			 (unsigned long long)res->cpu_burst);
	if (r == 0 && (s & CG_CPU_IDLE))
		r = setf(d, RES ".cpu.idle", "cpu.idle", err, "%lld", (long long)res->cpu_idle);
	for (int f = 0; r == 0 && f < 2; f++) {
		const char *want = f ? res->mems : res->cpus;
		const char *file = f ? "cpuset.mems" : "cpuset.cpus";
		if (!want)
			continue;
		r = cg_write(d->abs, file, want, NULL);
		if (r == -EINVAL || r == -ERANGE) {
			/* Say what the host has, read from the parent. */
			_cleanup_free_ char *parent =
				strndup(d->abs, strrchr(d->abs, '/') - d->abs);
			_cleanup_free_ char *avail = NULL;
			if (parent)
				cg_read(parent,
					f ? "cpuset.mems.effective" : "cpuset.cpus.effective",
					&avail, NULL);
			return cell_error_set(err, EINVAL,
					      RES ".cpu.%s: \"%s\": not within the %s "
						  "available here (%s)",
					      f ? "mems" : "cpus", want,
					      f ? "memory nodes" : "CPUs", avail ? avail : "?");
		}
		if (r < 0)
			r = set(d, f ? RES ".cpu.mems" : RES ".cpu.cpus", file, want, err);
	}
	return r;
}

static int v2_memory(const struct cgroup_dir *d, const struct cgroup_resources *res,
		     struct cell_error **err)
{
	unsigned s = res->set;
	int r = 0;
	if (s & CG_MEM_LIMIT)
		r = res->mem_limit > 0 ? setf(d, RES ".memory.limit", "memory.max", err, "%lld",
					      (long long)res->mem_limit) :
					 set(d, RES ".memory.limit", "memory.max", "max", err);
	if (r == 0 && (s & CG_MEM_RESERVATION))
		r = res->mem_reservation > 0 ?
			    setf(d, RES ".memory.reservation", "memory.low", err, "%lld",
				 (long long)res->mem_reservation) :
			    set(d, RES ".memory.reservation", "memory.low", "max", err);
	if (r == 0 && (s & CG_MEM_SWAP)) {
		/* The spec's swap is memory + swap; v2 limits swap alone. */
		int64_t v = cg_swap_v2((s & CG_MEM_LIMIT) ? res->mem_limit : -1, res->mem_swap);
		r = v < 0 ? set(d, RES ".memory.swap", "memory.swap.max", "max", err) :
			    setf(d, RES ".memory.swap", "memory.swap.max", err, "%lld",
				 (long long)v);
	}
	if (s & CG_MEM_SWAPPINESS)
		log_warn(RES ".memory.swappiness: cgroup v2 has no per-cgroup swappiness; ignored");
	if (s & CG_MEM_NO_OOM_KILL)
		log_warn(RES ".memory.disableOOMKiller: not available on cgroup v2; ignored");
	return r;
}

static int v2_io(const struct cgroup_dir *d, const struct cgroup_resources *res,
		 struct cell_error **err)
{
	static const char *const keys[CG_THROTTLE_N] = { "rbps", "wbps", "riops", "wiops" };
	bool any = res->set & CG_BLKIO_WEIGHT || res->n_weight_devices;
	for (int t = 0; t < CG_THROTTLE_N; t++)
		any |= res->n_throttle[t] > 0;
	if (!any)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s/io.weight", d->abs);
	/* io.weight needs io.cost; with BFQ only, io.bfq.weight takes the v1 range as is. */
	bool bfq = access(path, F_OK) < 0;
	const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
	int r = 0;
	if (res->set & CG_BLKIO_WEIGHT)
		r = setf(d, RES ".blockIO.weight", wfile, err, "default %llu",
			 (unsigned long long)(bfq ? res->blkio_weight :
						    cg_blkio_to_io_weight(res->blkio_weight)));
	for (size_t i = 0; r == 0 && i < res->n_weight_devices; i++) {
		const struct cgroup_blkio_device *w = &res->weight_devices[i];
		if (w->value)
			r = setf(d, RES ".blockIO.weightDevice", wfile, err, "%lld:%lld %llu",
				 (long long)w->major, (long long)w->minor,
				 (unsigned long long)(bfq ? w->value :
							    cg_blkio_to_io_weight(w->value)));
	}
	for (int t = 0; t < CG_THROTTLE_N; t++)
		for (size_t i = 0; r == 0 && i < res->n_throttle[t]; i++) {
			const struct cgroup_blkio_device *b = &res->throttle[t][i];
			r = setf(d, RES ".blockIO.throttle", "io.max", err, "%lld:%lld %s=%llu",
				 (long long)b->major, (long long)b->minor, keys[t],
				 (unsigned long long)b->value);
		}
	return r;
}

static int v2_misc(const struct cgroup_dir *d, const struct cgroup_resources *res,
		   struct cell_error **err)
{
	int r = 0;
	if (res->set & CG_PIDS)
		r = res->pids_limit > 0 ? setf(d, RES ".pids.limit", "pids.max", err, "%lld",
					       (long long)res->pids_limit) :
					  set(d, RES ".pids.limit", "pids.max", "max", err);
	for (size_t i = 0; r == 0 && i < res->n_hugetlb; i++) {
		char file[64];
		snprintf(file, sizeof(file), "hugetlb.%s.max", res->hugetlb[i].page_size);
		r = setf(d, RES ".hugepageLimits", file, err, "%llu",
			 (unsigned long long)res->hugetlb[i].limit);
	}
	for (size_t i = 0; r == 0 && i < res->n_unified; i++) {
		const struct cgroup_kv *kv = &res->unified[i];
		r = cg_write(d->abs, kv->key, kv->value, NULL);
		if (r == -ENOENT)
			return cell_error_set(err, EINVAL, RES ".unified: unknown key \"%s\"",
					      kv->key);
		if (r < 0)
			return cell_error_errno(err, -r, RES ".unified.%s: \"%s\"", kv->key,
						kv->value);
	}
	return r;
}

static int v2_apply(struct cgroup *cg, const struct cgroup_resources *res, bool update,
		    struct cell_error **err)
{
	const struct cgroup_dir *d = &cg->dirs[0];
	int r = 0;
	if (res->set & (CG_CPU_ANY | CG_CPUSET_ANY))
		r = v2_cpu(d, res, err);
	if (r == 0 && (res->set & CG_MEM_ANY))
		r = v2_memory(d, res, err);
	if (r == 0)
		r = v2_io(d, res, err);
	if (r == 0)
		r = v2_misc(d, res, err);
	if (r == 0 && cg_devices_restrict(res)) {
		_cleanup_close_ int fd = open(d->abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return cell_error_errno(err, errno, "open %s", d->abs);
		r = cg_bpf_devices_attach(fd, res->devices, res->n_devices, err);
		/* An update replaces the filter: the new one is attached, drop the old. */
		if (r == 0 && update)
			r = cg_bpf_devices_detach_old(fd, 1, err);
	}
	return r;
}

/* What v2 cannot do at all is refused before anything is made. */
static int v2_validate(const struct cgroup_resources *res, struct cell_error **err)
{
	if (res->set & (CG_CPU_RT_RUNTIME | CG_CPU_RT_PERIOD))
		return cell_error_set(err, EOPNOTSUPP,
				      RES ".cpu.realtimeRuntime/realtimePeriod: cgroup v2 has no "
					  "realtime group scheduling");
	if (res->set & CG_NET_CLASSID || res->n_net_priorities)
		return cell_error_set(err, EOPNOTSUPP,
				      RES ".network: cgroup v2 has no net_cls/net_prio controller");
	if ((res->set & CG_MEM_SWAP) && !(res->set & CG_MEM_LIMIT) && res->mem_swap != -1)
		return cell_error_set(err, EINVAL,
				      RES ".memory.swap: needs memory.limit on cgroup v2 (swap is "
					  "memory + swap)");
	return 0;
}

static int v2_create(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	struct cgroup_dir *d = &cg->dirs[0];
	char need[256], name[40];
	_cleanup_free_ char *avail = NULL;
	int r;
	if (res && (r = v2_validate(res, err)) < 0)
		return r;
	v2_needed(res, need, sizeof(need));
	if (cg_v2_enable_controllers || *need || (res && res->n_unified)) {
		if ((r = cg_read(cgroup_root(), "cgroup.controllers", &avail, err)) < 0)
			return r;
		const char *miss = missing_controller(need, avail, name, sizeof(name));
		if (miss)
			return cell_error_set(err, EOPNOTSUPP,
					      "%s: the %s controller is not available here "
					      "(cgroup.controllers: %s)",
					      field_of_controller(miss), miss, avail);
		v2_unified_controllers(res, avail, need, sizeof(need));
	}
	if ((r = cg_mkdir(d->abs, d->root_len, &d->n_made, err)) < 0)
		return r;
	d->used = true;
	d->created = d->n_made > 0;
	if ((cg_v2_enable_controllers || *need) &&
	    (r = v2_enable(d, need, cg_v2_enable_controllers ? avail : NULL, err)) < 0)
		goto fail;
	if (res && !cg->join_only && (r = v2_apply(cg, res, false, err)) < 0)
		goto fail;
	return 0;
fail:
	if (d->created)
		cg_rmdir_made(d->abs, d->n_made);
	d->used = d->created = false;
	return r;
}

static int v2_attach(struct cgroup *cg, pid_t pid, struct cell_error **err)
{
	return cg_writef(cg->dirs[0].abs, "cgroup.procs", err, "%d", (int)pid);
}

static int v2_open_leaf(struct cgroup *cg, struct cell_error **err)
{
	int fd = open(cg->dirs[0].abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", cg->dirs[0].abs);
	return fd;
}

static int v2_update(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	int r = v2_validate(res, err);
	if (r < 0)
		return r;
	return v2_apply(cg, res, true, err);
}

static int v2_read_stats(struct cgroup *cg, struct cgroup_stats *st, struct cell_error **err)
{
	const char *d = cg->dirs[0].abs;
	uint64_t v;
	cg_read_u64(d, "memory.current", &st->memory_usage);
	cg_read_u64(d, "memory.peak", &st->memory_max_usage);
	cg_read_u64(d, "memory.max", &st->memory_limit);
	cg_read_u64(d, "memory.swap.current", &st->swap_usage);
	cg_read_u64(d, "memory.swap.max", &st->swap_limit);
	cg_read_keyed(d, "memory.events", "oom_kill", &st->oom_kills);
	if (cg_read_keyed(d, "cpu.stat", "usage_usec", &v) == 0)
		st->cpu_usage_ns = v * 1000;
	if (cg_read_keyed(d, "cpu.stat", "user_usec", &v) == 0)
		st->cpu_user_ns = v * 1000;
	if (cg_read_keyed(d, "cpu.stat", "system_usec", &v) == 0)
		st->cpu_system_ns = v * 1000;
	cg_read_keyed(d, "cpu.stat", "nr_periods", &st->cpu_nr_periods);
	cg_read_keyed(d, "cpu.stat", "nr_throttled", &st->cpu_nr_throttled);
	if (cg_read_keyed(d, "cpu.stat", "throttled_usec", &v) == 0)
		st->cpu_throttled_ns = v * 1000;
	cg_read_u64(d, "pids.current", &st->pids_current);
	cg_read_u64(d, "pids.max", &st->pids_limit);
	return 0;
}

static int v2_is_frozen(struct cgroup *cg, bool *ret, struct cell_error **err)
{
	uint64_t v = 0;
	int r = cg_read_keyed(cg->dirs[0].abs, "cgroup.events", "frozen", &v);
	if (r < 0)
		return cell_error_errno(err, -r, "read %s/cgroup.events", cg->dirs[0].abs);
	*ret = v == 1;
	return 0;
}

static int v2_freeze(struct cgroup *cg, bool frozen, struct cell_error **err)
{
	int r = cg_write(cg->dirs[0].abs, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	/* The write starts the change; cgroup.events says when every task got there. */
	for (int i = 0; i < 2000; i++) {
		bool now;
		if ((r = v2_is_frozen(cg, &now, err)) < 0)
			return r;
		if (now == frozen)
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 500 * 1000 }, NULL);
	}
	return cell_error_set(err, EBUSY, "%s: did not %s", cg->dirs[0].abs,
			      frozen ? "freeze" : "thaw");
}

/* Pids of dir and every cgroup below it (the container may have made its own). */
static int walk_pids(const char *dir, pid_t **all, size_t *n, struct cell_error **err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t k = 0;
	int r = cg_read_pids(dir, &pids, &k, err);
	if (r < 0)
		return r;
	pid_t *grown = realloc(*all, (*n + k + 1) * sizeof(**all));
	if (!grown)
		return cell_error_set(err, ENOMEM, "out of memory");
	*all = grown;
	memcpy(*all + *n, pids, k * sizeof(*pids));
	*n += k;
	_cleanup_closedir_ DIR *d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		if ((r = walk_pids(sub, all, n, err)) < 0)
			return r;
	}
	return 0;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

static int v2_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_len, struct cell_error **err)
{
	pid_t *all = NULL;
	size_t n = 0;
	int r = walk_pids(cg->dirs[0].abs, &all, &n, err);
	if (r < 0) {
		free(all);
		return r;
	}
	qsort(all, n, sizeof(*all), cmp_pid);
	*ret = all;
	*ret_len = n;
	return 0;
}

static int v2_kill_all(struct cgroup *cg, int signal, struct cell_error **err)
{
	if (signal == SIGKILL) {
		int r = cg_write(cg->dirs[0].abs, "cgroup.kill", "1", NULL);
		if (r == 0 || r == -ENOENT) {
			if (r == 0 || access(cg->dirs[0].abs, F_OK) < 0)
				return 0;
		}
	}
	/* No cgroup.kill (before 5.14) or another signal: freeze, signal each, thaw. */
	bool frozen = v2_freeze(cg, true, NULL) == 0;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = v2_list_pids(cg, &pids, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (kill(pids[i], signal) < 0 && errno != ESRCH)
			r = cell_error_errno(err, errno, "kill %d", (int)pids[i]);
	if (frozen)
		v2_freeze(cg, false, NULL);
	return r == -ENOENT ? 0 : r;
}

/* Children first: a container may have made cgroups of its own below its root. */
static int rmdir_tree(const char *dir, struct cell_error **err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : cell_error_errno(err, errno, "open %s", dir);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *sub = NULL;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		int r = rmdir_tree(sub, err);
		if (r < 0)
			return r;
	}
	return cg_rmdir(dir, err);
}

static int v2_destroy(struct cgroup *cg, struct cell_error **err)
{
	cg->dirs[0].used = false;
	/* Most containers have no sub-cgroups: try the leaf alone first. */
	if (rmdir(cg->dirs[0].abs) == 0 || errno == ENOENT)
		return 0;
	return rmdir_tree(cg->dirs[0].abs, err);
}

const struct cgroup_ops cgroup_v2_ops = {
	.name = "v2",
	.create = v2_create,
	.attach = v2_attach,
	.open_leaf = v2_open_leaf,
	.update = v2_update,
	.read_stats = v2_read_stats,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.list_pids = v2_list_pids,
	.kill_all = v2_kill_all,
	.destroy = v2_destroy,
};
