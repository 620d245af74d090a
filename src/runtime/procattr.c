/* procattr.c - personality, I/O priority and scheduler attributes of the container's process:
 * names from config.json to values, and the syscalls that set them. */
#include "procattr.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"

struct name_value {
	const char *name;
	unsigned long value;
};

/* Scheduler policies and flags as linux/sched.h numbers them (SCHED_ISO is reserved). */
static const struct name_value policies[] = {
	{ "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },	    { "SCHED_BATCH", 3 },
	{ "SCHED_ISO", 4 },   { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};
static const struct name_value sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", 0x01 },  { "SCHED_FLAG_RECLAIM", 0x02 },
	{ "SCHED_FLAG_DL_OVERRUN", 0x04 },     { "SCHED_FLAG_KEEP_POLICY", 0x08 },
	{ "SCHED_FLAG_KEEP_PARAMS", 0x10 },    { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};
static const struct name_value ioprio_classes[] = {
	{ "IOPRIO_CLASS_RT", 1 },
	{ "IOPRIO_CLASS_BE", 2 },
	{ "IOPRIO_CLASS_IDLE", 3 },
};
static const struct name_value personality_flags[] = {
	{ "UNAME26", UNAME26 },
	{ "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
	{ "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
	{ "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
	{ "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
	{ "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
	{ "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
	{ "SHORT_INODE", SHORT_INODE },
	{ "WHOLE_SECONDS", WHOLE_SECONDS },
	{ "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
	{ "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
};

static int lookup(const struct name_value *t, size_t n, const char *name, unsigned long *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0) {
			*ret = t[i].value;
			return 0;
		}
	return -1;
}

/* OR of the named flags of array key in obj. */
static int parse_flags(json_t *obj, const char *where, const char *key, const struct name_value *t,
		       size_t n, unsigned long *ret, struct cell_error **err)
{
	json_t *arr = NULL, *v;
	size_t i;
	int r = json_get_array(obj, where, key, &arr, err);
	if (r < 0)
		return r;
	*ret = 0;
	json_array_foreach (arr, i, v) {
		unsigned long bit;
		if (!json_is_string(v) || lookup(t, n, json_string_value(v), &bit) < 0)
			return cell_error_set(err, EINVAL, "%s.%s[%zu]: unknown flag %s", where,
					      key, i,
					      json_is_string(v) ? json_string_value(v) : "");
		*ret |= bit;
	}
	return 0;
}

int procattr_parse_scheduler(json_t *obj, const char *where, struct spec_sched *s,
			     struct cell_error **err)
{
	const char *policy = NULL;
	int64_t nice = 0, prio = 0;
	unsigned long v, flags = 0;
	int r;
	memset(s, 0, sizeof(*s));
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return cell_error_set(err, EINVAL, "%s: expected an object", where);
	if ((r = json_get_string(obj, where, "policy", &policy, err)) < 0)
		return r;
	if (!policy)
		return cell_error_set(err, EINVAL, "%s.policy: required", where);
	if (lookup(policies, ARRAY_SIZE(policies), policy, &v) < 0 || v == 4)
		return cell_error_set(err, EINVAL, "%s.policy: unknown policy %s", where, policy);
	if ((r = json_get_int64(obj, where, "nice", &nice, err)) < 0 ||
	    (r = json_get_int64(obj, where, "priority", &prio, err)) < 0 ||
	    (r = parse_flags(obj, where, "flags", sched_flags, ARRAY_SIZE(sched_flags), &flags,
			     err)) < 0 ||
	    (r = json_get_uint64(obj, where, "runtime", &s->runtime, err)) < 0 ||
	    (r = json_get_uint64(obj, where, "deadline", &s->deadline, err)) < 0 ||
	    (r = json_get_uint64(obj, where, "period", &s->period, err)) < 0)
		return r;
	if (nice < -20 || nice > 19)
		return cell_error_set(err, EINVAL, "%s.nice: %lld is not in -20..19", where,
				      (long long)nice);
	if (prio < 0 || prio > 99)
		return cell_error_set(err, EINVAL, "%s.priority: %lld is not in 0..99", where,
				      (long long)prio);
	s->set = true;
	s->policy = (uint32_t)v;
	s->nice = (int32_t)nice;
	s->priority = (uint32_t)prio;
	s->flags = flags;
	return 0;
}

int procattr_parse_ioprio(json_t *obj, const char *where, struct spec_ioprio *io,
			  struct cell_error **err)
{
	const char *class = NULL;
	int64_t prio = 0;
	unsigned long v;
	int r;
	memset(io, 0, sizeof(*io));
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return cell_error_set(err, EINVAL, "%s: expected an object", where);
	if ((r = json_get_string(obj, where, "class", &class, err)) < 0 ||
	    (r = json_get_int64(obj, where, "priority", &prio, err)) < 0)
		return r;
	if (!class || lookup(ioprio_classes, ARRAY_SIZE(ioprio_classes), class, &v) < 0)
		return cell_error_set(err, EINVAL, "%s.class: %s%s", where,
				      class ? "unknown class " : "required", class ? class : "");
	if (prio < 0 || prio > 7)
		return cell_error_set(err, EINVAL, "%s.priority: %lld is not in 0..7", where,
				      (long long)prio);
	io->set = true;
	io->class = (int)v;
	io->priority = (int)prio;
	return 0;
}

int procattr_parse_personality(json_t *obj, long *ret, struct cell_error **err)
{
	const char *domain = NULL;
	unsigned long flags = 0;
	int r;
	*ret = -1;
	if (!obj || json_is_null(obj))
		return 0;
	if (!json_is_object(obj))
		return cell_error_set(err, EINVAL, "linux.personality: expected an object");
	if ((r = json_get_string(obj, "linux.personality", "domain", &domain, err)) < 0 ||
	    (r = parse_flags(obj, "linux.personality", "flags", personality_flags,
			     ARRAY_SIZE(personality_flags), &flags, err)) < 0)
		return r;
	if (!domain)
		return cell_error_set(err, EINVAL, "linux.personality.domain: required");
	if (strcmp(domain, "LINUX") == 0)
		*ret = (long)(PER_LINUX | flags);
	else if (strcmp(domain, "LINUX32") == 0)
		*ret = (long)(PER_LINUX32 | flags);
	else
		return cell_error_set(err, EINVAL,
				      "linux.personality.domain: %s is neither LINUX nor LINUX32",
				      domain);
	return 0;
}

/* struct sched_attr of sched_setattr(2); glibc 2.36 has no wrapper. */
struct sched_attr_v1 {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
};

int procattr_apply(const struct spec_sched *sched, const struct spec_ioprio *io, long persona,
		   struct cell_error **err)
{
	if (sched && sched->set) {
		struct sched_attr_v1 a = { .size = sizeof(a),
					   .sched_policy = sched->policy,
					   .sched_flags = sched->flags,
					   .sched_nice = sched->nice,
					   .sched_priority = sched->priority,
					   .sched_runtime = sched->runtime,
					   .sched_deadline = sched->deadline,
					   .sched_period = sched->period };
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return cell_error_errno(err, errno, "process.scheduler: sched_setattr");
	}
	if (io && io->set &&
	    syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, io->class << 13 | io->priority) <
		    0)
		return cell_error_errno(err, errno, "process.ioPriority: ioprio_set");
	if (persona >= 0 && personality((unsigned long)persona) < 0)
		return cell_error_errno(err, errno, "linux.personality");
	return 0;
}
