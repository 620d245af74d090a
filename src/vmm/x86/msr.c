/* msr.c - the model-specific registers Linux expects set at entry (as firmware would leave them). */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "cleanup.h"
#include "vm.h"
#include "x86/x86.h"

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 0x1ULL
/* MTRRs enabled, default type write-back: all of RAM cacheable without per-range MTRRs. */
#define MTRR_DEF_TYPE_WB_ENABLED ((1ULL << 11) | 6ULL)

int msr_setup(struct vm *vm, struct vcpu *v, struct cell_error **err)
{
	static const struct {
		uint32_t index;
		uint64_t value;
	} msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_WB_ENABLED },
	};
	size_t n = ARRAY_SIZE(msrs);
	_cleanup_free_ struct kvm_msrs *m =
		calloc(1, sizeof(*m) + n * sizeof(struct kvm_msr_entry));
	if (!m)
		return cell_error_set(err, ENOMEM, "msrs: out of memory");
	m->nmsrs = n;
	for (size_t i = 0; i < n; i++) {
		m->entries[i].index = msrs[i].index;
		m->entries[i].data = msrs[i].value;
	}
	int r = ioctl(v->fd, KVM_SET_MSRS, m);
	if (r < 0)
		return cell_error_errno(err, errno, "vcpu %u: KVM_SET_MSRS", v->id);
	if ((size_t)r != n)
		return cell_error_set(err, EINVAL, "vcpu %u: KVM_SET_MSRS: MSR 0x%x refused", v->id,
				      m->entries[r].index);
	return 0;
}
