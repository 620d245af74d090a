/* config-keys.c - one row per instance config key: how its value is checked, whether it applies
 * live, and how the limits become OCI linux.resources. Names and units follow LXD's. */
#include "config-keys.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"

typedef int (*validate_fn)(const char *key, const char *value, struct cell_error **err);

struct config_key {
	const char *name; /* exact name, or a prefix ending in '.' for families (environment.) */
	validate_fn validate;
	bool live;
};

static int bad(struct cell_error **err, const char *key, const char *value, const char *why)
{
	return cell_error_set(err, EINVAL, "invalid value for %s: \"%s\" (%s)", key, value, why);
}

int config_parse_bool(const char *value, bool *ret)
{
	static const char *const yes[] = { "true", "1", "yes", "on" };
	static const char *const no[] = { "false", "0", "no", "off", "" };
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(value, yes[i]) == 0)
			return *ret = true, 0;
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(value, no[i]) == 0)
			return *ret = false, 0;
	return -EINVAL;
}

static int parse_u64(const char *s, uint64_t *ret, const char **end)
{
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	char *e;
	unsigned long long v = strtoull(s, &e, 10);
	if (errno)
		return -ERANGE;
	*ret = v;
	*end = e;
	return 0;
}

int config_parse_bytes(const char *value, uint64_t host_total, uint64_t *ret,
		       struct cell_error **err)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "B", 1 },
		{ "kB", 1000ULL },
		{ "MB", 1000ULL * 1000 },
		{ "GB", 1000ULL * 1000 * 1000 },
		{ "TB", 1000ULL * 1000 * 1000 * 1000 },
		{ "KiB", 1ULL << 10 },
		{ "MiB", 1ULL << 20 },
		{ "GiB", 1ULL << 30 },
		{ "TiB", 1ULL << 40 },
	};
	uint64_t n;
	const char *end;
	int r = parse_u64(value, &n, &end);
	if (r == -ERANGE)
		return cell_error_set(err, ERANGE, "\"%s\" is too large", value);
	if (r < 0)
		return cell_error_set(err, EINVAL, "\"%s\" is not a size (e.g. 512MiB, 1GB, 50%%)",
				      value);
	if (strcmp(end, "%") == 0) {
		if (!host_total || n == 0 || n > 100)
			return cell_error_set(err, EINVAL, "\"%s\": a percentage must be 1-100%%",
					      value);
		*ret = host_total / 100 * n + host_total % 100 * n / 100;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (n && units[i].mult > UINT64_MAX / n)
			return cell_error_set(err, ERANGE, "\"%s\" is too large", value);
		*ret = n * units[i].mult;
		return 0;
	}
	return cell_error_set(err, EINVAL,
			      "\"%s\" has an unknown unit (use B, kB, MB, GB, KiB, MiB, GiB)",
			      value);
}

