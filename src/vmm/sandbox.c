/* sandbox.c - after setup the VMM keeps only the system calls each thread kind needs, no caps. */
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "sandbox.h"
#include "sandbox-bpf.h" /* sandbox_bpf_vmm, sandbox_bpf_vcpu: see sandbox-gen.c */

int sandbox_unshare(void)
{
	/*
	 * Own mount, IPC and UTS namespaces where allowed (root): cheap, and the VMM then shares
	 * nothing mutable there with the host. Not an error when refused; a network namespace and a
	 * pivot into an empty root belong to the launcher (the jailer's job).
	 */
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
		return -errno;
	mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	return 0;
}

int sandbox_drop_privileges(struct cell_error **err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "sandbox: PR_SET_NO_NEW_PRIVS");
	/* The bounding set first (that needs CAP_SETPCAP), so nothing exec'd could regain them. */
	for (int c = 0; c < 64; c++)
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the kernel's last capability */
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	if (syscall(SYS_capset, &hdr, data) < 0)
		return cell_error_errno(err, errno, "sandbox: drop capabilities");
	return 0;
}

/* LeakSanitizer stops the world with ptrace at exit: no seccomp in sanitizer builds. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

int sandbox_apply(enum sandbox_kind kind, struct cell_error **err)
{
#ifdef SANDBOX_SANITIZER
	return 0;
#endif
	struct sock_fprog prog = {
		.len = kind == SANDBOX_VMM ? ARRAY_SIZE(sandbox_bpf_vmm) :
					     ARRAY_SIZE(sandbox_bpf_vcpu),
		.filter = (struct sock_filter *)(kind == SANDBOX_VMM ? sandbox_bpf_vmm :
								       sandbox_bpf_vcpu),
	};
	/* Each thread installs its own filter (no TSYNC), so each kind keeps its list. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return cell_error_errno(err, errno, "sandbox: install the %s filter",
					kind == SANDBOX_VMM ? "VMM" : "vCPU");
	return 0;
}
