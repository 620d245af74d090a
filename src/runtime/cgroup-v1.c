/* cgroup-v1.c - the cgroup v1 (and hybrid) backend: one directory per hierarchy the container
 * needs, made only in the hierarchies its resources use, plus freezer to track it and, on a
 * hybrid host, the cgroup2 mount for cgroup.kill and a sane "0::" line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fs.h"
#include "log.h"

#define RES "linux.resources"

/* Which hierarchies res needs; the field named for each in errors. */
static void v1_needed(const struct cgroup *cg, const struct cgroup_resources *res, bool need[CGH_N])
{
	unsigned s = res ? res->set : 0;
	memset(need, 0, CGH_N * sizeof(bool));
	need[CGH_FREEZER] = true;
	need[CGH_MEMORY] = s & CG_MEM_ANY;
	need[CGH_CPU] = s & CG_CPU_ANY;
	need[CGH_CPUSET] = s & CG_CPUSET_ANY;
	need[CGH_PIDS] = s & CG_PIDS;
	need[CGH_DEVICES] = cg_devices_restrict(res);
	need[CGH_BLKIO] = s & (CG_BLKIO_WEIGHT | CG_BLKIO_LEAF_WEIGHT);
	for (int t = 0; res && t < CG_THROTTLE_N; t++)
		need[CGH_BLKIO] |= res->n_throttle[t] > 0;
	need[CGH_BLKIO] |= res && res->n_weight_devices > 0;
	need[CGH_HUGETLB] = res && res->n_hugetlb > 0;
	need[CGH_NET_CLS] = s & CG_NET_CLASSID;
	need[CGH_NET_PRIO] = res && res->n_net_priorities > 0;
	need[CGH_UNIFIED] = cg->layout == CGROUP_LAYOUT_HYBRID;
}

static const char *const hier_field[CGH_N] = {
	[CGH_FREEZER] = "freezer (tracks the container)",
	[CGH_MEMORY] = RES ".memory",
	[CGH_CPU] = RES ".cpu",
	[CGH_CPUSET] = RES ".cpu.cpus/mems",
	[CGH_PIDS] = RES ".pids",
	[CGH_DEVICES] = RES ".devices",
	[CGH_BLKIO] = RES ".blockIO",
	[CGH_HUGETLB] = RES ".hugepageLimits",
	[CGH_NET_CLS] = RES ".network.classID",
	[CGH_NET_PRIO] = RES ".network.priorities",
	[CGH_SYSTEMD] = "name=systemd",
	[CGH_UNIFIED] = "cgroup2 (hybrid)",
};

/* Write one limit; the error names the spec field, the value and the file. */
static int set(const struct cgroup_dir *d, const char *field, const char *file, const char *value,
	       struct cell_error **err)
{
	int r = cg_write(d->abs, file, value, NULL);
	if (r == -ENOENT && access(d->abs, F_OK) == 0)
		return cell_error_set(err, EOPNOTSUPP, "%s: \"%s\": not supported here (no %s)",
				      field, value, file);
	if (r < 0)
		return cell_error_errno(err, -r, "%s: \"%s\": writing %s/%s", field, value, d->abs,
					file);
	return 0;
}

static int set_i64(const struct cgroup_dir *d, const char *field, const char *file, int64_t v,
		   struct cell_error **err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	return set(d, field, file, buf, err);
}

