/* instance-spec.c - the OCI config.json of a system container: the image's /sbin/init as PID 1,
 * a user namespace mapping the instance's id range unless security.privileged, LXD's capability
 * set, the standard devices, and cgroup limits from the limits.* keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "config-keys.h"
#include "driver.h"
#include "fs.h"
#include "storage.h"

/* LXD keeps every capability but sys_module, sys_time, mac_override and mac_admin; of those,
 * only what celld's own bounding set holds can be given (a capset would fail otherwise). */
static const struct {
	int nr;
	const char *name;
} cap_names[] = {
	{ 0, "CAP_CHOWN" },
	{ 1, "CAP_DAC_OVERRIDE" },
	{ 2, "CAP_DAC_READ_SEARCH" },
	{ 3, "CAP_FOWNER" },
	{ 4, "CAP_FSETID" },
	{ 5, "CAP_KILL" },
	{ 6, "CAP_SETGID" },
	{ 7, "CAP_SETUID" },
	{ 8, "CAP_SETPCAP" },
	{ 9, "CAP_LINUX_IMMUTABLE" },
	{ 10, "CAP_NET_BIND_SERVICE" },
	{ 11, "CAP_NET_BROADCAST" },
	{ 12, "CAP_NET_ADMIN" },
	{ 13, "CAP_NET_RAW" },
	{ 14, "CAP_IPC_LOCK" },
	{ 15, "CAP_IPC_OWNER" },
	{ 17, "CAP_SYS_RAWIO" },
	{ 18, "CAP_SYS_CHROOT" },
	{ 19, "CAP_SYS_PTRACE" },
	{ 20, "CAP_SYS_PACCT" },
	{ 21, "CAP_SYS_ADMIN" },
	{ 22, "CAP_SYS_BOOT" },
	{ 23, "CAP_SYS_NICE" },
	{ 24, "CAP_SYS_RESOURCE" },
	{ 26, "CAP_SYS_TTY_CONFIG" },
	{ 27, "CAP_MKNOD" },
	{ 28, "CAP_LEASE" },
	{ 29, "CAP_AUDIT_WRITE" },
	{ 30, "CAP_AUDIT_CONTROL" },
	{ 31, "CAP_SETFCAP" },
	{ 34, "CAP_SYSLOG" },
	{ 35, "CAP_WAKE_ALARM" },
	{ 36, "CAP_BLOCK_SUSPEND" },
	{ 37, "CAP_AUDIT_READ" },
	{ 38, "CAP_PERFMON" },
	{ 39, "CAP_BPF" },
	{ 40, "CAP_CHECKPOINT_RESTORE" },
};

static uint64_t bounding_set(void)
{
	_cleanup_free_ char *text = NULL;
	if (fs_read_file("/proc/self/status", &text, NULL, NULL) < 0)
		return ~0ULL;
	const char *p = strstr(text, "CapBnd:");
	return p ? strtoull(p + 7, NULL, 16) : ~0ULL;
}

static json_t *caps_json(void)
{
	uint64_t bnd = bounding_set();
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (bnd & (1ULL << cap_names[i].nr))
			json_array_append_new(a, json_string(cap_names[i].name));
	return a;
}

static json_t *mounts_json(bool privileged)
{
	json_t *m = json_pack(
		"[{ss ss ss s[sss]} {ss ss ss s[ssss]} {ss ss ss s[ssssss]} {ss ss ss s[ssss]}"
		" {ss ss ss s[sss]} {ss ss ss s[sss]}]",
		"destination", "/proc", "type", "proc", "source", "proc", "options", "nosuid",
		"nodev", "noexec", "destination", "/dev", "type", "tmpfs", "source", "tmpfs",
		"options", "nosuid", "strictatime", "mode=755", "size=65536k", "destination",
		"/dev/pts", "type", "devpts", "source", "devpts", "options", "nosuid", "noexec",
		"newinstance", "ptmxmode=0666", "mode=0620", privileged ? "gid=5" : "gid=5",
		"destination", "/dev/shm", "type", "tmpfs", "source", "shm", "options", "nosuid",
		"nodev", "mode=1777", "size=65536k", "destination", "/dev/mqueue", "type", "mqueue",
		"source", "mqueue", "options", "nosuid", "noexec", "nodev", "destination", "/sys",
		"type", "sysfs", "source", "sysfs", "options", "nosuid", "noexec", "nodev");
	json_array_append_new(m, json_pack("{ss ss ss s[sssss]}", "destination", "/sys/fs/cgroup",
					   "type", "cgroup", "source", "cgroup", "options",
					   "nosuid", "noexec", "nodev", "relatime", "rw"));
	json_array_append_new(m, json_pack("{ss ss ss s[ssss]}", "destination", "/run", "type",
					   "tmpfs", "source", "tmpfs", "options", "nosuid", "nodev",
					   "mode=755", "size=65536k"));
	return m;
}

static json_t *env_json(json_t *config)
{
	json_t *env = json_pack("[sss]",
				"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
				"container=lxc", "HOME=/root");
	const char *key;
	json_t *v;
	json_object_foreach (config, key, v) {
		if (strncmp(key, "environment.", 12) != 0 || !json_is_string(v))
			continue;
		char *e;
		if (asprintf(&e, "%s=%s", key + 12, json_string_value(v)) >= 0) {
			json_array_append_new(env, json_string(e));
			free(e);
		}
	}
	return env;
}

