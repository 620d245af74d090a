/* cgroup-resources.c - linux.resources of the OCI spec into struct cgroup_resources, validated
 * before any cgroup is touched; errors name the field ("linux.resources.memory.limit: ..."). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json.h"

#define RES "linux.resources"

static bool present(json_t *obj, const char *key)
{
	json_t *v = obj ? json_object_get(obj, key) : NULL;
	return v && !json_is_null(v);
}

static int get_i64(json_t *obj, const char *where, const char *key, int64_t *ret, unsigned *set,
		   unsigned bit, struct cell_error **err)
{
	if (!present(obj, key))
		return 0;
	int r = json_get_int64(obj, where, key, ret, err);
	if (r < 0)
		return r;
	*set |= bit;
	return 0;
}

static int get_u64(json_t *obj, const char *where, const char *key, uint64_t *ret, unsigned *set,
		   unsigned bit, struct cell_error **err)
{
	if (!present(obj, key))
		return 0;
	int r = json_get_uint64(obj, where, key, ret, err);
	if (r < 0)
		return r;
	*set |= bit;
	return 0;
}

static int parse_memory(json_t *m, struct cgroup_resources *res, struct cell_error **err)
{
	const char *w = RES ".memory";
	int r;
	if ((r = get_i64(m, w, "limit", &res->mem_limit, &res->set, CG_MEM_LIMIT, err)) < 0 ||
	    (r = get_i64(m, w, "reservation", &res->mem_reservation, &res->set, CG_MEM_RESERVATION,
			 err)) < 0 ||
	    (r = get_i64(m, w, "swap", &res->mem_swap, &res->set, CG_MEM_SWAP, err)) < 0 ||
	    (r = get_u64(m, w, "swappiness", &res->mem_swappiness, &res->set, CG_MEM_SWAPPINESS,
			 err)) < 0)
		return r;
	bool no_oom = false;
	if ((r = json_get_bool(m, w, "disableOOMKiller", &no_oom, err)) < 0)
		return r;
	if (no_oom)
		res->set |= CG_MEM_NO_OOM_KILL;
	/* 0 is "not set" for runc; -1 is unlimited; other negatives are mistakes. */
	const struct {
		const char *name;
		int64_t *v;
		unsigned bit;
	} vals[] = {
		{ "limit", &res->mem_limit, CG_MEM_LIMIT },
		{ "reservation", &res->mem_reservation, CG_MEM_RESERVATION },
		{ "swap", &res->mem_swap, CG_MEM_SWAP },
	};
	for (size_t i = 0; i < ARRAY_SIZE(vals); i++) {
		if (!(res->set & vals[i].bit))
			continue;
		if (*vals[i].v < -1)
			return cell_error_set(err, EINVAL, "%s.%s: %lld: must be -1 or positive", w,
					      vals[i].name, (long long)*vals[i].v);
		if (*vals[i].v == 0)
			res->set &= ~vals[i].bit;
	}
	if ((res->set & CG_MEM_SWAPPINESS) && res->mem_swappiness > 100)
		return cell_error_set(err, EINVAL, "%s.swappiness: %llu: must be within 0-100", w,
				      (unsigned long long)res->mem_swappiness);
	if ((res->set & CG_MEM_SWAP) && (res->set & CG_MEM_LIMIT) && res->mem_swap != -1 &&
	    (res->mem_limit == -1 || res->mem_swap < res->mem_limit))
		return cell_error_set(err, EINVAL,
				      "%s.swap: %lld: less than memory.limit %lld (swap counts "
				      "memory + swap)",
				      w, (long long)res->mem_swap, (long long)res->mem_limit);
	return 0;
}

