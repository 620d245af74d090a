/* test-sandbox.c - the build-time seccomp filters: what each thread kind may and may not call. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox.h"

enum call {
	CALL_KVM_RUN,
	CALL_IRQ_LINE,
	CALL_IRQFD,
	CALL_CREATE_VCPU,
	CALL_SET_MEMORY,
	CALL_TIOCSTI,
	CALL_OPEN,
	CALL_EPOLL_CTL,
	CALL_EVENTFD,
	CALL_WRITE
};

/* In a child: install the filter, make the call on a bad fd (its result does not matter). */
static void child(enum sandbox_kind kind, enum call call)
{
	struct cell_error *err = NULL;
	char c = 'x';
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_apply(kind, &err) < 0)
		_exit(100);
	switch (call) {
	case CALL_KVM_RUN:
		ioctl(-1, KVM_RUN, 0);
		break;
	case CALL_IRQ_LINE:
		ioctl(-1, KVM_IRQ_LINE, NULL);
		break;
	case CALL_IRQFD:
		ioctl(-1, KVM_IRQFD, NULL);
		break;
	case CALL_CREATE_VCPU:
		ioctl(-1, KVM_CREATE_VCPU, 0);
		break;
	case CALL_SET_MEMORY:
		ioctl(-1, KVM_SET_USER_MEMORY_REGION, NULL);
		break;
	case CALL_TIOCSTI:
		ioctl(-1, TIOCSTI, &c);
		break;
	case CALL_OPEN:
		open("/dev/null", O_RDONLY);
		break;
	case CALL_EPOLL_CTL:
		epoll_ctl(-1, EPOLL_CTL_DEL, -1, NULL);
		break;
	case CALL_EVENTFD:
		eventfd(0, 0);
		break;
	case CALL_WRITE:
		if (write(-1, &c, 1) < 0) {
		}
		break;
	}
	_exit(0);
}

/* true: the call was allowed; false: the filter killed the child with SIGSYS. */
static bool allowed(enum sandbox_kind kind, enum call call)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		child(kind, call);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status)) {
		assert_int_equal(WEXITSTATUS(status), 0);
		return true;
	}
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	return false;
}

static bool sanitized(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	return true;
#endif
#endif
	return false;
}

static void test_vcpu_filter(void **state)
{
	assert_true(allowed(SANDBOX_VCPU, CALL_KVM_RUN));
	assert_true(allowed(SANDBOX_VCPU, CALL_IRQ_LINE));
	assert_true(allowed(SANDBOX_VCPU, CALL_WRITE));
	assert_false(allowed(SANDBOX_VCPU, CALL_IRQFD));
	assert_false(allowed(SANDBOX_VCPU, CALL_CREATE_VCPU));
	assert_false(allowed(SANDBOX_VCPU, CALL_SET_MEMORY));
	assert_false(allowed(SANDBOX_VCPU, CALL_TIOCSTI));
	assert_false(allowed(SANDBOX_VCPU, CALL_OPEN));
	assert_false(allowed(SANDBOX_VCPU, CALL_EPOLL_CTL));
	assert_false(allowed(SANDBOX_VCPU, CALL_EVENTFD));
}

static void test_vmm_filter(void **state)
{
	assert_true(allowed(SANDBOX_VMM, CALL_IRQ_LINE));
	assert_true(allowed(SANDBOX_VMM, CALL_IRQFD));
	assert_true(allowed(SANDBOX_VMM, CALL_EPOLL_CTL));
	assert_true(allowed(SANDBOX_VMM, CALL_EVENTFD));
	assert_true(allowed(SANDBOX_VMM, CALL_WRITE));
	assert_false(allowed(SANDBOX_VMM, CALL_KVM_RUN));
	assert_false(allowed(SANDBOX_VMM, CALL_CREATE_VCPU));
	assert_false(allowed(SANDBOX_VMM, CALL_SET_MEMORY));
	assert_false(allowed(SANDBOX_VMM, CALL_TIOCSTI));
	assert_false(allowed(SANDBOX_VMM, CALL_OPEN));
}

int main(void)
{
	if (sanitized()) { /* sandbox_apply() is a no-op there (LeakSanitizer uses ptrace) */
		printf("1..0 # SKIP the sandbox is off in sanitizer builds\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_filter),
		cmocka_unit_test(test_vmm_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
