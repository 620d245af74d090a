/* cmd-device.c - cell config device ... and cell profile device ...: an instance's or profile's
 * devices (LXD's `lxc config device add c1 eth0 nic network=cellbr0`). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "json.h"

#define DEVICE_USAGE "add NAME DEVICE TYPE [key=value]... | remove NAME DEVICE... | list|show NAME"

/* Instances take their new devices by PATCH (which replaces devices); profiles by PUT. */
static int put_devices(struct client *c, const char *kind, const char *name, json_t *obj,
		       struct cell_error **err)
{
	bool profile = strcmp(kind, "profiles") == 0;
	_cleanup_json_ json_t *body = NULL;
	if (profile)
		body = json_pack("{sO sO sO}", "config", json_object_get(obj, "config"), "devices",
				 json_object_get(obj, "devices"), "description",
				 json_object_get(obj, "description"));
	else
		body = json_pack("{sO}", "devices", json_object_get(obj, "devices"));
	return client_callf(c, profile ? "PUT" : "PATCH", body, NULL, err, "/1.0/%s/%s", kind,
			    name);
}

int cli_device(struct client *c, const char *kind, int argc, char **argv, struct cell_error **err)
{
	/* argv: device SUB NAME ... */
	if (argc < 3)
		return cell_error_set(err, EINVAL, "usage: cell %s device " DEVICE_USAGE,
				      strcmp(kind, "profiles") ? "config" : "profile");
	const char *sub = argv[1], *name = argv[2];
	_cleanup_json_ json_t *obj = NULL;
	int r = client_callf(c, "GET", NULL, &obj, err, "/1.0/%s/%s", kind, name);
	if (r < 0)
		return r;
	json_t *devices = json_object_get(obj, "devices");
	if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0) {
		const char *k;
		json_t *v;
		json_object_foreach (devices, k, v) {
			if (strcmp(sub, "list") == 0) {
				printf("%s\n", k);
				continue;
			}
			printf("%s:\n", k);
			const char *dk;
			json_t *dv;
			json_object_foreach (v, dk, dv)
				printf("  %s: %s\n", dk, json_string_value(dv));
		}
		return 0;
	}
	if (strcmp(sub, "add") == 0 && argc >= 5) {
		if (json_object_get(devices, argv[3]))
			return cell_error_set(err, EEXIST, "device already exists: %s", argv[3]);
		_cleanup_json_ json_t *dev = json_pack("{ss}", "type", argv[4]);
		for (int i = 5; i < argc; i++)
			if ((r = cli_set_kv(dev, argv[i], err)) < 0)
				return r;
		json_object_set(devices, argv[3], dev);
		return put_devices(c, kind, name, obj, err);
	}
	if (strcmp(sub, "remove") == 0 && argc >= 4) {
		for (int i = 3; i < argc; i++)
			if (json_object_del(devices, argv[i]) < 0)
				return cell_error_set(err, ENOENT, "device not found: %s", argv[i]);
		return put_devices(c, kind, name, obj, err);
	}
	return cell_error_set(err, EINVAL, "usage: cell %s device " DEVICE_USAGE,
			      strcmp(kind, "profiles") ? "config" : "profile");
}
