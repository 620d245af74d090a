/* cgroup-devices.c - linux.resources.devices plus the devices every container may use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json.h"

#define RES "linux.resources"

/* What runc and crun let every container use whatever the spec says: mknod of anything, the
 * standard /dev nodes, ptys, and /dev/net/tun. */
static const struct cgroup_device_rule default_devices[] = {
	{ true, 'c', -1, -1, "m" },    { true, 'b', -1, -1, "m" }, { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 8, "rwm" },    { true, 'c', 1, 7, "rwm" }, { true, 'c', 5, 0, "rwm" },
	{ true, 'c', 1, 5, "rwm" },    { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 1, "rwm" },
	{ true, 'c', 136, -1, "rwm" }, { true, 'c', 5, 2, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

static int parse_device_rule(json_t *e, const char *where, struct cgroup_device_rule *d,
			     struct cell_error **err)
{
	const char *type = "a", *access = "rwm";
	int r;
	if (!json_is_object(e))
		return cell_error_set(err, EINVAL, "%s: expected an object", where);
	if (!json_object_get(e, "allow"))
		return cell_error_set(err, EINVAL, "%s.allow: required", where);
	if ((r = json_get_bool(e, where, "allow", &d->allow, err)) < 0 ||
	    (r = json_get_string(e, where, "type", &type, err)) < 0 ||
	    (r = json_get_string(e, where, "access", &access, err)) < 0 ||
	    (r = cg_parse_major_minor(e, where, &d->major, &d->minor, true, err)) < 0)
		return r;
	if (strlen(type) != 1 || !strchr("abc", type[0]))
		return cell_error_set(err, EINVAL, "%s.type: \"%s\": expected a, b or c", where,
				      type);
	d->type = type[0];
	/* Keep the letters in rwm order; repeated or unknown letters are mistakes. */
	size_t n = 0;
	for (const char *l = "rwm"; *l; l++)
		if (strchr(access, *l))
			d->access[n++] = *l;
	d->access[n] = 0;
	if (n == 0 || strlen(access) != n)
		return cell_error_set(err, EINVAL, "%s.access: \"%s\": expected letters of rwm",
				      where, access);
	if (d->type == 'a')
		d->major = d->minor = -1;
	return 0;
}

int cg_parse_devices(json_t *arr, struct cgroup_resources *res, struct cell_error **err)
{
	if (!json_is_array(arr))
		return cell_error_set(err, EINVAL, RES ".devices: expected an array");
	size_t n = json_array_size(arr);
	res->devices = calloc(n + ARRAY_SIZE(default_devices), sizeof(*res->devices));
	if (!res->devices)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach (arr, i, e) {
		char where[64];
		snprintf(where, sizeof(where), RES ".devices[%zu]", i);
		int r = parse_device_rule(e, where, &res->devices[i], err);
		if (r < 0)
			return r;
	}
	memcpy(res->devices + n, default_devices, sizeof(default_devices));
	res->n_devices = n + ARRAY_SIZE(default_devices);
	res->devices_given = true;
	return 0;
}

bool cg_devices_restrict(const struct cgroup_resources *res)
{
	for (size_t i = 0; res && i < res->n_devices; i++)
		if (!res->devices[i].allow)
			return true;
	return false;
}

int cgroup_resources_allow_device(struct cgroup_resources *res, char type, int64_t major,
				  int64_t minor)
{
	if (!res->devices_given)
		return 0; /* nothing restricts devices: every device is allowed already */
	struct cgroup_device_rule *n = realloc(res->devices, (res->n_devices + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	res->devices = n;
	n[res->n_devices++] = (struct cgroup_device_rule){ true, type, major, minor, "rwm" };
	return 0;
}
