/* sandbox.c - after setup the VMM keeps only the system calls each thread kind needs, no caps. */
#include <errno.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "cleanup.h"
#include "sandbox.h"

/* Calls every thread makes: memory, locks, signals, time, logging, exit. */
static const int sandbox_common[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(preadv2),
	SCMP_SYS(pwritev2),
	SCMP_SYS(lseek),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(futex),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(madvise),
	SCMP_SYS(munmap),
	SCMP_SYS(mmap),
	SCMP_SYS(brk),
	SCMP_SYS(mremap),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(sched_yield),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(close),
	SCMP_SYS(ioctl),
	SCMP_SYS(tgkill),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(getrandom),
	SCMP_SYS(fallocate),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(mprotect),
	SCMP_SYS(fcntl),
};

/* The loop thread also waits, joins the vCPU threads and handles tap/stdin/eventfds. */
static const int sandbox_vmm[] = {
	SCMP_SYS(epoll_wait),	SCMP_SYS(epoll_pwait),	   SCMP_SYS(epoll_ctl),
	SCMP_SYS(rt_sigaction), SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(mprotect),	SCMP_SYS(clone3),	   SCMP_SYS(clone),
	SCMP_SYS(eventfd2),	SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_create),
};

int sandbox_drop_privileges(struct cell_error **err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return cell_error_errno(err, errno, "sandbox: PR_SET_NO_NEW_PRIVS");
	cap_t caps = cap_init(); /* empty set */
	if (!caps)
		return cell_error_errno(err, errno, "sandbox: cap_init");
	int r = cap_set_proc(caps);
	int e = errno;
	cap_free(caps);
	if (r < 0)
		return cell_error_errno(err, e, "sandbox: drop capabilities");
	/* The bounding set too, so nothing exec'd could regain them (we never exec, but cheap). */
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		prctl(PR_CAPBSET_DROP, c, 0, 0, 0);
	return 0;
}

int sandbox_apply(enum sandbox_kind kind, struct cell_error **err)
{
	/* A call outside the list kills the whole VMM: a partly working VMM is worse. */
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return cell_error_set(err, ENOMEM, "sandbox: seccomp_init");
	int r = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sandbox_common) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_common[i], 0);
	for (size_t i = 0; kind == SANDBOX_VMM && i < ARRAY_SIZE(sandbox_vmm) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_vmm[i], 0);
	/* Threads install their own filter: no TSYNC, each kind keeps its list. */
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return cell_error_errno(err, -r, "sandbox: seccomp filter for %s threads",
					kind == SANDBOX_VMM ? "VMM" : "vCPU");
	return 0;
}