/* The devices a system container may use, after a deny-all. */
static json_t *devices_json(void)
{
	static const int nodes[][2] = { { 1, 3 }, { 1, 5 }, { 1, 7 }, { 1, 8 },	   { 1, 9 },
					{ 5, 0 }, { 5, 1 }, { 5, 2 }, { 136, -1 }, { 10, 229 } };
	json_t *a = json_pack("[{sb ss}]", "allow", 0, "access", "rwm");
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		json_t *dev = json_pack("{sb ss si ss}", "allow", 1, "type", "c", "major",
					nodes[i][0], "access", "rwm");
		if (nodes[i][1] >= 0)
			json_object_set_new(dev, "minor", json_integer(nodes[i][1]));
		json_array_append_new(a, dev);
	}
	return a;
}

static json_t *linux_json(struct celld *d, const char *name, json_t *resources, bool privileged,
			  bool nesting)
{
	char cgpath[512];
	snprintf(cgpath, sizeof(cgpath), "/%s/%s", d->cgroup_parent, name);
	json_object_set_new(resources, "devices", devices_json());
	json_t *ns = json_pack("[{ss} {ss} {ss} {ss} {ss} {ss}]", "type", "pid", "type", "network",
			       "type", "ipc", "type", "uts", "type", "mount", "type", "cgroup");
	json_t *lx = json_pack("{so so ss}", "namespaces", ns, "resources", resources,
			       "cgroupsPath", cgpath);
	if (!privileged) {
		json_array_append_new(ns, json_pack("{ss}", "type", "user"));
		json_t *map = json_pack("[{si si si}]", "containerID", 0, "hostID",
					(int)d->idmap_base, "size", (int)d->idmap_size);
		json_object_set(lx, "uidMappings", map);
		json_object_set_new(lx, "gidMappings", map);
	}
	json_object_set_new(lx, "maskedPaths",
			    json_pack("[ssssssss]", "/proc/acpi", "/proc/kcore", "/proc/keys",
				      "/proc/latency_stats", "/proc/timer_list",
				      "/proc/sched_debug", "/sys/firmware", "/proc/scsi"));
	if (!nesting)
		json_object_set_new(lx, "readonlyPaths",
				    json_pack("[sss]", "/proc/bus", "/proc/fs", "/proc/irq"));
	return lx;
}

int instance_spec_build(struct celld *d, const char *name, json_t *expanded, json_t **ret,
			struct cell_error **err)
{
	bool privileged = false, nesting = false;
	const char *v = json_string_value(json_object_get(expanded, "security.privileged"));
	if (v)
		config_parse_bool(v, &privileged);
	v = json_string_value(json_object_get(expanded, "security.nesting"));
	if (v)
		config_parse_bool(v, &nesting);
	json_t *resources = NULL;
	int r = config_to_resources(expanded, d->host_mem, d->host_cpus, &resources, err);
	if (r < 0)
		return r;
	/* Every controller a live limit may later need is asked for now: on cgroup v1 a hierarchy
	 * the runtime did not join at creation cannot be added to a running instance. */
	if (!json_object_get(resources, "memory"))
		json_object_set_new(resources, "memory",
				    json_pack("{sI}", "limit", (json_int_t)d->host_mem));
	json_t *cpu = json_object_get(resources, "cpu");
	if (cpu && !json_object_get(cpu, "shares"))
		json_object_set_new(cpu, "shares", json_integer(1024));
	if (!json_object_get(resources, "pids"))
		json_object_set_new(resources, "pids", json_pack("{sI}", "limit", (json_int_t)-1));
	_cleanup_free_ char *rootfs = storage_path(d, name, "rootfs");
	json_t *caps = caps_json();
	json_t *process = json_pack("{sb s{si si} s[s] so ss so sb}", "terminal", 1, "user", "uid",
				    0, "gid", 0, "args", "/sbin/init", "env", env_json(expanded),
				    "cwd", "/", "capabilities",
				    json_pack("{sO sO sO sO}", "bounding", caps, "effective", caps,
					      "permitted", caps, "inheritable", caps),
				    "noNewPrivileges", 0);
	json_decref(caps);
	json_t *spec = json_pack("{ss so s{ss sb} ss so so s{ss}}", "ociVersion", "1.1.0",
				 "process", process, "root", "path", rootfs ? rootfs : "",
				 "readonly", 0, "hostname", name, "mounts", mounts_json(privileged),
				 "linux", linux_json(d, name, resources, privileged, nesting),
				 "annotations", "cell.viewfs", "true");
	if (!spec)
		return cell_error_set(err, ENOMEM, "cannot build the OCI spec of %s", name);
	/* The runtime's Landlock exec guard also forbids mounts, which an init such as systemd
	 * must make; a privileged container is not root-safe anyway (as in LXD), while an
	 * unprivileged one is guarded by its user namespace instead (runtime/exeguard.h). */
	if (privileged)
		json_object_set_new(json_object_get(spec, "annotations"), "cell.exeguard",
				    json_string("false"));
	*ret = spec;
	return 0;
}