int cg_parse_cpulist(const char *s, unsigned *ret_max)
{
	unsigned max = 0;
	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p;) {
		char *end;
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (*end == '-') {
			p = end + 1;
			if (*p < '0' || *p > '9')
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		/* The kernel's limit is NR_CPUS (at most 8192); larger is a typo. */
		if (b < a || b >= 8192)
			return -EINVAL;
		if (b > max)
			max = b;
		p = end;
		if (*p == ',')
			p++;
		else if (*p == '\n' && !p[1])
			p++;
		else if (*p)
			return -EINVAL;
	}
	if (ret_max)
		*ret_max = max;
	return 0;
}

static int parse_cpu(json_t *c, struct cgroup_resources *res, struct cell_error **err)
{
	const char *w = RES ".cpu";
	const char *cpus = NULL, *mems = NULL;
	int r;
	if ((r = get_u64(c, w, "shares", &res->cpu_shares, &res->set, CG_CPU_SHARES, err)) < 0 ||
	    (r = get_i64(c, w, "quota", &res->cpu_quota, &res->set, CG_CPU_QUOTA, err)) < 0 ||
	    (r = get_u64(c, w, "period", &res->cpu_period, &res->set, CG_CPU_PERIOD, err)) < 0 ||
	    (r = get_u64(c, w, "burst", &res->cpu_burst, &res->set, CG_CPU_BURST, err)) < 0 ||
	    (r = get_i64(c, w, "realtimeRuntime", &res->cpu_rt_runtime, &res->set,
			 CG_CPU_RT_RUNTIME, err)) < 0 ||
	    (r = get_u64(c, w, "realtimePeriod", &res->cpu_rt_period, &res->set, CG_CPU_RT_PERIOD,
			 err)) < 0 ||
	    (r = get_i64(c, w, "idle", &res->cpu_idle, &res->set, CG_CPU_IDLE, err)) < 0 ||
	    (r = json_get_string(c, w, "cpus", &cpus, err)) < 0 ||
	    (r = json_get_string(c, w, "mems", &mems, err)) < 0)
		return r;
	if ((res->set & CG_CPU_SHARES) && res->cpu_shares == 0)
		res->set &= ~CG_CPU_SHARES;
	/* The kernel's range for cpu.shares; v2's weight conversion assumes it too. */
	if ((res->set & CG_CPU_SHARES) && (res->cpu_shares < 2 || res->cpu_shares > 262144))
		return cell_error_set(err, EINVAL, "%s.shares: %llu: out of range 2-262144", w,
				      (unsigned long long)res->cpu_shares);
	if ((res->set & CG_CPU_QUOTA) && res->cpu_quota == 0)
		res->set &= ~CG_CPU_QUOTA;
	if ((res->set & CG_CPU_QUOTA) && res->cpu_quota != -1 && res->cpu_quota < 1000)
		return cell_error_set(err, EINVAL,
				      "%s.quota: %lld: must be -1 or at least 1000 (microseconds)",
				      w, (long long)res->cpu_quota);
	if ((res->set & CG_CPU_PERIOD) && res->cpu_period == 0)
		res->set &= ~CG_CPU_PERIOD;
	if ((res->set & CG_CPU_PERIOD) && (res->cpu_period < 1000 || res->cpu_period > 1000000))
		return cell_error_set(err, EINVAL,
				      "%s.period: %llu: out of range 1000-1000000 (microseconds)",
				      w, (unsigned long long)res->cpu_period);
	if ((res->set & CG_CPU_IDLE) && (res->cpu_idle < 0 || res->cpu_idle > 1))
		return cell_error_set(err, EINVAL, "%s.idle: %lld: must be 0 or 1", w,
				      (long long)res->cpu_idle);
	if (cpus && *cpus) {
		if (cg_parse_cpulist(cpus, NULL) < 0)
			return cell_error_set(err, EINVAL, "%s.cpus: \"%s\": not a CPU list", w,
					      cpus);
		if (!(res->cpus = strdup(cpus)))
			return -ENOMEM;
		res->set |= CG_CPU_CPUS;
	}
	if (mems && *mems) {
		if (cg_parse_cpulist(mems, NULL) < 0)
			return cell_error_set(err, EINVAL, "%s.mems: \"%s\": not a node list", w,
					      mems);
		if (!(res->mems = strdup(mems)))
			return -ENOMEM;
		res->set |= CG_CPU_MEMS;
	}
	return 0;
}

