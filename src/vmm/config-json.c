/* config-json.c - the JSON form of the VM description (--config FILE), same fields as the CLI. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "vmm-config.h"
#include "json.h"

static int json_str_field(json_t *o, const char *key, char **dst, struct cell_error **err)
{
	const char *v = NULL;
	int r = json_get_string(o, "config", key, &v, err);
	if (r < 0 || !v)
		return r;
	char *c = strdup(v);
	if (!c)
		return -ENOMEM;
	free(*dst);
	*dst = c;
	return 0;
}

static int json_disks(struct vmm_config *cfg, json_t *o, struct cell_error **err)
{
	json_t *arr = NULL, *d;
	size_t i;
	int r = json_get_array(o, "config", "disks", &arr, err);
	if (r < 0 || !arr)
		return r;
	json_array_foreach (arr, i, d) {
		char where[48];
		snprintf(where, sizeof(where), "config.disks[%zu]", i);
		const char *path = NULL;
		bool ro = false;
		if (!json_is_object(d))
			return cell_error_set(err, EINVAL, "%s: expected an object", where);
		if ((r = json_get_string(d, where, "path", &path, err)) < 0 ||
		    (r = json_get_bool(d, where, "readonly", &ro, err)) < 0)
			return r;
		if (!path || !*path)
			return cell_error_set(err, EINVAL, "%s.path: required", where);
		if (cfg->ndisks >= VMM_MAX_DISKS)
			return cell_error_set(err, E2BIG, "%s: at most %d disks", where,
					      VMM_MAX_DISKS);
		char *p = strdup(path);
		if (!p)
			return -ENOMEM;
		cfg->disks[cfg->ndisks++] = (struct vmm_disk){ p, ro };
	}
	return 0;
}

static int json_memory(struct vmm_config *cfg, json_t *o, struct cell_error **err)
{
	json_t *m = json_object_get(o, "memory");
	if (!m)
		return 0;
	/* "512M" like the CLI, or a number of MiB. */
	if (json_is_string(m)) {
		if (vmm_parse_size(json_string_value(m), &cfg->memory) < 0)
			return cell_error_set(err, EINVAL, "config.memory: '%s' is not a size",
					      json_string_value(m));
		return 0;
	}
	if (json_is_integer(m) && json_integer_value(m) >= 0 &&
	    json_integer_value(m) <= (1LL << 30)) {
		cfg->memory = (uint64_t)json_integer_value(m) << 20;
		return 0;
	}
	return cell_error_set(err, EINVAL, "config.memory: expected \"512M\" or a number of MiB");
}

static int json_rest(struct vmm_config *cfg, json_t *o, struct cell_error **err)
{
	int64_t cpus = -1;
	const char *console = NULL, *decompress = NULL;
	json_t *net = NULL;
	int r;
	if ((r = json_get_int64(o, "config", "cpus", &cpus, err)) < 0)
		return r;
	if (cpus != -1) {
		if (cpus < 1 || cpus > 254)
			return cell_error_set(err, EINVAL, "config.cpus: expected 1 to 254");
		cfg->cpus = (unsigned)cpus;
	}
	if ((r = json_get_string(o, "config", "console", &console, err)) < 0)
		return r;
	if (console && strcmp(console, "serial") && strcmp(console, "virtio"))
		return cell_error_set(err, EINVAL, "config.console: expected serial or virtio");
	if (console)
		cfg->console = strcmp(console, "virtio") ? VMM_CONSOLE_SERIAL : VMM_CONSOLE_VIRTIO;
	if ((r = json_get_string(o, "config", "decompress", &decompress, err)) < 0)
		return r;
	if (decompress && vmm_parse_decompress(decompress, &cfg->decompress) < 0)
		return cell_error_set(err, EINVAL, "config.decompress: expected host or guest");
	if ((r = json_get_bool(o, "config", "rng", &cfg->rng, err)) < 0 ||
	    (r = json_get_bool(o, "config", "sandbox", &cfg->sandbox, err)) < 0 ||
	    (r = json_get_bool(o, "config", "hugepages", &cfg->hugepages, err)) < 0 ||
	    (r = json_get_object(o, "config", "net", &net, err)) < 0)
		return r;
	if (net) {
		const char *tap = NULL, *mac = NULL;
		if ((r = json_get_string(net, "config.net", "tap", &tap, err)) < 0 ||
		    (r = json_get_string(net, "config.net", "mac", &mac, err)) < 0)
			return r;
		if (!tap || !*tap)
			return cell_error_set(err, EINVAL, "config.net.tap: required");
		free(cfg->net_tap);
		free(cfg->net_mac);
		cfg->net_tap = strdup(tap);
		cfg->net_mac = mac ? strdup(mac) : NULL;
		if (!cfg->net_tap || (mac && !cfg->net_mac))
			return -ENOMEM;
	}
	return 0;
}

int vmm_config_load_json(struct vmm_config *cfg, const char *path, struct cell_error **err)
{
	static const char *known[] = { "kernel",    "initrd",	  "cmdline", "cpus", "memory",
				       "disks",	    "net",	  "console", "rng",  "sandbox",
				       "hugepages", "decompress", NULL };
	_cleanup_json_ json_t *o = NULL;
	int r = json_load_object_file(path, &o, err);
	if (r < 0)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach (o, key, v) {
		bool ok = false;
		for (unsigned i = 0; known[i] && !ok; i++)
			ok = strcmp(known[i], key) == 0;
		if (!ok)
			return cell_error_set(err, EINVAL, "%s: unknown field '%s'", path, key);
	}
	if ((r = json_str_field(o, "kernel", &cfg->kernel, err)) < 0 ||
	    (r = json_str_field(o, "initrd", &cfg->initrd, err)) < 0 ||
	    (r = json_str_field(o, "cmdline", &cfg->cmdline, err)) < 0 ||
	    (r = json_memory(cfg, o, err)) < 0 || (r = json_disks(cfg, o, err)) < 0 ||
	    (r = json_rest(cfg, o, err)) < 0)
		return cell_error_wrap(err, "%s", path);
	return 0;
}
