/* network-hotplug.c - nic devices added to or removed from a running instance (its own devices or
 * those of its profiles), as LXD does live: the same veth plumbing as at start, done at once by
 * running cell-nethook with the container's pid. run/nics.json records what is plugged in. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "instances.h"
#include "json.h"
#include "log.h"
#include "netlink.h"
#include "network.h"
#include "spawn.h"
#include "storage.h"
#include "strv.h"

/* Only the nic devices that use a network. */
static json_t *nics_of(json_t *devices)
{
	json_t *out = json_object();
	const char *dev;
	json_t *x;
	json_object_foreach (devices, dev, x)
		if (network_of_device(x))
			json_object_set(out, dev, x);
	return out;
}

int nic_record(struct celld *d, const char *inst, json_t *devices, struct cell_error **err)
{
	_cleanup_free_ char *path = storage_path(d, inst, "run/nics.json");
	_cleanup_json_ json_t *nics = nics_of(devices);
	_cleanup_free_ char *text = json_dumps(nics, JSON_COMPACT);
	if (!path || !text)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Replaced by rename, not fsynced: it describes the running instance, which a power loss
	 * ends anyway, and an fsync on every start costs 0.5 ms to tens of ms on a busy disk. */
	return fs_write_file_replace(path, text, strlen(text), 0600, err);
}

/* cell-nethook up ... with the OCI state ({"pid": N}) on stdin; its stderr is the error. */
static int nethook_run(json_t *up, pid_t pid, struct cell_error **err)
{
	_cleanup_strv_ char **argv = calloc(json_array_size(up) + 1, sizeof(char *));
	_cleanup_close_ int in = memfd_create("nethook-state", MFD_CLOEXEC);
	_cleanup_close_ int errfd = memfd_create("nethook-err", MFD_CLOEXEC);
	if (!argv || in < 0 || errfd < 0)
		return cell_error_errno(err, argv ? errno : ENOMEM, "run cell-nethook");
	for (size_t i = 0; i < json_array_size(up); i++)
		if (!(argv[i] = strdup(json_string_value(json_array_get(up, i)))))
			return cell_error_set(err, ENOMEM, "out of memory");
	dprintf(in, "{\"ociVersion\": \"1.0.2\", \"pid\": %d}\n", (int)pid);
	lseek(in, 0, SEEK_SET);
	int st = 0;
	spawn_run_in(argv, in, -1, errfd, &st, NULL);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	_cleanup_free_ char *msg = NULL;
	lseek(errfd, 0, SEEK_SET);
	fs_read_fd(errfd, &msg, NULL, NULL);
	if (msg)
		msg[strcspn(msg, "\n")] = '\0';
	return cell_error_set(err, EIO, "%s", msg && *msg ? msg : "cell-nethook failed");
}

/* The host end goes (taking the container's end with it), then the host entry and, as LXD
 * clears it, the nic's lease. */
static void nic_unplug(struct celld *d, const char *inst, const char *dev, json_t *x)
{
	char mac[18], host[16];
	nic_ids(d, inst, dev, x, mac, host);
	_cleanup_nl_ struct nl *nl = NULL;
	if (nl_open(&nl, NULL) == 0)
		nl_link_del(nl, host, NULL);
	nic_forget(d, inst, dev, x);
	const char *net = network_of_device(x);
	_cleanup_json_ json_t *row = NULL;
	struct named_lock *l = named_lock_acquire(NETWORK_LOCK);
	if (db_network_get(d->db, net, &row, NULL) == 0)
		network_dns_release(d, net, json_object_get(row, "config"), mac);
	named_lock_release(l);
	log_info("instance %s: nic %s removed", inst, dev);
}

static int nic_plug(struct celld *d, const char *inst, pid_t pid, const char *dev, json_t *x,
		    struct cell_error **err)
{
	_cleanup_json_ json_t *up = NULL;
	char host[16];
	int r = nic_prepare(d, inst, dev, x, &up, host, err);
	if (r == 0)
		r = nethook_run(up, pid, err);
	if (r < 0) {
		nic_forget(d, inst, dev, x);
		return cell_error_wrap(err, "device %s", dev);
	}
	log_info("instance %s: nic %s added", inst, dev);
	return 0;
}

int network_instance_hotplug(struct celld *d, json_t *inst, pid_t pid, json_t **ret_added,
			     struct cell_error **err)
{
	const char *name = json_string_value(json_object_get(inst, "name"));
	_cleanup_free_ char *path = storage_path(d, name, "run/nics.json");
	_cleanup_json_ json_t *devices = NULL, *plugged = NULL, *want = NULL;
	int r = instance_expand(d, inst, NULL, &devices, err);
	if (r < 0)
		return r;
	want = nics_of(devices);
	*ret_added = json_array();
	if (!path)
		return cell_error_set(err, ENOMEM, "out of memory");
	/* Started by a celld without hot-plug: what it plugged in is what the config says. */
	if (!(plugged = json_load_file(path, 0, NULL)) || !json_is_object(plugged))
		return json_dump_file_atomic(want, path, err);
	const char *dev;
	json_t *x;
	void *tmp;
	json_object_foreach_safe(plugged, tmp, dev, x)
	{
		if (json_equal(x, json_object_get(want, dev)))
			continue;
		nic_unplug(d, name, dev, x);
		json_object_del(plugged, dev);
	}
	json_object_foreach (want, dev, x) {
		if (json_object_get(plugged, dev))
			continue;
		if ((r = nic_plug(d, name, pid, dev, x, err)) < 0)
			break;
		json_object_set(plugged, dev, x);
		json_array_append_new(
			*ret_added,
			json_string(json_string_value(json_object_get(x, "name")) ?: dev));
	}
	int w = json_dump_file_atomic(plugged, path, r < 0 ? NULL : err);
	return r < 0 ? r : w;
}
