/* main.c - cellvm: parse the VM description, build the VM, run it, exit with how the guest ended. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
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

/*
 * CELLVM_TRACE_START=1: how long each set-up phase took, on stderr (for bench/). With
 * CELLVM_TRACE_T0=<CLOCK_MONOTONIC ns> (the launcher's clock just before it spawned us), also the
 * time since then, so exec and dynamic loading show up too.
 */
static bool trace_start;
static uint64_t trace_t0;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Lines are kept in memory and printed at exit: writing them would slow what they measure. */
static char trace_buf[2048];
static size_t trace_len;

static void trace_line(const char *what, uint64_t at, uint64_t since)
{
	int n;
	size_t room = sizeof(trace_buf) - trace_len;
	if (since && trace_t0)
		n = snprintf(trace_buf + trace_len, room, "cellvm: %-10s %7.3f ms  (at %7.3f ms)\n",
			     what, (at - since) / 1e6, (at - trace_t0) / 1e6);
	else if (trace_t0)
		n = snprintf(trace_buf + trace_len, room,
			     "cellvm: %-10s            (at %7.3f ms)\n", what,
			     (at - trace_t0) / 1e6);
	else
		n = snprintf(trace_buf + trace_len, room, "cellvm: %-10s %7.3f ms\n", what,
			     (at - since) / 1e6);
	if (n > 0 && (size_t)n < room)
		trace_len += (size_t)n;
}

static void phase(const char *what)
{
	static uint64_t last;
	if (!trace_start)
		return;
	uint64_t now = now_ns();
	if (!last && trace_t0)
		last = trace_t0;
	if (last)
		trace_line(what, now, last);
	last = now;
}

/* Print the phases, then vCPU 0's own times: started, filter in place (KVM_RUN), first exit. */
static void trace_print(const struct vm *vm)
{
	static const char *names[] = { "vcpu-start", "vcpu-run", "1st-exit" };
	if (!trace_start)
		return;
	for (unsigned i = 0; i < 3 && trace_t0; i++)
		if (vm->trace_vcpu[i])
			trace_line(names[i], vm->trace_vcpu[i], 0);
	fputs(trace_buf, stderr);
}

/*
 * Loading the kernel and initrd into guest RAM (milliseconds for a Linux kernel and initramfs, more
 * when an LZ4 bzImage is unpacked here) needs neither the irqchip nor the vCPUs, so it runs beside
 * their creation. A tiny image is loaded
 * inline: on a busy host the thread's hand-over cost more than it saved (bench/vmm-first-insn.py,
 * 61 interleaved runs).
 */
#define PREP_THREAD_MIN_BYTES (256 * 1024)

struct prep {
	struct vm *vm;
	struct boot_entry entry;
	struct cell_error *err;
	int r;
	pthread_t thread;
	bool running;
};

static void *prep_run(void *arg)
{
	struct prep *p = arg;
	p->r = boot_load(p->vm, &p->entry, &p->err);
	return NULL;
}

static off_t file_size(const char *path)
{
	struct stat st;
	return path && stat(path, &st) == 0 ? st.st_size : 0;
}

static int prep_start(struct prep *p, struct vm *vm, struct cell_error **err)
{
	*p = (struct prep){ .vm = vm };
	if (file_size(vm->cfg->kernel) + file_size(vm->cfg->initrd) < PREP_THREAD_MIN_BYTES)
		return 0;
	int e = pthread_create(&p->thread, NULL, prep_run, p);
	if (e != 0)
		return cell_error_errno(err, e, "pthread_create");
	p->running = true;
	return 0;
}

static int prep_wait(struct prep *p, struct cell_error **err)
{
	if (p->running) {
		pthread_join(p->thread, NULL);
		p->running = false;
	} else {
		prep_run(p);
	}
	if (p->r < 0) {
		cell_error_free(*err);
		*err = steal_ptr(p->err);
	}
	cell_error_free(p->err);
	return p->r;
}