static int v1_memory(const struct cgroup_dir *d, const struct cgroup_resources *res, bool update,
		     struct cell_error **err)
{
	unsigned s = res->set;
	int r = 0;
	if (s & CG_MEM_LIMIT) {
		r = set_i64(d, RES ".memory.limit", "memory.limit_in_bytes", res->mem_limit, NULL);
		/* Lowering memsw below the old limit fails, so does raising the limit above
		 * the old memsw: on update, try the other order. */
		if (r == -EINVAL && update && (s & CG_MEM_SWAP) &&
		    (r = set_i64(d, RES ".memory.swap", "memory.memsw.limit_in_bytes",
				 res->mem_swap, err)) == 0)
			s &= ~CG_MEM_SWAP,
				r = set_i64(d, RES ".memory.limit", "memory.limit_in_bytes",
					    res->mem_limit, err);
		else if (r < 0)
			r = set_i64(d, RES ".memory.limit", "memory.limit_in_bytes", res->mem_limit,
				    err);
		if (r < 0)
			return r;
	}
	if ((s & CG_MEM_SWAP) && (r = set_i64(d, RES ".memory.swap", "memory.memsw.limit_in_bytes",
					      res->mem_swap, err)) < 0)
		return r;
	if ((s & CG_MEM_RESERVATION) &&
	    (r = set_i64(d, RES ".memory.reservation", "memory.soft_limit_in_bytes",
			 res->mem_reservation, err)) < 0)
		return r;
	if ((s & CG_MEM_SWAPPINESS) &&
	    (r = set_i64(d, RES ".memory.swappiness", "memory.swappiness",
			 (int64_t)res->mem_swappiness, err)) < 0)
		return r;
	if ((s & CG_MEM_NO_OOM_KILL) &&
	    (r = set(d, RES ".memory.disableOOMKiller", "memory.oom_control", "1", err)) < 0)
		return r;
	return 0;
}

static int v1_cpu(const struct cgroup_dir *d, const struct cgroup_resources *res,
		  struct cell_error **err)
{
	unsigned s = res->set;
	int r = 0;
	if (s & CG_CPU_SHARES)
		r = set_i64(d, RES ".cpu.shares", "cpu.shares", (int64_t)res->cpu_shares, err);
	/* The period first: the quota is checked against it. */
	if (r == 0 && (s & CG_CPU_PERIOD))
		r = set_i64(d, RES ".cpu.period", "cpu.cfs_period_us", (int64_t)res->cpu_period,
			    err);
	if (r == 0 && (s & CG_CPU_QUOTA))
		r = set_i64(d, RES ".cpu.quota", "cpu.cfs_quota_us", res->cpu_quota, err);
	if (r == 0 && (s & CG_CPU_BURST))
		r = set_i64(d, RES ".cpu.burst", "cpu.cfs_burst_us", (int64_t)res->cpu_burst, err);
	if (r == 0 && (s & CG_CPU_RT_PERIOD))
		r = set_i64(d, RES ".cpu.realtimePeriod", "cpu.rt_period_us",
			    (int64_t)res->cpu_rt_period, err);
	if (r == 0 && (s & CG_CPU_RT_RUNTIME))
		r = set_i64(d, RES ".cpu.realtimeRuntime", "cpu.rt_runtime_us", res->cpu_rt_runtime,
			    err);
	if (r == 0 && (s & CG_CPU_IDLE))
		r = set_i64(d, RES ".cpu.idle", "cpu.idle", res->cpu_idle, err);
	return r;
}

/* A new v1 cpuset is empty and refuses tasks: fill what the spec leaves out from the parent,
 * and every parent we made on the way down. */
static int v1_cpuset(const struct cgroup_dir *d, const struct cgroup_resources *res, bool update,
		     struct cell_error **err)
{
	_cleanup_free_ char *p = strdup(d->abs);
	if (!p)
		return -ENOMEM;
	for (int level = update || d->n_made < 1 ? 0 : d->n_made - 1; level >= 0; level--) {
		char *cut = p + strlen(d->abs);
		for (int i = 0; i < level; i++)
			cut = memrchr(p, '/', cut - p);
		char saved = *cut;
		*cut = 0;
		char *slash = strrchr(p, '/');
		for (int f = 0; f < 2; f++) {
			const char *file = f ? "cpuset.mems" : "cpuset.cpus";
			const char *want = level ? NULL : f ? res->mems : res->cpus;
			_cleanup_free_ char *parent_val = NULL;
			if (!want && update)
				continue;
			if (!want) {
				*slash = 0;
				int r = cg_read(p, file, &parent_val, err);
				*slash = '/';
				if (r < 0)
					return r;
				want = parent_val;
			}
			const char *field = f ? RES ".cpu.mems" : RES ".cpu.cpus";
			struct cgroup_dir at = { .abs = p };
			int r = set(&at, field, file, want, err);
			if ((r == -EINVAL || r == -ERANGE) && level == 0) {
				_cleanup_free_ char *avail = NULL;
				*slash = 0;
				cg_read(p, f ? "cpuset.effective_mems" : "cpuset.effective_cpus",
					&avail, NULL);
				*slash = '/';
				return cell_error_set(err, EINVAL,
						      "%s: \"%s\": not within the %s "
						      "available here (%s)",
						      field, want, f ? "memory nodes" : "CPUs",
						      avail ? avail : "?");
			}
			if (r < 0)
				return r;
		}
		*cut = saved;
	}
	return 0;
}