static int parse_duration_us(const char *s, uint64_t *ret)
{
	uint64_t n;
	const char *end;
	if (parse_u64(s, &n, &end) < 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		*ret = n * 1000;
	else if (strcmp(end, "us") == 0)
		*ret = n;
	else if (strcmp(end, "s") == 0)
		*ret = n * 1000000;
	else
		return -EINVAL;
	return 0;
}

int config_parse_allowance(const char *value, int64_t *ret_quota_us, uint64_t *ret_period_us,
			   struct cell_error **err)
{
	uint64_t n;
	const char *end;
	const char *slash = strchr(value, '/');
	if (!slash) {
		if (parse_u64(value, &n, &end) < 0 || strcmp(end, "%") != 0 || n == 0)
			return cell_error_set(
				err, EINVAL, "\"%s\" is not an allowance (e.g. 50%% or 25ms/100ms)",
				value);
		/* A percentage of one CPU per 100 ms period, as LXD's hard limit. */
		*ret_period_us = 100000;
		*ret_quota_us = (int64_t)(n * 1000);
		return 0;
	}
	_cleanup_free_ char *q = strndup(value, (size_t)(slash - value));
	uint64_t quota, period;
	if (!q)
		return cell_error_set(err, ENOMEM, "out of memory");
	if (parse_duration_us(q, &quota) < 0 || parse_duration_us(slash + 1, &period) < 0 ||
	    quota < 1000 || period < 1000 || period > 1000000)
		return cell_error_set(
			err, EINVAL, "\"%s\" is not an allowance (e.g. 25ms/100ms; 1ms-1s)", value);
	*ret_quota_us = (int64_t)quota;
	*ret_period_us = period;
	return 0;
}

int config_parse_cpus(const char *value, unsigned host_cpus, char **ret, struct cell_error **err)
{
	uint64_t n;
	const char *end;
	if (parse_u64(value, &n, &end) == 0 && *end == '\0') {
		if (n == 0 || n > 4096)
			return cell_error_set(err, EINVAL, "\"%s\": a CPU count must be 1-4096",
					      value);
		if (n > host_cpus)
			n = host_cpus;
		if (asprintf(ret, n == 1 ? "0" : "0-%" PRIu64, n - 1) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	/* A set: digits, ranges and commas, each range ascending. */
	const char *p = value;
	while (*p) {
		uint64_t a, b;
		if (parse_u64(p, &a, &end) < 0)
			goto bad;
		b = a;
		if (*end == '-' && (parse_u64(end + 1, &b, &end) < 0 || b < a))
			goto bad;
		if (b >= 4096)
			goto bad;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	if (!*value)
		goto bad;
	*ret = strdup(value);
	return *ret ? 0 : cell_error_set(err, ENOMEM, "out of memory");
bad:
	return cell_error_set(err, EINVAL, "\"%s\" is neither a CPU count nor a set like 0-1,3",
			      value);
}

static int v_bool(const char *key, const char *value, struct cell_error **err)
{
	bool b;
	return config_parse_bool(value, &b) < 0 ? bad(err, key, value, "expected true or false") :
						  0;
}

static int v_any(const char *key, const char *value, struct cell_error **err)
{
	return 0;
}

static int v_bytes(const char *key, const char *value, struct cell_error **err)
{
	uint64_t n;
	_cleanup_error_ struct cell_error *e = NULL;
	if (config_parse_bytes(value, 1ULL << 40, &n, &e) < 0)
		return bad(err, key, value, "expected a size like 512MiB, 1GB or 50%");
	return 0;
}

static int v_swap(const char *key, const char *value, struct cell_error **err)
{
	bool b;
	return config_parse_bool(value, &b) == 0 ? 0 : v_bytes(key, value, err);
}

static int v_cpus(const char *key, const char *value, struct cell_error **err)
{
	_cleanup_free_ char *s = NULL;
	_cleanup_error_ struct cell_error *e = NULL;
	if (config_parse_cpus(value, 4096, &s, &e) < 0)
		return bad(err, key, value, "expected a count like 2 or a set like 0-1,3");
	return 0;
}

static int v_allowance(const char *key, const char *value, struct cell_error **err)
{
	int64_t q;
	uint64_t p;
	_cleanup_error_ struct cell_error *e = NULL;
	if (config_parse_allowance(value, &q, &p, &e) < 0)
		return bad(err, key, value,
			   "expected a percentage like 50% or a quota like 25ms/100ms");
	return 0;
}

static int v_count(const char *key, const char *value, struct cell_error **err)
{
	uint64_t n;
	const char *end;
	if (parse_u64(value, &n, &end) < 0 || *end || n == 0)
		return bad(err, key, value, "expected a positive integer");
	return 0;
}

static const struct config_key config_keys[] = {
	{ "boot.autostart", v_bool, true },
	{ "environment.", v_any, false },
	{ "limits.cpu", v_cpus, true },
	{ "limits.cpu.allowance", v_allowance, true },
	{ "limits.disk", v_bytes, false },
	{ "limits.memory", v_bytes, true },
	{ "limits.memory.swap", v_swap, true },
	{ "limits.processes", v_count, true },
	{ "security.nesting", v_bool, false },
	{ "security.privileged", v_bool, false },
	{ "user.", v_any, true },
	/* Set by celld itself; accepted so that a PUT of an instance's config round-trips. */
	{ "volatile.", v_any, true },
	{ "image.", v_any, true },
};

static const struct config_key *config_key_find(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_keys); i++) {
		const char *name = config_keys[i].name;
		size_t len = strlen(name);
		if (name[len - 1] == '.' ? strncmp(key, name, len) == 0 && key[len] :
					   strcmp(key, name) == 0)
			return &config_keys[i];
	}
	return NULL;
}

int config_key_validate(const char *key, const char *value, struct cell_error **err)
{
	const struct config_key *k = config_key_find(key);
	if (!k)
		return cell_error_set(err, EINVAL, "unknown config key: %s", key);
	return k->validate(key, value, err);
}

bool config_key_is_live(const char *key)
{
	const struct config_key *k = config_key_find(key);
	return k && k->live;
}

int config_validate_object(json_t *config, struct cell_error **err)
{
	const char *key;
	json_t *v;
	if (!json_is_object(config))
		return cell_error_set(err, EINVAL, "config: expected an object of strings");
	json_object_foreach (config, key, v) {
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "config key %s: expected a string value",
					      key);
		int r = config_key_validate(key, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *cfg(json_t *config, const char *key)
{
	return json_string_value(json_object_get(config, key));
}

static int resources_memory(json_t *config, uint64_t host_mem, json_t *res, struct cell_error **err)
{
	const char *mem = cfg(config, "limits.memory"), *swap = cfg(config, "limits.memory.swap");
	uint64_t limit = 0;
	if (!mem || !*mem)
		return 0;
	int r = config_parse_bytes(mem, host_mem, &limit, err);
	if (r < 0)
		return cell_error_wrap(err, "limits.memory");
	json_t *m = json_pack("{sI}", "limit", (json_int_t)limit);
	bool on = true;
	/* swap=false: no swap beyond the memory limit; a size: memory+swap total, as OCI wants. */
	if (swap && config_parse_bool(swap, &on) == 0 && !on)
		json_object_set_new(m, "swap", json_integer((json_int_t)limit));
	else if (swap && config_parse_bool(swap, &on) < 0) {
		uint64_t s;
		if ((r = config_parse_bytes(swap, host_mem, &s, err)) < 0) {
			json_decref(m);
			return cell_error_wrap(err, "limits.memory.swap");
		}
		json_object_set_new(m, "swap", json_integer((json_int_t)(limit + s)));
	}
	json_object_set_new(res, "memory", m);
	return 0;
}

int config_to_resources(json_t *config, uint64_t host_mem, unsigned host_cpus, json_t **ret,
			struct cell_error **err)
{
	_cleanup_json_ json_t *res = json_object();
	json_t *cpu = json_object();
	json_object_set_new(res, "cpu", cpu);
	int r = resources_memory(config, host_mem, res, err);
	if (r < 0)
		return r;
	const char *v = cfg(config, "limits.cpu");
	if (v && *v) {
		_cleanup_free_ char *set = NULL;
		if ((r = config_parse_cpus(v, host_cpus, &set, err)) < 0)
			return cell_error_wrap(err, "limits.cpu");
		json_object_set_new(cpu, "cpus", json_string(set));
	}
	v = cfg(config, "limits.cpu.allowance");
	if (v && *v) {
		int64_t quota;
		uint64_t period;
		if ((r = config_parse_allowance(v, &quota, &period, err)) < 0)
			return cell_error_wrap(err, "limits.cpu.allowance");
		json_object_set_new(cpu, "quota", json_integer(quota));
		json_object_set_new(cpu, "period", json_integer((json_int_t)period));
	}
	v = cfg(config, "limits.processes");
	if (v && *v)
		json_object_set_new(res, "pids", json_pack("{sI}", "limit", (json_int_t)atoll(v)));
	*ret = steal_ptr(res);
	return 0;
}