/*
 * The loop thread starts early and first asks KVM for its supported CPUID (~0.4 ms on PVM, where
 * each host CPUID instruction traps) while the main thread builds the VM. Once vCPU 0 runs, it makes
 * what the guest does not need at once (the PIT), takes its own seccomp filter, serves device I/O
 * until the guest ends, then stops the vCPUs and tears the devices down (it owns them; the main
 * thread's vCPU filter could not).
 */
struct runner {
	struct vm *vm;
	pthread_t loop;
	bool started;
	bool vcpu0_ran; /* vcpu_run() was called for vCPU 0 (it posts vcpu0_ready itself) */
	sem_t cpuid_ready;
	int cpuid_r;
	struct cell_error *cpuid_err;
};

static void *loop_thread(void *arg)
{
	struct runner *rn = arg;
	struct vm *vm = rn->vm;
	struct cell_error *err = NULL;

	rn->cpuid_r = cpuid_fetch(vm, &rn->cpuid_err);
	sem_post(&rn->cpuid_ready);
	/* Created before the main thread dropped its privileges: drop this thread's own. */
	int r = vm->cfg->sandbox ? sandbox_drop_privileges(&err) : 0;
	vcpus_wait_running(vm);
	/* Set-up failed (the guest never ran): nothing to serve, and stdin is not ours to read. */
	bool run = atomic_load(&vm->end) == VM_END_RUNNING;
	if (r >= 0 && run)
		r = vm_create_pit(vm, &err);
	/* No guest input is handled on this thread before its filter is in place. */
	if (r >= 0 && run && vm->cfg->sandbox)
		r = sandbox_apply(SANDBOX_VMM, &err);
	if (r >= 0 && run)
		r = loop_run(&vm->loop, &err);
	if (r < 0) {
		vm_request_end(vm, VM_END_ERROR, "%s", err->msg);
		cell_error_free(err);
	}
	vcpus_kick(vm);
	vcpus_join(vm);
	devices_destroy(vm);
	return NULL;
}

static int runner_start(struct runner *rn, struct vm *vm, struct cell_error **err)
{
	*rn = (struct runner){ .vm = vm };
	sem_init(&rn->cpuid_ready, 0, 0);
	int e = pthread_create(&rn->loop, NULL, loop_thread, rn);
	if (e != 0)
		return cell_error_errno(err, e, "pthread_create");
	rn->started = true;
	return 0;
}

static int runner_wait_cpuid(struct runner *rn, struct cell_error **err)
{
	while (sem_wait(&rn->cpuid_ready) < 0 && errno == EINTR)
		;
	if (rn->cpuid_r < 0) {
		cell_error_free(*err);
		*err = steal_ptr(rn->cpuid_err);
	}
	return rn->cpuid_r;
}

/* After vCPU 0 returned, or when it never ran (set-up failed: end the VM first). */
static void runner_finish(struct runner *rn)
{
	if (!rn->started)
		return;
	if (atomic_load(&rn->vm->end) == VM_END_RUNNING)
		vm_request_end(rn->vm, VM_END_ERROR, "set-up failed");
	if (!rn->vcpu0_ran)
		sem_post(&rn->vm->vcpu0_ready);
	sem_post(&rn->vm->vcpu0_done);
	pthread_join(rn->loop, NULL);
	rn->started = false;
	cell_error_free(rn->cpuid_err);
	sem_destroy(&rn->cpuid_ready);
}

static int vmm_setup_kvm(struct vm *vm, struct runner *rn, struct prep *prep,
			 struct cell_error **err)
{
	int r = vm_create_irqchip(vm, err);
	if (r < 0)
		return r;
	phase("irqchip");
	if ((r = devices_create(vm, err)) < 0)
		return r;
	phase("devices");
	r = prep_wait(prep, err);
	static const char *const modes[] = { [BOOT_MODE_LONG64] = "load:64",
					     [BOOT_MODE_PVH] = "load:pvh",
					     [BOOT_MODE_REAL] = "load:real" };
	phase(r < 0 ? "load" : modes[prep->entry.mode]);
	if (r < 0 || (r = acpi_build(vm, err)) < 0)
		return r;
	r = runner_wait_cpuid(rn, err);
	phase("cpuid-wait");
	if (r < 0)
		return r;
	if ((r = vcpus_create(vm, err)) < 0 ||
	    (r = regs_setup_bsp(vm, &vm->vcpus[0], &prep->entry, err)) < 0)
		return r;
	phase("vcpus");
	return 0;
}