static int v1_blkio(const struct cgroup_dir *d, const struct cgroup_resources *res,
		    struct cell_error **err)
{
	static const char *const throttle_files[CG_THROTTLE_N] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"
	};
	/* CFQ's blkio.weight is gone from recent kernels; BFQ's file takes the same values. */
	const char *weight_file = "blkio.weight";
	char buf[64];
	int r = 0;
	if (res->set & (CG_BLKIO_WEIGHT | CG_BLKIO_LEAF_WEIGHT) || res->n_weight_devices) {
		snprintf(buf, sizeof(buf), "%s/blkio.weight", d->abs);
		if (access(buf, F_OK) < 0)
			weight_file = "blkio.bfq.weight";
	}
	if (res->set & CG_BLKIO_WEIGHT)
		r = set_i64(d, RES ".blockIO.weight", weight_file, (int64_t)res->blkio_weight, err);
	if (r == 0 && (res->set & CG_BLKIO_LEAF_WEIGHT))
		r = set_i64(d, RES ".blockIO.leafWeight", "blkio.leaf_weight",
			    (int64_t)res->blkio_leaf_weight, err);
	for (size_t i = 0; r == 0 && i < res->n_weight_devices; i++) {
		const struct cgroup_blkio_device *w = &res->weight_devices[i];
		snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)w->major,
			 (long long)w->minor, (unsigned long long)w->value);
		if (w->value)
			r = set(d, RES ".blockIO.weightDevice",
				strcmp(weight_file, "blkio.weight") ? weight_file :
								      "blkio.weight_device",
				buf, err);
		snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)w->major,
			 (long long)w->minor, (unsigned long long)w->leaf_weight);
		if (r == 0 && w->leaf_weight)
			r = set(d, RES ".blockIO.weightDevice", "blkio.leaf_weight_device", buf,
				err);
	}
	for (int t = 0; t < CG_THROTTLE_N; t++) {
		for (size_t i = 0; r == 0 && i < res->n_throttle[t]; i++) {
			const struct cgroup_blkio_device *b = &res->throttle[t][i];
			snprintf(buf, sizeof(buf), "%lld:%lld %llu", (long long)b->major,
				 (long long)b->minor, (unsigned long long)b->value);
			r = set(d, RES ".blockIO.throttle", throttle_files[t], buf, err);
		}
	}
	return r;
}

/* Rules in order, as the kernel keeps them: "a" resets, later rules win. One open per file. */
/* v1 refuses a whole-class rule ("a") in a cgroup that has children, as when `exec` applies the
 * limits again after a systemd inside made its own cgroups. A deny-all set at creation is still
 * in force then (devices.list no longer says "a *:* rwm"), so the rule may be taken as kept. */
static bool all_rule_kept(const struct cgroup_dir *d, const struct cgroup_device_rule *rule)
{
	if (rule->type != 'a' || rule->allow)
		return false;
	char path[4096];
	_cleanup_free_ char *list = NULL;
	snprintf(path, sizeof(path), "%s/devices.list", d->abs);
	if (fs_read_file(path, &list, NULL, NULL) < 0)
		return false;
	return strncmp(list, "a *:* rwm", 9) != 0;
}

