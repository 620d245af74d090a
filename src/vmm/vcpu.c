/* vcpu.c - one thread per vCPU running KVM_RUN, and stopping them all when the guest ends. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exit.h"
#include "sandbox.h"
#include "vm.h"
#include "x86/x86.h"

#define VCPU_KICK_SIGNAL (SIGRTMIN + 1)

/* CELLVM_TRACE_EXITS=1: every exit on stderr (debugging guests; far too slow otherwise). */
static bool vcpu_trace;

static void vcpu_kick_handler(int sig)
{
	/* Only there to make KVM_RUN return EINTR. */
}

static int vcpu_create_one(struct vm *vm, struct vcpu *v, unsigned id, struct cell_error **err)
{
	*v = (struct vcpu){ .vm = vm, .id = id, .fd = -1 };
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return cell_error_errno(err, errno, "KVM_CREATE_VCPU %u", id);
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		return cell_error_errno(err, errno, "KVM_GET_VCPU_MMAP_SIZE");
	v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		return cell_error_errno(err, errno, "mmap vcpu %u", id);
	}
	v->run_size = sz;
	int r = cpuid_setup(vm, v, err);
	if (r >= 0)
		r = msr_setup(vm, v, err);
	if (r >= 0)
		r = regs_setup_fpu(v, err);
	return r;
}

int vcpus_create(struct vm *vm, struct cell_error **err)
{
	vm->vcpus = calloc(vm->cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return cell_error_set(err, ENOMEM, "vcpus: out of memory");
	for (unsigned i = 0; i < vm->cfg->cpus; i++) {
		vm->ncpus = i + 1;
		int r = vcpu_create_one(vm, &vm->vcpus[i], i, err);
		if (r < 0)
			return r;
	}
	const char *trace = getenv("CELLVM_TRACE_EXITS");
	vcpu_trace = trace && *trace == '1';
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return cell_error_errno(err, errno, "sigaction");
	return 0;
}

static void vcpu_trace_exit(const struct vcpu *v)
{
	const struct kvm_run *r = v->run;
	if (r->exit_reason == KVM_EXIT_IO)
		fprintf(stderr, "vcpu%u: io %s port 0x%x size %u count %u\n", v->id,
			r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", r->io.port, r->io.size,
			r->io.count);
	else if (r->exit_reason == KVM_EXIT_MMIO)
		fprintf(stderr, "vcpu%u: mmio %s 0x%llx len %u\n", v->id,
			r->mmio.is_write ? "write" : "read", (unsigned long long)r->mmio.phys_addr,
			r->mmio.len);
	else
		fprintf(stderr, "vcpu%u: exit %u\n", v->id, r->exit_reason);
}

static void vcpu_trace_time(struct vcpu *v, unsigned i)
{
	struct timespec t;
	if (!v->vm->trace || v->id != 0 || v->vm->trace_vcpu[i])
		return;
	clock_gettime(CLOCK_MONOTONIC, &t);
	v->vm->trace_vcpu[i] = (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

void vcpu_run(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct cell_error *err = NULL;

	vcpu_trace_time(v, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (vm->cfg->sandbox && sandbox_apply(SANDBOX_VCPU, &err) < 0) {
		vm_request_end(vm, VM_END_ERROR, "vcpu %u: %s", v->id, err->msg);
		cell_error_free(err);
		if (v->id == 0)
			sem_post(&vm->vcpu0_ready);
		return;
	}
	vcpu_trace_time(v, 1);
	if (v->id == 0)
		sem_post(&vm->vcpu0_ready);
	while (atomic_load(&vm->end) == VM_END_RUNNING) {
		int r = ioctl(v->fd, KVM_RUN, 0);
		vcpu_trace_time(v, 2);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			vm_request_end(vm, VM_END_ERROR, "vcpu %u: KVM_RUN: %s", v->id,
				       strerror(errno));
			break;
		}
		if (vcpu_trace)
			vcpu_trace_exit(v);
		struct exit_ctx ctx = { .pio = &vm->pio,
					.mmio = &vm->mmio,
					.run_size = v->run_size };
		if (exit_handle(v->run, &ctx) == EXIT_STOP) {
			vm_request_end(vm, ctx.end, "%s", ctx.msg);
			break;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	vcpu_run(arg);
	return NULL;
}

int vcpus_start(struct vm *vm, struct cell_error **err)
{
	/* vCPU 0 is the caller's to run (vcpu_run()): the thread that has the CPU keeps it. */
	vm->vcpus[0].thread = pthread_self();
	vm->vcpus[0].started = true;
	vm->vcpus[0].inline_run = true;
	/* Threads start with the kick signal blocked; each unblocks it itself. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned i = 1; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		int r = pthread_create(&v->thread, NULL, vcpu_thread, v);
		if (r != 0) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			return cell_error_errno(err, r, "vcpu %u: pthread_create", i);
		}
		v->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;
}

void vcpus_wait_running(struct vm *vm)
{
	while (sem_wait(&vm->vcpu0_ready) < 0 && errno == EINTR)
		;
}

void vcpus_kick(struct vm *vm)
{
	if (atomic_load(&vm->end) == VM_END_RUNNING)
		vm_request_end(vm, VM_END_ERROR, "VMM stopped");
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		/* end is set before immediate_exit, so a vCPU that sees the flag also sees end. */
		atomic_thread_fence(memory_order_seq_cst);
		v->run->immediate_exit = 1;
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

void vcpus_join(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		if (v->inline_run)
			while (sem_wait(&vm->vcpu0_done) < 0 && errno == EINTR)
				;
		else
			pthread_join(v->thread, NULL);
		v->started = false;
	}
}

void vcpus_stop(struct vm *vm)
{
	if (!vm->vcpus)
		return;
	vcpus_kick(vm);
	vcpus_join(vm);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			munmap(v->run, v->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->ncpus = 0;
}
