/* sandbox.c - after setup the VMM keeps only the system calls each thread kind needs, no caps. */
#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
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
	SCMP_SYS(seccomp),
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
	/*
	 * Own mount, IPC and UTS namespaces where allowed (root, single-threaded): cheap, and the
	 * VMM then shares nothing mutable there with the host. Not an error when refused; a
	 * network namespace and a pivot into an empty root belong to the launcher (the jailer's job).
	 */
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
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

static struct sock_fprog sandbox_progs[2];

static int sandbox_compile(enum sandbox_kind kind, struct sock_fprog *prog, struct cell_error **err)
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
	/* libseccomp 2.5 exports BPF only to an fd: go through a memfd. */
	_cleanup_close_ int fd = memfd_create("cellvm-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		r = -errno;
	if (r == 0)
		r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	off_t len = r == 0 ? lseek(fd, 0, SEEK_END) : -1;
	if (r == 0 && (len <= 0 || len % sizeof(struct sock_filter)))
		r = -EINVAL;
	if (r == 0) {
		prog->filter = malloc(len);
		prog->len = (unsigned short)(len / sizeof(struct sock_filter));
		if (!prog->filter || pread(fd, prog->filter, len, 0) != len)
			r = -EIO;
	}
	if (r < 0)
		return cell_error_errno(err, -r, "sandbox: seccomp filter for %s threads",
					kind == SANDBOX_VMM ? "VMM" : "vCPU");
	return 0;
}

int sandbox_prepare(struct cell_error **err)
{
	int r = sandbox_compile(SANDBOX_VMM, &sandbox_progs[SANDBOX_VMM], err);
	if (r >= 0)
		r = sandbox_compile(SANDBOX_VCPU, &sandbox_progs[SANDBOX_VCPU], err);
	return r;
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
	if (!sandbox_progs[kind].filter)
		return cell_error_set(err, EINVAL, "sandbox: filters were not prepared");
	/* Each thread installs its own filter (no TSYNC), so each kind keeps its list. */
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sandbox_progs[kind]) < 0)
		return cell_error_errno(err, errno, "sandbox: install the %s filter",
					kind == SANDBOX_VMM ? "VMM" : "vCPU");
	return 0;
}

void sandbox_free(void)
{
	for (int i = 0; i < 2; i++) {
		free(sandbox_progs[i].filter);
		sandbox_progs[i].filter = NULL;
	}
}