static int v1_devices(const struct cgroup_dir *d, const struct cgroup_resources *res,
		      struct cell_error **err)
{
	int fds[2] = { -1, -1 };
	int r = 0;
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct cgroup_device_rule *rule = &res->devices[i];
		int *fd = &fds[rule->allow];
		const char *file = rule->allow ? "devices.allow" : "devices.deny";
		char line[64], maj[24] = "*", min[24] = "*";
		if (*fd < 0) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", d->abs, file);
			*fd = open(path, O_WRONLY | O_CLOEXEC);
			if (*fd < 0) {
				r = cell_error_errno(err, errno, "%s: open %s", RES ".devices",
						     path);
				break;
			}
		}
		if (rule->major >= 0)
			snprintf(maj, sizeof(maj), "%lld", (long long)rule->major);
		if (rule->minor >= 0)
			snprintf(min, sizeof(min), "%lld", (long long)rule->minor);
		int n = snprintf(line, sizeof(line), "%c %s:%s %s", rule->type, maj, min,
				 rule->access);
		if (write(*fd, line, n) != n && !(errno == EINVAL && all_rule_kept(d, rule))) {
			r = cell_error_errno(err, errno, "%s[%zu]: \"%s\": writing %s",
					     RES ".devices", i, line, file);
			break;
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return r;
}

static int v1_misc(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	char file[96], val[32];
	int r = 0;
	for (size_t i = 0; r == 0 && i < res->n_hugetlb; i++) {
		/* On a hybrid host hugetlb may live on the cgroup2 side only. */
		bool v2 = !cg->dirs[CGH_HUGETLB].used;
		snprintf(file, sizeof(file), v2 ? "hugetlb.%s.max" : "hugetlb.%s.limit_in_bytes",
			 res->hugetlb[i].page_size);
		snprintf(val, sizeof(val), "%llu", (unsigned long long)res->hugetlb[i].limit);
		r = set(&cg->dirs[v2 ? CGH_UNIFIED : CGH_HUGETLB], RES ".hugepageLimits", file, val,
			err);
	}
	if (r == 0 && (res->set & CG_NET_CLASSID))
		r = set_i64(&cg->dirs[CGH_NET_CLS], RES ".network.classID", "net_cls.classid",
			    (int64_t)res->net_classid, err);
	for (size_t i = 0; r == 0 && i < res->n_net_priorities; i++) {
		char line[128];
		snprintf(line, sizeof(line), "%s %s", res->net_priorities[i].key,
			 res->net_priorities[i].value);
		r = set(&cg->dirs[CGH_NET_PRIO], RES ".network.priorities", "net_prio.ifpriomap",
			line, err);
	}
	for (size_t i = 0; r == 0 && i < res->n_unified; i++) {
		const struct cgroup_kv *kv = &res->unified[i];
		if (cg->layout != CGROUP_LAYOUT_HYBRID)
			return cell_error_set(err, EOPNOTSUPP,
					      RES ".unified.%s: needs cgroup v2 (this host has v1 "
						  "only)",
					      kv->key);
		char field[160];
		snprintf(field, sizeof(field), RES ".unified.%s", kv->key);
		r = set(&cg->dirs[CGH_UNIFIED], field, kv->key, kv->value, err);
		if (r == -EOPNOTSUPP)
			r = cell_error_set(err, EINVAL,
					   RES ".unified: unknown key \"%s\" (no such "
					       "file in the cgroup2 hierarchy)",
					   kv->key);
	}
	return r;
}

