/* cmd-events.c - `events [--stats] [--interval D] ID`: the container's resource usage as runc's
 * JSON events, once (--stats) or every interval until the container stops, with an "oom" event
 * whenever the kernel's OOM killer struck in it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "commands.h"
#include "json.h"
#include "target.h"

/* Go's duration syntax, the subset runc's users write: "5s", "500ms", "1m", "1.5s". */
static int parse_duration(const char *s, double *ret)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0)
		return -EINVAL;
	static const struct {
		const char *unit;
		double secs;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 },
		      { "s", 1 },     { "m", 60 },    { "h", 3600 } };
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcmp(end, units[i].unit) == 0) {
			*ret = v * units[i].secs;
			return 0;
		}
	return -EINVAL;
}

static json_t *stats_json(const struct cgroup_stats *s)
{
	return json_pack(
		"{s:{s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}}, s:{s:{s:I, s:I, s:I}, "
		"s:{s:I, s:I}}, s:{s:I, s:I}}",
		"cpu", "usage", "total", (json_int_t)s->cpu_usage_ns, "user",
		(json_int_t)s->cpu_user_ns, "kernel", (json_int_t)s->cpu_system_ns, "throttling",
		"periods", (json_int_t)s->cpu_nr_periods, "throttledPeriods",
		(json_int_t)s->cpu_nr_throttled, "throttledTime", (json_int_t)s->cpu_throttled_ns,
		"memory", "usage", "usage", (json_int_t)s->memory_usage, "max",
		(json_int_t)s->memory_max_usage, "limit", (json_int_t)s->memory_limit, "swap",
		"usage", (json_int_t)s->swap_usage, "limit", (json_int_t)s->swap_limit, "pids",
		"current", (json_int_t)s->pids_current, "limit", (json_int_t)s->pids_limit);
}

static int emit(const char *type, const char *id, json_t *data, struct cell_error **err)
{
	_cleanup_json_ json_t *ev =
		json_pack("{s:s, s:s, s:o*}", "type", type, "id", id, "data", data);
	char *text = ev ? json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	puts(text);
	fflush(stdout);
	free(text);
	return 0;
}

int cmd_events(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
					      { "interval", required_argument, NULL, 'i' },
					      { 0 } };
	bool once = false;
	double interval = 5;
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "si:", opts, NULL)) != -1) {
		if (c == 's')
			once = true;
		else if (c != 'i')
			return cell_error_set(err, EINVAL,
					      "usage: cellrt events [--stats] [--interval D] ID");
		else if (parse_duration(optarg, &interval) < 0)
			return cell_error_set(
				err, EINVAL,
				"events --interval: '%s' is not a duration (5s, 500ms)", optarg);
	}
	if ((r = cmd_need_args(argc, optind, 1, "events [--stats] [--interval D] ID", err)) < 0)
		return r;
	const char *id = argv[optind];
	struct target t;
	if ((r = target_open(ctx->root, id, &t, err)) < 0)
		return r;
	uint64_t ooms = 0;
	for (bool first = true;; first = false) {
		struct cgroup_stats s;
		if (t.status == STATUS_STOPPED) {
			r = first ? cell_error_set(err, EINVAL, "container %s is stopped", id) : 0;
			break;
		}
		if ((r = cgroup_read_stats(t.cg, &s, err)) < 0)
			break;
		if (!first && s.oom_kills > ooms && (r = emit("oom", id, NULL, err)) < 0)
			break;
		ooms = s.oom_kills;
		if ((r = emit("stats", id, stats_json(&s), err)) < 0 || once)
			break;
		struct timespec ts = { (time_t)interval,
				       (long)((interval - (time_t)interval) * 1e9) };
		nanosleep(&ts, NULL);
		t.status = state_status(ctx->root, &t.st);
	}
	target_close(&t);
	return r;
}
