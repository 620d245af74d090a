/* caps.c - capability sets: names through libcap, bounding drop, capset and ambient raise. */
#include "caps.h"

#include <errno.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "json.h"
#include "log.h"

static int parse_set(json_t *caps, const char *where, const char *key, uint64_t *ret,
		     struct cell_error **err)
{
	json_t *arr = NULL, *v;
	int r = json_get_array(caps, where, key, &arr, err);
	if (r < 0 || !arr)
		return r;
	size_t i;
	json_array_foreach (arr, i, v) {
		if (!json_is_string(v))
			return cell_error_set(err, EINVAL, "%s.%s[%zu]: expected a string", where,
					      key, i);
		cap_value_t cap;
		if (cap_from_name(json_string_value(v), &cap) < 0 || cap >= 64 ||
		    !CAP_IS_SUPPORTED(cap)) {
			log_warn("%s.%s[%zu]: unknown capability '%s' ignored", where, key, i,
				 json_string_value(v));
			continue;
		}
		*ret |= 1ULL << cap;
	}
	return 0;
}

int caps_parse(json_t *caps, const char *where, struct spec_caps *c, struct cell_error **err)
{
	int r;
	memset(c, 0, sizeof(*c));
	c->present = true;
	if ((r = parse_set(caps, where, "bounding", &c->bounding, err)) < 0 ||
	    (r = parse_set(caps, where, "effective", &c->effective, err)) < 0 ||
	    (r = parse_set(caps, where, "permitted", &c->permitted, err)) < 0 ||
	    (r = parse_set(caps, where, "inheritable", &c->inheritable, err)) < 0 ||
	    (r = parse_set(caps, where, "ambient", &c->ambient, err)) < 0)
		return r;
	return 0;
}

int caps_drop_bounding(const struct spec_caps *c, struct cell_error **err)
{
	if (!c->present)
		return 0;
	for (cap_value_t cap = 0; cap <= cap_max_bits() - 1 && cap < 64; cap++) {
		if (c->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return cell_error_errno(err, errno, "drop %s from the bounding set",
						cap_to_name(cap));
	}
	return 0;
}

int caps_apply(const struct spec_caps *c, struct cell_error **err)
{
	if (!c->present)
		return 0;
	cap_t caps = cap_init();
	if (!caps)
		return cell_error_set(err, ENOMEM, "out of memory");
	for (cap_value_t cap = 0; cap < 64 && cap < (cap_value_t)cap_max_bits(); cap++) {
		uint64_t bit = 1ULL << cap;
		if (c->effective & bit)
			cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_SET);
		if (c->permitted & bit)
			cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_SET);
		if (c->inheritable & bit)
			cap_set_flag(caps, CAP_INHERITABLE, 1, &cap, CAP_SET);
	}
	int r = cap_set_proc(caps);
	int saved = errno;
	cap_free(caps);
	if (r < 0)
		return cell_error_errno(err, saved, "process.capabilities: capset");
	for (cap_value_t cap = 0; cap < 64; cap++)
		if ((c->ambient & (1ULL << cap)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return cell_error_errno(err, errno,
						"process.capabilities.ambient: raise %s",
						cap_to_name(cap));
	return 0;
}