static int v1_apply(struct cgroup *cg, const struct cgroup_resources *res, bool update,
		    struct cell_error **err)
{
	unsigned s = res->set;
	int r = 0;
	if (s & CG_MEM_ANY)
		r = v1_memory(&cg->dirs[CGH_MEMORY], res, update, err);
	if (r == 0 && (s & CG_CPU_ANY))
		r = v1_cpu(&cg->dirs[CGH_CPU], res, err);
	if (r == 0 && (s & CG_CPUSET_ANY))
		r = v1_cpuset(&cg->dirs[CGH_CPUSET], res, update, err);
	if (r == 0 && (s & CG_PIDS))
		r = res->pids_limit > 0 ?
			    set_i64(&cg->dirs[CGH_PIDS], RES ".pids.limit", "pids.max",
				    res->pids_limit, err) :
			    set(&cg->dirs[CGH_PIDS], RES ".pids.limit", "pids.max", "max", err);
	if (r == 0 && cg_devices_restrict(res))
		r = v1_devices(&cg->dirs[CGH_DEVICES], res, err);
	if (r == 0 && cg->dirs[CGH_BLKIO].used)
		r = v1_blkio(&cg->dirs[CGH_BLKIO], res, err);
	if (r == 0)
		r = v1_misc(cg, res, err);
	return r;
}

static void v1_rollback(struct cgroup *cg)
{
	for (int h = CGH_N - 1; h >= 0; h--) {
		struct cgroup_dir *d = &cg->dirs[h];
		if (d->used && d->created)
			cg_rmdir_made(d->abs, d->n_made);
		d->used = d->created = false;
		d->n_made = 0;
	}
}

static int v1_create(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	bool need[CGH_N];
	v1_needed(cg, res, need);
	int r = 0;
	/* hugetlb is not a v1 hierarchy on some hybrid hosts: its files are then in cgroup2. */
	if (need[CGH_HUGETLB] && cg->layout == CGROUP_LAYOUT_HYBRID) {
		char root[4096];
		snprintf(root, sizeof(root), "%s/hugetlb", cgroup_root());
		need[CGH_HUGETLB] = access(root, F_OK) == 0;
	}
	/* As runc does, join the name=systemd hierarchy where the host has one: a systemd inside
	 * (with a cgroup namespace) then finds its own writable subtree there. */
	char sd[4096];
	snprintf(sd, sizeof(sd), "%s/systemd", cgroup_root());
	need[CGH_SYSTEMD] = access(sd, F_OK) == 0;
	for (int h = 0; h < CGH_N; h++) {
		struct cgroup_dir *d = &cg->dirs[h];
		if (!need[h] || !d->abs || d->used) /* used: made before clone (open_leaf) */
			continue;
		r = cg_mkdir(d->abs, d->root_len, &d->n_made, err);
		if (r == -ENOENT)
			r = cell_error_set(err, EOPNOTSUPP,
					   "%s: the %s cgroup hierarchy is not "
					   "mounted",
					   hier_field[h], cgroup_hier_names[h]);
		if (r < 0)
			goto fail;
		d->used = true;
		d->created = d->n_made > 0;
	}
	if (res && !cg->join_only && (r = v1_apply(cg, res, false, err)) < 0)
		goto fail;
	return 0;
fail:
	v1_rollback(cg);
	return r;
}

