/* main.c - cellvm: parse the VM description, build the VM, run it, exit with how the guest ended. */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "devices.h"
#include "sandbox.h"
#include "vm.h"
#include "x86/x86.h"

static void on_stop(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	vm->loop.stop = true;
}

static void on_signal(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;
	if (read(fd, &si, sizeof(si)) == sizeof(si))
		vm_request_end(vm, VM_END_ERROR, "stopped by signal %s", strsignal(si.ssi_signo));
}

/* CELLVM_TRACE_START=1: how long each set-up phase took, on stderr (for bench/). */
static bool trace_start;

static void phase(const char *what)
{
	static struct timespec last;
	struct timespec now;
	if (!trace_start)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec)
		fprintf(stderr, "cellvm: %-10s %6.3f ms\n", what,
			(now.tv_sec - last.tv_sec) * 1e3 + (now.tv_nsec - last.tv_nsec) / 1e6);
	last = now;
}

static int vmm_setup(struct vm *vm, const struct vmm_config *cfg, int *sigfd,
		     struct cell_error **err)
{
	struct boot_entry entry;
	phase("start");
	int r = vm_create(vm, cfg, err);
	if (r < 0)
		return r;
	phase("vm");
	/* The kernel goes in while KVM builds the irqchip and memslots (vm_memory_wait()). */
	if ((r = boot_load(vm, &entry, err)) < 0)
		return r;
	phase("kernel");
	if ((r = vm_memory_wait(vm, err)) < 0)
		return r;
	phase("kvm-wait");
	if ((r = devices_create(vm, err)) < 0 || (r = acpi_build(vm, err)) < 0)
		return r;
	phase("devices");
	if ((r = vcpus_create(vm, err)) < 0 ||
	    (r = regs_setup_bsp(vm, &vm->vcpus[0], &entry, err)) < 0)
		return r;
	phase("vcpus");
	if ((r = loop_add(&vm->loop, vm->stop_efd, EPOLLIN, on_stop, vm, err)) < 0)
		return r;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sigfd < 0)
		return cell_error_errno(err, errno, "signalfd");
	if ((r = loop_add(&vm->loop, *sigfd, EPOLLIN, on_signal, vm, err)) < 0)
		return r;
	if (cfg->sandbox &&
	    ((r = sandbox_prepare(err)) < 0 || (r = sandbox_drop_privileges(err)) < 0))
		return r;
	phase("sandbox");
	return 0;
}

static int vmm_run(struct vm *vm, struct cell_error **err)
{
	int r = vcpus_start(vm, 0, err);
	if (r < 0)
		return r;
	phase("threads");
	if (vm->cfg->sandbox && (r = sandbox_apply(SANDBOX_VMM, err)) < 0)
		return r;
	return loop_run(&vm->loop, err);
}

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	struct cell_error *err = NULL;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .stop_efd = -1, .loop.epfd = -1 };
	int sigfd = -1, status;

	const char *t = getenv("CELLVM_TRACE_START");
	trace_start = t && *t == '1';
	phase("");
	/* One malloc arena: per-thread arenas would cost resident memory for nothing here. */
	mallopt(M_ARENA_MAX, 1);
	vmm_config_init(&cfg);
	int r = vmm_config_parse_args(&cfg, argc, argv, &err);
	if (r == 1) {
		vmm_config_free(&cfg);
		return 0;
	}
	if (r >= 0)
		r = vmm_setup(&vm, &cfg, &sigfd, &err);
	if (r >= 0)
		r = vmm_run(&vm, &err);
	vcpus_stop(&vm);
	devices_destroy(&vm);
	if (r < 0) {
		cell_error_print(err, "cellvm", stderr);
		status = VM_END_ERROR;
	} else {
		status = atomic_load(&vm.end);
		if (status != VM_END_POWEROFF)
			fprintf(stderr, "cellvm: %s\n", vm.end_msg);
	}
	cell_error_free(err);
	if (sigfd >= 0)
		close(sigfd);
	vm_destroy(&vm);
	vmm_config_free(&cfg);
	sandbox_free();
	return status;
}