static int parse_pids(json_t *p, struct cgroup_resources *res, struct cell_error **err)
{
	int r = get_i64(p, RES ".pids", "limit", &res->pids_limit, &res->set, CG_PIDS, err);
	if (r < 0)
		return r;
	/* runc: 0 leaves the limit alone, a negative value means "max". */
	if ((res->set & CG_PIDS) && res->pids_limit == 0)
		res->set &= ~CG_PIDS;
	return 0;
}

int cg_parse_major_minor(json_t *e, const char *where, int64_t *major, int64_t *minor,
			 bool wildcard, struct cell_error **err)
{
	int r;
	*major = *minor = -1;
	if ((r = json_get_int64(e, where, "major", major, err)) < 0 ||
	    (r = json_get_int64(e, where, "minor", minor, err)) < 0)
		return r;
	if (!wildcard && (*major < 0 || *minor < 0))
		return cell_error_set(err, EINVAL, "%s: major and minor are required", where);
	if (*major < -1 || *minor < -1 || *major > 0xfffff || *minor > 0xfffff)
		return cell_error_set(err, EINVAL, "%s: device %lld:%lld out of range", where,
				      (long long)*major, (long long)*minor);
	return 0;
}

static int parse_blkio_list(json_t *b, const char *key, struct cgroup_blkio_device **ret,
			    size_t *ret_n, bool weights, struct cell_error **err)
{
	json_t *arr = NULL;
	int r = json_get_array(b, RES ".blockIO", key, &arr, err);
	if (r < 0 || !arr || json_array_size(arr) == 0)
		return r;
	*ret = calloc(json_array_size(arr), sizeof(**ret));
	if (!*ret)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach (arr, i, e) {
		char where[96];
		snprintf(where, sizeof(where), RES ".blockIO.%s[%zu]", key, i);
		struct cgroup_blkio_device *d = &(*ret)[i];
		if (!json_is_object(e))
			return cell_error_set(err, EINVAL, "%s: expected an object", where);
		if ((r = cg_parse_major_minor(e, where, &d->major, &d->minor, false, err)) < 0 ||
		    (r = json_get_uint64(e, where, weights ? "weight" : "rate", &d->value, err)) <
			    0)
			return r;
		if (weights &&
		    (r = json_get_uint64(e, where, "leafWeight", &d->leaf_weight, err)) < 0)
			return r;
		if (weights && ((d->value && (d->value < 10 || d->value > 1000)) ||
				(d->leaf_weight && (d->leaf_weight < 10 || d->leaf_weight > 1000))))
			return cell_error_set(err, EINVAL, "%s: weight out of range 10-1000",
					      where);
		(*ret_n)++;
	}
	return 0;
}

