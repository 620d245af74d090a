/* cmd-features.c - `features`: the OCI runtime features document (runtime-spec features.md), the
 * way clients learn what cellrt supports before they ask for it. The lists follow what the engine
 * implements: mount options (src/runtime/mount.c), seccomp (seccomp.c), namespaces, cgroups. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>

#include "cleanup.h"
#include "commands.h"
#include "config.h"
#include "json.h"

static const char *const mount_options[] = {
	"async",      "atime",	     "bind",	   "defaults",	  "dev",	"diratime",
	"dirsync",    "exec",	     "lazytime",   "mand",	  "noatime",	"nodev",
	"nodiratime", "noexec",	     "nolazytime", "nomand",	  "norelatime", "nostrictatime",
	"nosuid",     "private",     "rbind",	   "relatime",	  "remount",	"ro",
	"rprivate",   "rshared",     "rslave",	   "runbindable", "rw",		"shared",
	"slave",      "strictatime", "suid",	   "sync",	  "unbindable",
};
static const char *const namespaces[] = { "cgroup", "ipc",  "mount", "network",
					  "pid",    "time", "user",  "uts" };
static const char *const seccomp_actions[] = {
	"SCMP_ACT_ALLOW",	 "SCMP_ACT_ERRNO",	 "SCMP_ACT_KILL",
	"SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
	"SCMP_ACT_NOTIFY",	 "SCMP_ACT_TRACE",	 "SCMP_ACT_TRAP",
};
static const char *const seccomp_operators[] = {
	"SCMP_CMP_EQ", "SCMP_CMP_GE",	     "SCMP_CMP_GT", "SCMP_CMP_LE",
	"SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
};
static const char *const seccomp_archs[] = {
	"SCMP_ARCH_AARCH64",   "SCMP_ARCH_ARM",	   "SCMP_ARCH_MIPS",	 "SCMP_ARCH_MIPS64",
	"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32",
	"SCMP_ARCH_PPC",       "SCMP_ARCH_PPC64",  "SCMP_ARCH_PPC64LE",	 "SCMP_ARCH_RISCV64",
	"SCMP_ARCH_S390",      "SCMP_ARCH_S390X",  "SCMP_ARCH_X32",	 "SCMP_ARCH_X86",
	"SCMP_ARCH_X86_64",
};
static const char *const hooks[] = { "prestart",       "createRuntime", "createContainer",
				     "startContainer", "poststart",	"poststop" };
static const char *const seccomp_flags[] = { "SECCOMP_FILTER_FLAG_LOG",
					     "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
					     "SECCOMP_FILTER_FLAG_TSYNC" };

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}
#define STRINGS(v) strings(v, ARRAY_SIZE(v))

/* Every capability this kernel and libcap know, by its OCI name (CAP_ upper case). */
static json_t *capabilities(void)
{
	json_t *a = json_array();
	for (cap_value_t c = 0; a && c < (cap_value_t)cap_max_bits(); c++) {
		char *name = cap_to_name(c);
		if (!name)
			continue;
		char buf[64];
		size_t i;
		for (i = 0; name[i] && i < sizeof(buf) - 1; i++)
			buf[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
		buf[i] = '\0';
		cap_free(name);
		if (json_array_append_new(a, json_string(buf)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int cmd_features(struct cmd_ctx *ctx, int argc, char **argv, struct cell_error **err)
{
	int r = cmd_need_args(argc, 1, 0, "features", err);
	if (r < 0)
		return r;
	const struct scmp_version *lv = seccomp_version();
	char libseccomp[32] = "";
	if (lv)
		snprintf(libseccomp, sizeof(libseccomp), "%u.%u.%u", lv->major, lv->minor,
			 lv->micro);
	_cleanup_json_ json_t *j = json_pack(
		"{s:s, s:s, s:o*, s:o*, s:{s:o*, s:o*, s:{s:b, s:b, s:b, s:b}, s:{s:b, s:o*, s:o*, "
		"s:o*, s:o*}, s:{s:b}, s:{s:b}, s:{s:b}}, s:{s:s, s:s, s:s, s:s, s:s}}",
		"ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks", STRINGS(hooks),
		"mountOptions", STRINGS(mount_options), "linux", "namespaces", STRINGS(namespaces),
		"capabilities", capabilities(), "cgroup", "v1", 1, "v2", 1, "systemd", 0,
		"systemdUser", 0, "seccomp", "enabled", 1, "actions", STRINGS(seccomp_actions),
		"operators", STRINGS(seccomp_operators), "archs", STRINGS(seccomp_archs),
		"knownFlags", STRINGS(seccomp_flags), "apparmor", "enabled", 0, "selinux",
		"enabled", 0, "intelRdt", "enabled", 0, "annotations",
		"io.github.cell.cellrt.version", CELL_VERSION,
		"io.github.seccomp.libseccomp.version", libseccomp,
		/* config fields the features schema has no place for, by the values accepted */
		"io.github.cell.cellrt.linux.personality", "LINUX,LINUX32",
		"io.github.cell.cellrt.process.scheduler",
		"SCHED_OTHER,SCHED_FIFO,SCHED_RR,SCHED_BATCH,SCHED_IDLE,SCHED_DEADLINE",
		"io.github.cell.cellrt.process.ioPriority",
		"IOPRIO_CLASS_RT,IOPRIO_CLASS_BE,IOPRIO_CLASS_IDLE");
	if (!j)
		return cell_error_set(err, ENOMEM, "out of memory");
	char *text = json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	if (!text)
		return cell_error_set(err, ENOMEM, "out of memory");
	puts(text);
	free(text);
	return 0;
}
