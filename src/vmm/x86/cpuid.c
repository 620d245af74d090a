/* cpuid.c - KVM's supported CPUID with this vCPU's APIC ID, a sane topology and the hypervisor bit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cleanup.h"
#include "vm.h"
#include "x86/x86.h"

#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT (1U << 28)

static struct kvm_cpuid2 *cpuid_supported(int kvm_fd, struct cell_error **err)
{
	for (unsigned n = 256; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		int e = errno;
		free(c);
		if (e != E2BIG) {
			cell_error_errno(err, e, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	cell_error_set(err, E2BIG, "KVM_GET_SUPPORTED_CPUID: too many entries");
	return NULL;
}

static unsigned cpuid_bits_for(unsigned n)
{
	unsigned b = 0;
	while ((1U << b) < n)
		b++;
	return b;
}

/* One socket, ncpus cores, one thread per core; APIC ID = vCPU index. */
static void cpuid_patch(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus, bool deadline)
{
	unsigned core_bits = cpuid_bits_for(ncpus);

	switch (e->function) {
	case 1:
		e->ebx = (e->ebx & 0x0000ffff) | (id << 24) | ((ncpus & 0xff) << 16);
		e->ecx |= CPUID_1_ECX_HYPERVISOR;
		if (deadline)
			e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
		if (ncpus > 1)
			e->edx |= CPUID_1_EDX_HTT;
		else
			e->edx &= ~CPUID_1_EDX_HTT;
		break;
	case 4: /* Intel cache topology: cores per package in EAX[31:26], sharing in [25:14] */
		e->eax &= 0x3fff;
		e->eax |= ((ncpus - 1) & 0x3f) << 26;
		if (((e->eax >> 5) & 7) == 3) /* L3 shared by all cores */
			e->eax |= ((ncpus - 1) & 0xfff) << 14;
		break;
	case 0xb:
	case 0x1f:
		e->edx = id;
		if (e->index == 0) { /* SMT level: one thread */
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1 << 8) | 0;
		} else if (e->index == 1) { /* core level */
			e->eax = core_bits;
			e->ebx = ncpus;
			e->ecx = (2 << 8) | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	case 0x80000008: /* AMD: number of cores - 1, and APIC ID size */
		e->ecx = (e->ecx & ~0xf0ffU) | (core_bits << 12) | ((ncpus - 1) & 0xff);
		break;
	case 0x8000001e: /* AMD extended APIC ID, core and node */
		e->eax = id;
		e->ebx = id & 0xff;
		e->ecx = 0;
		break;
	}
}

static struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t fn, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == index)
			return &c->entries[i];
	return NULL;
}

/*
 * XSAVE components whose CPUID feature is absent must not be offered in leaf 0xD either: a
 * nested host can report AVX state without AVX, and Linux then warns that the XSAVE sizes
 * disagree. Keep 0xD consistent with leaves 1 and 7 (as QEMU does).
 */
static void cpuid_fix_xsave(struct kvm_cpuid2 *c)
{
	struct kvm_cpuid_entry2 *l1 = cpuid_find(c, 1, 0), *l7 = cpuid_find(c, 7, 0);
	struct kvm_cpuid_entry2 *d0 = cpuid_find(c, 0xd, 0);
	if (!l1 || !d0)
		return;
	uint32_t drop = 0;
	if (!(l1->ecx & (1U << 28))) /* AVX */
		drop |= 1U << 2;
	if (!l7 || !(l7->ebx & (1U << 14))) /* MPX */
		drop |= (1U << 3) | (1U << 4);
	if (!l7 || !(l7->ebx & (1U << 16))) /* AVX-512F */
		drop |= (1U << 5) | (1U << 6) | (1U << 7);
	if (!l7 || !(l7->ecx & (1U << 3))) /* PKU */
		drop |= 1U << 9;
	d0->eax &= ~drop;
	for (unsigned b = 2; b < 32; b++) {
		struct kvm_cpuid_entry2 *e = cpuid_find(c, 0xd, b);
		if (e && (drop & (1U << b)))
			e->eax = e->ebx = e->ecx = e->edx = 0;
	}
}

/*
 * KVM_GET_SUPPORTED_CPUID runs the host's CPUID instruction for every leaf: ~0.4 ms on a PVM host
 * where each one traps. Fetched once per VM, on main.c's preparation thread.
 */
int cpuid_fetch(struct vm *vm, struct cell_error **err)
{
	if (vm->cpuid)
		return 0;
	vm->cpuid = cpuid_supported(vm->kvm_fd, err);
	if (!vm->cpuid)
		return err && *err ? -(*err)->code : -ENOMEM;
	return 0;
}

int cpuid_setup(struct vm *vm, struct vcpu *v, struct cell_error **err)
{
	int r = cpuid_fetch(vm, err);
	if (r < 0)
		return r;
	size_t sz = sizeof(*vm->cpuid) + vm->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	_cleanup_free_ struct kvm_cpuid2 *c = malloc(sz);
	if (!c)
		return cell_error_set(err, ENOMEM, "cpuid: out of memory");
	memcpy(c, vm->cpuid, sz);
	bool deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	for (unsigned i = 0; i < c->nent; i++)
		cpuid_patch(&c->entries[i], v->id, vm->cfg->cpus, deadline);
	cpuid_fix_xsave(c);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		return cell_error_errno(err, errno, "vcpu %u: KVM_SET_CPUID2", v->id);
	return 0;
}