static int parse_blkio(json_t *b, struct cgroup_resources *res, struct cell_error **err)
{
	const char *w = RES ".blockIO";
	static const char *const throttle_keys[CG_THROTTLE_N] = { "throttleReadBpsDevice",
								  "throttleWriteBpsDevice",
								  "throttleReadIOPSDevice",
								  "throttleWriteIOPSDevice" };
	int r;
	if ((r = get_u64(b, w, "weight", &res->blkio_weight, &res->set, CG_BLKIO_WEIGHT, err)) <
		    0 ||
	    (r = get_u64(b, w, "leafWeight", &res->blkio_leaf_weight, &res->set,
			 CG_BLKIO_LEAF_WEIGHT, err)) < 0)
		return r;
	if ((res->set & CG_BLKIO_WEIGHT) && (res->blkio_weight < 10 || res->blkio_weight > 1000))
		return cell_error_set(err, EINVAL, "%s.weight: %llu: out of range 10-1000", w,
				      (unsigned long long)res->blkio_weight);
	if ((res->set & CG_BLKIO_LEAF_WEIGHT) &&
	    (res->blkio_leaf_weight < 10 || res->blkio_leaf_weight > 1000))
		return cell_error_set(err, EINVAL, "%s.leafWeight: %llu: out of range 10-1000", w,
				      (unsigned long long)res->blkio_leaf_weight);
	if ((r = parse_blkio_list(b, "weightDevice", &res->weight_devices, &res->n_weight_devices,
				  true, err)) < 0)
		return r;
	for (int t = 0; t < CG_THROTTLE_N; t++)
		if ((r = parse_blkio_list(b, throttle_keys[t], &res->throttle[t],
					  &res->n_throttle[t], false, err)) < 0)
			return r;
	return 0;
}

static int parse_hugetlb(json_t *arr, struct cgroup_resources *res, struct cell_error **err)
{
	if (!json_is_array(arr))
		return cell_error_set(err, EINVAL, RES ".hugepageLimits: expected an array");
	res->hugetlb = calloc(json_array_size(arr) + 1, sizeof(*res->hugetlb));
	if (!res->hugetlb)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach (arr, i, e) {
		char where[64];
		const char *size = NULL;
		uint64_t limit = 0;
		snprintf(where, sizeof(where), RES ".hugepageLimits[%zu]", i);
		int r = json_get_string(e, where, "pageSize", &size, err);
		if (r < 0 || (r = json_get_uint64(e, where, "limit", &limit, err)) < 0)
			return r;
		/* "2MB", "1GB", "64KB": the suffix of the kernel's hugetlb.<size>.* files. */
		size_t n = size ? strspn(size, "0123456789") : 0;
		if (!size || n == 0 || n > 6 || strlen(size) != n + 2 || !strchr("KMG", size[n]) ||
		    size[n + 1] != 'B')
			return cell_error_set(err, EINVAL, "%s.pageSize: \"%s\": expected e.g. 2MB",
					      where, size ? size : "");
		if (!(res->hugetlb[i].page_size = strdup(size)))
			return -ENOMEM;
		res->hugetlb[i].limit = limit;
		res->n_hugetlb++;
	}
	return 0;
}

