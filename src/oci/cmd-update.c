/* cmd-update.c - `update [--resources FILE|-] [--memory N ...] ID`: change a running container's
 * cgroup limits, from a linux.resources document (podman, containerd's shim) or runc's flags. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "target.h"

/* runc's flags: name, the object in linux.resources, the member, and how the value is read. */
enum value_kind { VALUE_BYTES, VALUE_INT, VALUE_UINT, VALUE_STRING };
static const struct {
	const char *flag, *object, *member;
	enum value_kind kind;
} flag_table[] = {
	{ "memory", "memory", "limit", VALUE_BYTES },
	{ "memory-reservation", "memory", "reservation", VALUE_BYTES },
	{ "memory-swap", "memory", "swap", VALUE_BYTES },
	{ "kernel-memory", "memory", "kernel", VALUE_BYTES },
	{ "kernel-memory-tcp", "memory", "kernelTCP", VALUE_BYTES },
	{ "cpu-share", "cpu", "shares", VALUE_UINT },
	{ "cpu-shares", "cpu", "shares", VALUE_UINT },
	{ "cpu-quota", "cpu", "quota", VALUE_INT },
	{ "cpu-period", "cpu", "period", VALUE_UINT },
	{ "cpu-rt-runtime", "cpu", "realtimeRuntime", VALUE_INT },
	{ "cpu-rt-period", "cpu", "realtimePeriod", VALUE_UINT },
	{ "cpuset-cpus", "cpu", "cpus", VALUE_STRING },
	{ "cpuset-mems", "cpu", "mems", VALUE_STRING },
	{ "pids-limit", "pids", "limit", VALUE_INT },
	{ "blkio-weight", "blockIO", "weight", VALUE_UINT },
};

/* "64m", "1G", "512kb", "1048576", "-1" (unlimited) as docker's units.RAMInBytes reads them. */
static int parse_bytes(const char *s, int64_t *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < -1)
		return -EINVAL;
	int64_t mult = 1;
	switch (tolower((unsigned char)*end)) {
	case '\0':
		break;
	case 'k':
		mult = 1LL << 10;
		break;
	case 'm':
		mult = 1LL << 20;
		break;
	case 'g':
		mult = 1LL << 30;
		break;
	case 't':
		mult = 1LL << 40;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2]) &&
	    !(tolower((unsigned char)end[1]) == 'i' && tolower((unsigned char)end[2]) == 'b' &&
	      !end[3]))
		return -EINVAL;
	if (v == -1 && mult == 1) {
		*ret = -1;
		return 0;
	}
	if (v < 0 || v * mult > (double)INT64_MAX)
		return -EINVAL;
	*ret = (int64_t)(v * mult);
	return 0;
}

static int set_flag(json_t *res, size_t i, const char *value, struct cell_error **err)
{
	json_t *obj = json_object_get(res, flag_table[i].object), *v = NULL;
	if (!obj) {
		obj = json_object();
		if (!obj || json_object_set_new(res, flag_table[i].object, obj) < 0)
			return cell_error_set(err, ENOMEM, "out of memory");
	}
	int64_t n;
	char *end;
	switch (flag_table[i].kind) {
	case VALUE_BYTES:
		if (parse_bytes(value, &n) < 0)
			goto bad;
		v = json_integer(n);
		break;
	case VALUE_INT:
	case VALUE_UINT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (errno || end == value || *end || (flag_table[i].kind == VALUE_UINT && n < 0))
			goto bad;
		v = json_integer(n);
		break;
	case VALUE_STRING:
		v = json_string(value);
		break;
	}
	if (!v || json_object_set_new(obj, flag_table[i].member, v) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
bad:
	return cell_error_set(err, EINVAL, "update --%s: '%s' is not a valid value",
			      flag_table[i].flag, value);
}

static int load_resources(const char *path, json_t **ret, struct cell_error **err)
{
	if (strcmp(path, "-") != 0)
		return json_load_object_file(path, ret, err);
	json_error_t jerr;
	json_t *j = json_loadf(stdin, 0, &jerr);
	if (!j || !json_is_object(j)) {
		json_decref(j);
		return cell_error_set(err, EINVAL, "update --resources -: stdin: %s",
				      j ? "not a JSON object" : jerr.text);
	}
	*ret = j;
	return 0;
}

int cmd_update(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static struct option opts[ARRAY_SIZE(flag_table) + 2];
	static const char *usage = "usage: cellrt update [--resources FILE|-] [--memory N] "
				   "[--cpu-quota N] [--pids-limit N] ... ID";
	for (size_t i = 0; i < ARRAY_SIZE(flag_table); i++)
		opts[i] =
			(struct option){ flag_table[i].flag, required_argument, NULL, (int)i + 1 };
	opts[ARRAY_SIZE(flag_table)] = (struct option){ "resources", required_argument, NULL, 'r' };
	_cleanup_json_ json_t *res = NULL;
	_cleanup_json_ json_t *flags = json_object();
	if (!flags)
		return cell_error_set(err, ENOMEM, "out of memory");
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (c == 'r') {
			json_decref(res);
			res = NULL;
			if ((r = load_resources(optarg, &res, err)) < 0)
				return r;
		} else if (c >= 1 && c <= (int)ARRAY_SIZE(flag_table)) {
			if ((r = set_flag(flags, c - 1, optarg, err)) < 0)
				return r;
		} else {
			return cell_error_set(err, EINVAL, "%s", usage);
		}
	}
	if ((r = cmd_need_args(argc, optind, 1, "update [--resources FILE|-] [FLAGS] ID", err)) < 0)
		return r;
	if (!res)
		res = json_incref(flags);
	else if (json_object_update_recursive(res, flags) < 0)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Device rules are fixed at create, as in runc: an update never rewrites them. */
	json_object_del(res, "devices");
	struct cgroup_resources *parsed = NULL;
	struct target t;
	if ((r = target_open(ctx->root, argv[optind], &t, err)) < 0)
		return r;
	if (t.status != STATUS_RUNNING && t.status != STATUS_PAUSED && t.status != STATUS_CREATED) {
		r = cell_error_set(err, EINVAL, "cannot update container %s: it is %s",
				   argv[optind], state_status_name(t.status));
		goto out;
	}
	if ((r = cgroup_resources_parse(res, &parsed, err)) < 0 ||
	    (r = cgroup_update(t.cg, parsed, err)) < 0)
		cell_error_wrap(err, "update %s", argv[optind]);
out:
	cgroup_resources_free(parsed);
	target_close(&t);
	return r;
}