static int v1_attach(struct cgroup *cg, pid_t pid, struct cell_error **err)
{
	for (int h = 0; h < CGH_N; h++) {
		if (!cg->dirs[h].used)
			continue;
		int r = cg_writef(cg->dirs[h].abs, "cgroup.procs", err, "%d", (int)pid);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Hybrid: the cgroup2 directory, made now, for clone3(CLONE_INTO_CGROUP). A write to its
 * cgroup.procs would take the global threadgroup rwsem (a grace period after a quiet spell);
 * being cloned into it takes only the reader side. The v1 directories come later (v1_create). */
static int v1_open_leaf(struct cgroup *cg, struct cell_error **err)
{
	struct cgroup_dir *d = &cg->dirs[CGH_UNIFIED];
	if (cg->layout != CGROUP_LAYOUT_HYBRID || !d->abs)
		return -EOPNOTSUPP;
	if (!d->used) {
		int r = cg_mkdir(d->abs, d->root_len, &d->n_made, err);
		if (r < 0)
			return r;
		d->used = true;
		d->created = d->n_made > 0;
	}
	int fd = open(d->abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "open %s", d->abs);
	cg->clone_leaf = true;
	return fd;
}

/* Each v1 hierarchy's `tasks` (cgroup.h: a thread moving itself skips the global rwsem); the
 * cgroup2 one of a hybrid host only when the init was not cloned into it: its cgroup.procs,
 * whose self-write still takes that rwsem. */
static int v1_open_join(struct cgroup *cg, struct cgroup_join *j, struct cell_error **err)
{
	size_t len = 0;
	for (int h = 0; h < CGH_N; h++) {
		const struct cgroup_dir *d = &cg->dirs[h];
		if (!d->used || (h == CGH_UNIFIED && cg->clone_leaf))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", d->abs,
			 h == CGH_UNIFIED ? "cgroup.procs" : "tasks");
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return cell_error_errno(err, errno, "open %s", path);
		j->fds[j->n++] = fd;
		const char *name = h == CGH_UNIFIED ? "cgroup2" : cgroup_hier_names[h];
		len += snprintf(j->names + len, sizeof(j->names) - len, "%s%s", len ? "," : "",
				name);
		if (len >= sizeof(j->names))
			len = sizeof(j->names) - 1;
	}
	return 0;
}

static int v1_update(struct cgroup *cg, const struct cgroup_resources *res, struct cell_error **err)
{
	/* A later command knows the paths, not which hierarchies were joined: look. */
	bool need[CGH_N];
	v1_needed(cg, res, need);
	for (int h = 0; h < CGH_N; h++) {
		struct cgroup_dir *d = &cg->dirs[h];
		if (!need[h] || !d->abs || h == CGH_FREEZER || h == CGH_UNIFIED)
			continue;
		if (access(d->abs, F_OK) < 0)
			return cell_error_set(err, EOPNOTSUPP,
					      "%s: the container was created without a %s cgroup "
					      "(a v1 limit cannot be added later)",
					      hier_field[h], cgroup_hier_names[h]);
		d->used = true;
	}
	cg->dirs[CGH_UNIFIED].used = cg->layout == CGROUP_LAYOUT_HYBRID;
	return v1_apply(cg, res, true, err);
}

static int v1_read_stats(struct cgroup *cg, struct cgroup_stats *st, struct cell_error **err)
{
	const char *mem = cg->dirs[CGH_MEMORY].abs, *cpu = cg->dirs[CGH_CPU].abs;
	const char *acct = cg->dirs[CGH_CPUACCT].abs, *pids = cg->dirs[CGH_PIDS].abs;
	uint64_t v;
	/* Only what the container's hierarchies hold; an absent file leaves a zero. */
	if (mem) {
		cg_read_u64(mem, "memory.usage_in_bytes", &st->memory_usage);
		cg_read_u64(mem, "memory.max_usage_in_bytes", &st->memory_max_usage);
		cg_read_u64(mem, "memory.limit_in_bytes", &st->memory_limit);
		if (cg_read_u64(mem, "memory.memsw.usage_in_bytes", &v) == 0)
			st->swap_usage = v > st->memory_usage ? v - st->memory_usage : 0;
		cg_read_u64(mem, "memory.memsw.limit_in_bytes", &st->swap_limit);
		cg_read_keyed(mem, "memory.oom_control", "oom_kill", &st->oom_kills);
	}
	if (cpu) {
		cg_read_keyed(cpu, "cpu.stat", "nr_periods", &st->cpu_nr_periods);
		cg_read_keyed(cpu, "cpu.stat", "nr_throttled", &st->cpu_nr_throttled);
		cg_read_keyed(cpu, "cpu.stat", "throttled_time", &st->cpu_throttled_ns);
	}
	if (acct) {
		long hz = sysconf(_SC_CLK_TCK);
		cg_read_u64(acct, "cpuacct.usage", &st->cpu_usage_ns);
		if (cg_read_keyed(acct, "cpuacct.stat", "user", &v) == 0)
			st->cpu_user_ns = v * (1000000000ull / (hz > 0 ? hz : 100));
		if (cg_read_keyed(acct, "cpuacct.stat", "system", &v) == 0)
			st->cpu_system_ns = v * (1000000000ull / (hz > 0 ? hz : 100));
	}
	if (pids) {
		cg_read_u64(pids, "pids.current", &st->pids_current);
		cg_read_u64(pids, "pids.max", &st->pids_limit);
	}
	return 0;
}

static int v1_freeze(struct cgroup *cg, bool frozen, struct cell_error **err)
{
	const char *dir = cg->dirs[CGH_FREEZER].abs;
	const char *want = frozen ? "FROZEN" : "THAWED";
	/* FREEZING means a task is still on its way (e.g. forking): ask again until settled. */
	for (int i = 0; i < 1000; i++) {
		int r = cg_write(dir, "freezer.state", want, err);
		if (r < 0)
			return r;
		_cleanup_free_ char *state = NULL;
		if ((r = cg_read(dir, "freezer.state", &state, err)) < 0)
			return r;
		if (!strcmp(state, want))
			return 0;
		nanosleep(&(struct timespec){ .tv_nsec = 1000 * 1000 }, NULL);
	}
	return cell_error_set(err, EBUSY, "%s: did not become %s", dir, want);
}

static int v1_is_frozen(struct cgroup *cg, bool *ret, struct cell_error **err)
{
	_cleanup_free_ char *state = NULL;
	int r = cg_read(cg->dirs[CGH_FREEZER].abs, "freezer.state", &state, err);
	if (r < 0)
		return r;
	*ret = !strcmp(state, "FROZEN");
	return 0;
}

static int v1_list_pids(struct cgroup *cg, pid_t **ret, size_t *ret_len, struct cell_error **err)
{
	return cg_read_pids(cg->dirs[CGH_FREEZER].abs, ret, ret_len, err);
}

static int v1_kill_all(struct cgroup *cg, int signal, struct cell_error **err)
{
	/* Hybrid: the cgroup2 side kills the whole tree in one write, with no race. */
	if (signal == SIGKILL && cg->layout == CGROUP_LAYOUT_HYBRID &&
	    cg_write(cg->dirs[CGH_UNIFIED].abs, "cgroup.kill", "1", NULL) == 0)
		return 0;
	/* Freeze so nothing forks past the signal, signal everyone, thaw so it is delivered. */
	bool frozen = v1_freeze(cg, true, NULL) == 0;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = v1_list_pids(cg, &pids, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (kill(pids[i], signal) < 0 && errno != ESRCH)
			r = cell_error_errno(err, errno, "kill %d", (int)pids[i]);
	if (frozen)
		v1_freeze(cg, false, NULL);
	return r == -ENOENT ? 0 : r;
}

static int v1_destroy(struct cgroup *cg, struct cell_error **err)
{
	/* Not knowing which hierarchies an earlier command joined, try each: ENOENT is fine. */
	int r = 0;
	for (int h = CGH_N - 1; h >= 0; h--) {
		if (!cg->dirs[h].abs ||
		    (h > 0 && cg->dirs[h - 1].abs && !strcmp(cg->dirs[h].abs, cg->dirs[h - 1].abs)))
			continue;
		int q = cg_rmdir(cg->dirs[h].abs, r < 0 ? NULL : err);
		if (q < 0 && r == 0)
			r = q;
		cg->dirs[h].used = false;
	}
	return r;
}

const struct cgroup_ops cgroup_v1_ops = {
	.name = "v1",
	.create = v1_create,
	.attach = v1_attach,
	.open_leaf = v1_open_leaf,
	.open_join = v1_open_join,
	.update = v1_update,
	.read_stats = v1_read_stats,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.list_pids = v1_list_pids,
	.kill_all = v1_kill_all,
	.destroy = v1_destroy,
};
