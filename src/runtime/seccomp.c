/* seccomp.c - linux.seccomp -> a libseccomp filter: actions, architectures, flags, syscall rules
 * with argument comparisons. A syscall name no architecture knows is refused (a typo would
 * otherwise leave the syscall unfiltered); one that only other architectures have is skipped. */
#include "seccomp-filter.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "log.h"

static int parse_action(const char *name, uint32_t errno_ret, uint32_t *ret)
{
	static const struct {
		const char *name;
		uint32_t action;
	} actions[] = {
		{ "SCMP_ACT_KILL", SCMP_ACT_KILL },
		{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
		{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS },
		{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
		{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },
		{ "SCMP_ACT_LOG", SCMP_ACT_LOG },
		{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY },
	};
	if (strcmp(name, "SCMP_ACT_ERRNO") == 0) {
		*ret = SCMP_ACT_ERRNO(errno_ret);
		return 0;
	}
	if (strcmp(name, "SCMP_ACT_TRACE") == 0) {
		*ret = SCMP_ACT_TRACE(errno_ret);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(actions[i].name, name) == 0) {
			*ret = actions[i].action;
			return 0;
		}
	return -EINVAL;
}

static int parse_op(const char *name, enum scmp_compare *ret)
{
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {
		{ "SCMP_CMP_NE", SCMP_CMP_NE },
		{ "SCMP_CMP_LT", SCMP_CMP_LT },
		{ "SCMP_CMP_LE", SCMP_CMP_LE },
		{ "SCMP_CMP_EQ", SCMP_CMP_EQ },
		{ "SCMP_CMP_GE", SCMP_CMP_GE },
		{ "SCMP_CMP_GT", SCMP_CMP_GT },
		{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].name, name) == 0) {
			*ret = ops[i].op;
			return 0;
		}
	return -EINVAL;
}

static int get_action(json_t *obj, const char *where, const char *key, const char *errkey,
		      uint32_t *ret, struct cell_error **err)
{
	const char *name = NULL;
	uint64_t eret = EPERM;
	int r;
	if ((r = json_get_string(obj, where, key, &name, err)) < 0 ||
	    (r = json_get_uint64(obj, where, errkey, &eret, err)) < 0)
		return r;
	if (!name)
		return cell_error_set(err, EINVAL, "%s.%s: required", where, key);
	if (parse_action(name, (uint32_t)eret, ret) < 0)
		return cell_error_set(err, EINVAL, "%s.%s: unknown action '%s'", where, key, name);
	return 0;
}

static int parse_args(json_t *args, const char *where, struct scmp_arg_cmp *cmp, unsigned *n,
		      struct cell_error **err)
{
	size_t i;
	json_t *a;
	json_array_foreach (args, i, a) {
		char w[200];
		snprintf(w, sizeof(w), "%s.args[%zu]", where, i);
		if (i >= 6)
			return cell_error_set(err, EINVAL, "%s: at most 6 arguments", w);
		uint64_t index = 99, value = 0, value2 = 0;
		const char *op = NULL;
		int r;
		if (!json_is_object(a))
			return cell_error_set(err, EINVAL, "%s: expected an object", w);
		if ((r = json_get_uint64(a, w, "index", &index, err)) < 0 ||
		    (r = json_get_uint64(a, w, "value", &value, err)) < 0 ||
		    (r = json_get_uint64(a, w, "valueTwo", &value2, err)) < 0 ||
		    (r = json_get_string(a, w, "op", &op, err)) < 0)
			return r;
		if (index > 5)
			return cell_error_set(err, EINVAL, "%s.index: expected 0..5", w);
		if (!op || parse_op(op, &cmp[i].op) < 0)
			return cell_error_set(err, EINVAL, "%s.op: unknown operator '%s'", w,
					      op ? op : "");
		cmp[i].arg = (unsigned)index;
		cmp[i].datum_a = value;
		cmp[i].datum_b = value2;
		*n = (unsigned)i + 1;
	}
	return 0;
}

/* Every architecture libseccomp can name: a syscall it resolves on any of them is real. */
static const uint32_t all_archs[] = {
	SCMP_ARCH_X86,	       SCMP_ARCH_X86_64,   SCMP_ARCH_X32,	  SCMP_ARCH_ARM,
	SCMP_ARCH_AARCH64,     SCMP_ARCH_MIPS,	   SCMP_ARCH_MIPS64,	  SCMP_ARCH_MIPS64N32,
	SCMP_ARCH_MIPSEL,      SCMP_ARCH_MIPSEL64, SCMP_ARCH_MIPSEL64N32, SCMP_ARCH_PPC,
	SCMP_ARCH_PPC64,       SCMP_ARCH_PPC64LE,  SCMP_ARCH_S390,	  SCMP_ARCH_S390X,
	SCMP_ARCH_PARISC,      SCMP_ARCH_PARISC64, SCMP_ARCH_RISCV64,
#ifdef SCMP_ARCH_LOONGARCH64
	SCMP_ARCH_LOONGARCH64,
#endif
#ifdef SCMP_ARCH_M68K
	SCMP_ARCH_M68K,
#endif
#ifdef SCMP_ARCH_SH
	SCMP_ARCH_SH,
#endif
};

/* Syscalls the kernel added after the table of the oldest libseccomp we build with (2.5.4, whose
 * last is futex_requeue): newer profiles list them, and this libseccomp cannot filter them. */
static const char *const newer_syscalls[] = {
	"statmount",	     "listmount",	 "lsm_get_self_attr",
	"lsm_set_self_attr", "lsm_list_modules", "mseal",
	"setxattrat",	     "getxattrat",	 "listxattrat",
	"removexattrat",     "open_tree_attr",	 "file_getattr",
	"file_setattr",	     "uretprobe",	 "uprobe",
};

/* The number of name on the target architecture, or __NR_SCMP_ERROR to skip it (logged, once:
 * in the validating pass); a name no architecture knows is an error. */
static int resolve_syscall(const char *name, const char *where, bool validating, int *ret_nr,
			   struct cell_error **err)
{
	*ret_nr = seccomp_syscall_resolve_name(name);
	if (*ret_nr != __NR_SCMP_ERROR) {
		/* a pseudo number: libseccomp filters it on the architectures that have it */
		if (*ret_nr < 0 && validating)
			log_debug("%s: %s is not a syscall of this architecture", where, name);
		return 0;
	}
	for (size_t a = 0; a < ARRAY_SIZE(all_archs); a++)
		if (seccomp_syscall_resolve_name_arch(all_archs[a], name) != __NR_SCMP_ERROR) {
			if (validating)
				log_debug("%s: syscall %s is not on this architecture, skipped",
					  where, name);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(newer_syscalls); i++)
		if (strcmp(newer_syscalls[i], name) == 0) {
			if (validating)
				log_warn("%s: syscall %s is newer than libseccomp %u.%u.%u knows; "
					 "not filtered",
					 where, name, seccomp_version()->major,
					 seccomp_version()->minor, seccomp_version()->micro);
			return 0;
		}
	return cell_error_set(err, EINVAL,
			      "%s: unknown syscall '%s' (libseccomp knows it on no architecture)",
			      where, name);
}

static int add_rules(scmp_filter_ctx ctx, json_t *rule, const char *where, uint32_t defact,
		     struct cell_error **err)
{
	json_t *names = NULL, *args = NULL, *name;
	uint32_t action;
	int r;
	if (!json_is_object(rule))
		return cell_error_set(err, EINVAL, "%s: expected an object", where);
	if ((r = get_action(rule, where, "action", "errnoRet", &action, err)) < 0 ||
	    (r = json_get_array(rule, where, "names", &names, err)) < 0 ||
	    (r = json_get_array(rule, where, "args", &args, err)) < 0)
		return r;
	struct scmp_arg_cmp cmp[6] = { 0 };
	unsigned ncmp = 0;
	if (args && (r = parse_args(args, where, cmp, &ncmp, err)) < 0)
		return r;
	size_t i;
	json_array_foreach (names, i, name) {
		char w[200];
		int nr;
		snprintf(w, sizeof(w), "%s.names[%zu]", where, i);
		if (!json_is_string(name))
			return cell_error_set(err, EINVAL, "%s: expected a string", w);
		if ((r = resolve_syscall(json_string_value(name), w, !ctx, &nr, err)) < 0)
			return r;
		/* validating only; libseccomp refuses rules equal to the default */
		if (nr == __NR_SCMP_ERROR || !ctx || action == defact)
			continue;
		r = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
		if (r < 0)
			return cell_error_errno(err, -r, "%s: rule for %s", w,
						json_string_value(name));
	}
	return 0;
}

static int add_archs(scmp_filter_ctx ctx, json_t *archs, struct cell_error **err)
{
	size_t i;
	json_t *a;
	json_array_foreach (archs, i, a) {
		const char *name = json_string_value(a);
		char lower[32];
		if (!name || strncmp(name, "SCMP_ARCH_", 10) != 0 || strlen(name) > 40)
			return cell_error_set(err, EINVAL,
					      "linux.seccomp.architectures[%zu]: "
					      "expected SCMP_ARCH_*",
					      i);
		size_t n;
		for (n = 0; name[10 + n] && n < sizeof(lower) - 1; n++)
			lower[n] = (char)tolower((unsigned char)name[10 + n]);
		lower[n] = '\0';
		uint32_t arch = seccomp_arch_resolve_name(lower);
		if (!arch)
			return cell_error_set(err, EINVAL,
					      "linux.seccomp.architectures[%zu]: unknown '%s'", i,
					      name);
		int r = ctx ? seccomp_arch_add(ctx, arch) : 0;
		if (r < 0 && r != -EEXIST)
			return cell_error_errno(err, -r, "linux.seccomp.architectures[%zu]", i);
	}
	return 0;
}

bool seccomp_filter_notifies(json_t *sc)
{
	json_t *rule, *a = json_object_get(sc, "defaultAction");
	size_t i;
	if (json_is_string(a) && strcmp(json_string_value(a), "SCMP_ACT_NOTIFY") == 0)
		return true;
	json_array_foreach (json_object_get(sc, "syscalls"), i, rule) {
		a = json_object_get(rule, "action");
		if (json_is_string(a) && strcmp(json_string_value(a), "SCMP_ACT_NOTIFY") == 0)
			return true;
	}
	return false;
}

int seccomp_filter_listener(json_t *sc, char **ret_path, char **ret_metadata,
			    struct cell_error **err)
{
	const char *w = "linux.seccomp", *path = NULL, *md = NULL;
	int r;
	*ret_path = *ret_metadata = NULL;
	if ((r = json_get_string(sc, w, "listenerPath", &path, err)) < 0 ||
	    (r = json_get_string(sc, w, "listenerMetadata", &md, err)) < 0)
		return r;
	if (seccomp_filter_notifies(sc) && !path)
		return cell_error_set(err, EINVAL,
				      "linux.seccomp: SCMP_ACT_NOTIFY needs listenerPath, the "
				      "socket of the agent that handles the notifications");
	if (path && path[0] != '/')
		return cell_error_set(err, EINVAL, "linux.seccomp.listenerPath: %s is not absolute",
				      path);
	if (path && !(*ret_path = strdup(path)))
		return cell_error_set(err, ENOMEM, "out of memory");
	if (md && !(*ret_metadata = strdup(md)))
		return cell_error_set(err, ENOMEM, "out of memory");
	return 0;
}

int seccomp_filter_build(json_t *sc, void **ret, struct cell_error **err)
{
	const char *w = "linux.seccomp";
	uint32_t defact;
	json_t *archs = NULL, *syscalls = NULL, *flags = NULL, *rule;
	int r;
	if ((r = get_action(sc, w, "defaultAction", "defaultErrnoRet", &defact, err)) < 0 ||
	    (r = json_get_array(sc, w, "architectures", &archs, err)) < 0 ||
	    (r = json_get_array(sc, w, "syscalls", &syscalls, err)) < 0 ||
	    (r = json_get_array(sc, w, "flags", &flags, err)) < 0)
		return r;
	scmp_filter_ctx ctx = NULL;
	if (ret && !(ctx = seccomp_init(defact)))
		return cell_error_set(err, EINVAL, "linux.seccomp: cannot initialise libseccomp");
	/* The filter is loaded after no_new_privs is set, or while CAP_SYS_ADMIN is held. */
	if (ctx)
		seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (archs && (r = add_archs(ctx, archs, err)) < 0)
		goto fail;
	size_t i;
	json_t *f;
	json_array_foreach (flags, i, f) {
		const char *name = json_string_value(f);
		if (name && strcmp(name, "SECCOMP_FILTER_FLAG_LOG") == 0) {
			if (ctx)
				seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1);
		} else if (name && strcmp(name, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") == 0) {
			if (ctx)
				seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1);
		} else if (!name || strcmp(name, "SECCOMP_FILTER_FLAG_TSYNC") != 0) {
			r = cell_error_set(err, EINVAL, "linux.seccomp.flags[%zu]: unknown flag",
					   i);
			goto fail;
		}
	}
	json_array_foreach (syscalls, i, rule) {
		char rw[64];
		snprintf(rw, sizeof(rw), "linux.seccomp.syscalls[%zu]", i);
		if ((r = add_rules(ctx, rule, rw, defact, err)) < 0)
			goto fail;
	}
	if (ret)
		*ret = ctx;
	return 0;
fail:
	if (ctx)
		seccomp_release(ctx);
	return r;
}

void seccomp_filter_free(void *filter)
{
	if (filter)
		seccomp_release(filter);
}