static int parse_network(json_t *n, struct cgroup_resources *res, struct cell_error **err)
{
	const char *w = RES ".network";
	int r = get_u64(n, w, "classID", &res->net_classid, &res->set, CG_NET_CLASSID, err);
	json_t *arr = NULL;
	if (r < 0 || (r = json_get_array(n, w, "priorities", &arr, err)) < 0 || !arr)
		return r;
	res->net_priorities = calloc(json_array_size(arr) + 1, sizeof(*res->net_priorities));
	if (!res->net_priorities)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach (arr, i, e) {
		char where[64];
		const char *name = NULL;
		uint64_t prio = 0;
		snprintf(where, sizeof(where), "%s.priorities[%zu]", w, i);
		if ((r = json_get_string(e, where, "name", &name, err)) < 0 ||
		    (r = json_get_uint64(e, where, "priority", &prio, err)) < 0)
			return r;
		if (!name || !*name || strpbrk(name, " \n/"))
			return cell_error_set(err, EINVAL, "%s.name: expected an interface name",
					      where);
		struct cgroup_kv *kv = &res->net_priorities[res->n_net_priorities++];
		if (!(kv->key = strdup(name)) ||
		    asprintf(&kv->value, "%llu", (unsigned long long)prio) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Keys that would move processes or reconfigure the tree rather than set a limit. */
static bool unified_key_ok(const char *key)
{
	static const char *const refused[] = {
		"cgroup.procs", "cgroup.threads", "cgroup.subtree_control",
		"cgroup.type",	"cgroup.kill",	  "cgroup.freeze"
	};
	const char *dot = strchr(key, '.');
	if (!dot || dot == key || !dot[1] || strchr(key, '/') || strstr(key, ".."))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (!strcmp(key, refused[i]))
			return false;
	return true;
}

static int parse_unified(json_t *u, struct cgroup_resources *res, struct cell_error **err)
{
	if (!json_is_object(u))
		return cell_error_set(err, EINVAL, RES ".unified: expected an object");
	res->unified = calloc(json_object_size(u) + 1, sizeof(*res->unified));
	if (!res->unified)
		return -ENOMEM;
	const char *key;
	json_t *v;
	json_object_foreach (u, key, v) {
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, RES ".unified.%s: expected a string",
					      key);
		if (!unified_key_ok(key))
			return cell_error_set(err, EINVAL,
					      RES ".unified: \"%s\": not a controller file name",
					      key);
		struct cgroup_kv *kv = &res->unified[res->n_unified++];
		if (!(kv->key = strdup(key)) || !(kv->value = strdup(json_string_value(v))))
			return -ENOMEM;
	}
	return 0;
}

typedef int (*section_fn)(json_t *obj, struct cgroup_resources *res, struct cell_error **err);

int cgroup_resources_parse(json_t *resources, struct cgroup_resources **ret,
			   struct cell_error **err)
{
	static const struct {
		const char *key;
		section_fn parse;
		bool object;
	} sections[] = {
		{ "memory", parse_memory, true },
		{ "cpu", parse_cpu, true },
		{ "pids", parse_pids, true },
		{ "blockIO", parse_blkio, true },
		{ "hugepageLimits", parse_hugetlb, false },
		{ "network", parse_network, true },
		{ "devices", cg_parse_devices, false },
		{ "unified", parse_unified, false },
	};
	struct cgroup_resources *res = calloc(1, sizeof(*res));
	if (!res)
		return -ENOMEM;
	int r = 0;
	if (resources && !json_is_null(resources) && !json_is_object(resources)) {
		r = cell_error_set(err, EINVAL, RES ": expected an object");
		goto fail;
	}
	for (size_t i = 0; resources && i < ARRAY_SIZE(sections); i++) {
		json_t *v = json_object_get(resources, sections[i].key);
		if (!v || json_is_null(v))
			continue;
		if (sections[i].object && !json_is_object(v)) {
			r = cell_error_set(err, EINVAL, RES ".%s: expected an object",
					   sections[i].key);
			goto fail;
		}
		if ((r = sections[i].parse(v, res, err)) < 0)
			goto fail;
	}
	if (resources && present(resources, "rdma")) {
		r = cell_error_set(err, EOPNOTSUPP, RES ".rdma: not supported by cellrt");
		goto fail;
	}
	*ret = res;
	return 0;
fail:
	if (r == -ENOMEM)
		cell_error_set(err, ENOMEM, RES ": out of memory");
	cgroup_resources_free(res);
	return r;
}

static void kv_free(struct cgroup_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

void cgroup_resources_free(struct cgroup_resources *res)
{
	if (!res)
		return;
	free(res->cpus);
	free(res->mems);
	free(res->weight_devices);
	for (int t = 0; t < CG_THROTTLE_N; t++)
		free(res->throttle[t]);
	for (size_t i = 0; res->hugetlb && i < res->n_hugetlb; i++)
		free(res->hugetlb[i].page_size);
	free(res->hugetlb);
	kv_free(res->net_priorities, res->n_net_priorities);
	free(res->devices);
	kv_free(res->unified, res->n_unified);
	free(res);
}

uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cg_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	return 1 + (weight - 10) * 9999 / 990;
}

int64_t cg_swap_v2(int64_t limit, int64_t swap)
{
	if (swap == -1)
		return -1;
	if (limit <= 0)
		return swap; /* no memory limit: the whole value is swap */
	return swap - limit;
}