static int vmm_signals(struct vm *vm, int *sigfd, struct cell_error **err)
{
	/* Blocked before any thread starts, so every thread inherits the mask. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sigfd < 0)
		return cell_error_errno(err, errno, "signalfd");
	int r = loop_add(&vm->loop, *sigfd, EPOLLIN, on_signal, vm, err);
	if (r >= 0)
		r = loop_add(&vm->loop, vm->stop_efd, EPOLLIN, on_stop, vm, err);
	return r;
}

static int vmm_setup(struct vm *vm, struct runner *rn, int *sigfd, struct cell_error **err)
{
	struct prep prep;
	phase("main");
	/* Before any other thread exists (see sandbox_unshare()). */
	if (vm->cfg->sandbox)
		sandbox_unshare();
	phase("unshare");
	int r = vm_create(vm, vm->cfg, err);
	if (r < 0)
		return r;
	vm->trace = trace_start;
	phase("vm");
	if ((r = vmm_signals(vm, sigfd, err)) < 0 || (r = runner_start(rn, vm, err)) < 0 ||
	    (r = prep_start(&prep, vm, err)) < 0)
		return r;
	r = vmm_setup_kvm(vm, rn, &prep, err);
	if (prep.running) { /* an error above: the thread still writes guest RAM */
		struct cell_error *ignored = NULL;
		prep_wait(&prep, &ignored);
		cell_error_free(ignored);
	}
	if (r < 0)
		return r;
	/* Capabilities are per thread: dropped before the vCPU threads exist, so they inherit none. */
	if (vm->cfg->sandbox && (r = sandbox_drop_privileges(err)) < 0)
		return r;
	phase("sandbox");
	return 0;
}

static void vmm_run(struct vm *vm, struct runner *rn)
{
	struct cell_error *err = NULL;
	if (vcpus_start(vm, &err) < 0) {
		/* The guest never ran: end it; the loop thread stops what did start. */
		vm_request_end(vm, VM_END_ERROR, "%s", err->msg);
		cell_error_free(err);
	} else {
		phase("threads");
		/* The main thread runs vCPU 0: no hand-over to a new thread before the guest starts. */
		rn->vcpu0_ran = true;
		vcpu_run(&vm->vcpus[0]);
	}
	runner_finish(rn);
}

int main(int argc, char **argv)
{
	struct vmm_config cfg;
	struct cell_error *err = NULL;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .stop_efd = -1, .loop.epfd = -1 };
	struct runner rn = { 0 };
	int sigfd = -1, status;

	const char *t = getenv("CELLVM_TRACE_START");
	trace_start = t && *t == '1';
	t = getenv("CELLVM_TRACE_T0");
	trace_t0 = trace_start && t ? strtoull(t, NULL, 10) : 0;
	phase("exec");
	/* One malloc arena: per-thread arenas would cost resident memory for nothing here. */
	mallopt(M_ARENA_MAX, 1);
	vmm_config_init(&cfg);
	int r = vmm_config_parse_args(&cfg, argc, argv, &err);
	if (r == 1) {
		vmm_config_free(&cfg);
		return 0;
	}
	if (r >= 0) {
		vm.cfg = &cfg; /* vm_create() sets it again; the error paths below need it */
		r = vmm_setup(&vm, &rn, &sigfd, &err);
	}
	if (r >= 0)
		vmm_run(&vm, &rn);
	runner_finish(&rn);
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
	trace_print(&vm);
	if (sigfd >= 0)
		close(sigfd);
	vm_destroy(&vm);
	vmm_config_free(&cfg);
	return status;
}
