/* regs.c - the boot CPU's registers, segments, GDT and identity page tables for each entry mode. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vm.h"
#include "x86/x86.h"

#define X86_CR0_PE 0x1ULL
#define X86_CR0_ET 0x10ULL
#define X86_CR0_NE 0x20ULL
#define X86_CR0_PG 0x80000000ULL
#define X86_CR4_PAE 0x20ULL
#define X86_EFER_LME 0x100ULL
#define X86_EFER_LMA 0x400ULL

#define PDE_PRESENT_RW 0x3ULL
#define PDE_PS 0x80ULL

/* GDT: null, null, code (0x10, __BOOT_CS), data (0x18, __BOOT_DS), TSS (0x20). */
enum { GDT_CODE = 2, GDT_DATA = 3, GDT_TSS = 4, GDT_ENTRIES = 5 };

static uint64_t gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000) << 32) | ((uint64_t)(flags & 0xf0ff) << 40) |
	       ((uint64_t)(limit & 0x000f0000) << 32) | ((uint64_t)(base & 0x00ffffff) << 16) |
	       (uint64_t)(limit & 0x0000ffff);
}

static struct kvm_segment seg_from_gdt(uint64_t e, unsigned index)
{
	struct kvm_segment s = {
		.base = ((e >> 16) & 0xffffff) | (((e >> 56) & 0xff) << 24),
		.limit = (uint32_t)((e & 0xffff) | (((e >> 48) & 0xf) << 16)),
		.selector = (uint16_t)(index * 8),
		.type = (e >> 40) & 0xf,
		.present = (e >> 47) & 1,
		.dpl = (e >> 45) & 3,
		.db = (e >> 54) & 1,
		.s = (e >> 44) & 1,
		.l = (e >> 53) & 1,
		.g = (e >> 55) & 1,
		.avl = (e >> 52) & 1,
	};
	/* KVM takes the limit in bytes: scale a page-granular one. */
	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	return s;
}

int regs_write_page_tables(struct vm *vm, struct cell_error **err)
{
	/* PML4 at 0x9000, PDPT at 0xa000, four page directories at 0xb000..0xe000. */
	uint64_t *pml4 = vm_gpa_to_hva(vm, VM_PML4_ADDR, 0x6000);
	if (!pml4)
		return cell_error_set(err, ENOMEM, "page tables: guest memory too small");
	memset(pml4, 0, 0x6000);
	uint64_t *pdpt = pml4 + 512;
	pml4[0] = (VM_PML4_ADDR + 0x1000) | PDE_PRESENT_RW;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t pd_addr = VM_PML4_ADDR + 0x2000 + i * 0x1000ULL;
		uint64_t *pd = pml4 + 512 * (2 + i);
		pdpt[i] = pd_addr | PDE_PRESENT_RW;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30) + ((uint64_t)j << 21) +
				(PDE_PRESENT_RW | PDE_PS);
	}
	return 0;
}

static void regs_gdt(struct vm *vm, bool long_mode, uint64_t gdt[GDT_ENTRIES])
{
	gdt[0] = gdt[1] = 0;
	/* 64-bit code for the bzImage entry, 32-bit flat code for PVH. */
	gdt[GDT_CODE] = gdt_entry(long_mode ? 0xa09b : 0xc09b, 0, 0xfffff);
	gdt[GDT_DATA] = gdt_entry(0xc093, 0, 0xfffff);
	gdt[GDT_TSS] = gdt_entry(0x808b, 0, 0xfffff);
	memcpy(vm_gpa_to_hva(vm, VM_GDT_ADDR, GDT_ENTRIES * 8), gdt, GDT_ENTRIES * 8);
}

static void regs_sregs_protected(struct vm *vm, struct kvm_sregs *s, bool long_mode)
{
	uint64_t gdt[GDT_ENTRIES];

	regs_gdt(vm, long_mode, gdt);
	s->gdt.base = VM_GDT_ADDR;
	s->gdt.limit = GDT_ENTRIES * 8 - 1;
	s->idt.base = 0;
	s->idt.limit = 0;
	s->cs = seg_from_gdt(gdt[GDT_CODE], GDT_CODE);
	s->ds = s->es = s->fs = s->gs = s->ss = seg_from_gdt(gdt[GDT_DATA], GDT_DATA);
	s->tr = seg_from_gdt(gdt[GDT_TSS], GDT_TSS);
	s->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	s->cr4 = 0;
	s->efer = 0;
	if (long_mode) {
		s->cr3 = VM_PML4_ADDR;
		s->cr4 |= X86_CR4_PAE;
		s->cr0 |= X86_CR0_PG;
		s->efer |= X86_EFER_LME | X86_EFER_LMA;
	}
}

int regs_setup_bsp(struct vm *vm, struct vcpu *v, const struct boot_entry *e,
		   struct cell_error **err)
{
	struct kvm_sregs s;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return cell_error_errno(err, errno, "KVM_GET_SREGS");
	struct kvm_regs r = { .rflags = 0x2 };
	switch (e->mode) {
	case BOOT_MODE_LONG64:
		regs_sregs_protected(vm, &s, true);
		r.rip = e->ip;
		r.rsi = e->arg;
		break;
	case BOOT_MODE_PVH:
		regs_sregs_protected(vm, &s, false);
		r.rip = e->ip;
		r.rbx = e->arg;
		break;
	case BOOT_MODE_REAL:
		s.cs.selector = (uint16_t)(e->ip >> 4);
		s.cs.base = e->ip & ~0xfULL;
		s.ds.selector = s.es.selector = s.ss.selector = s.cs.selector;
		s.ds.base = s.es.base = s.ss.base = s.cs.base;
		r.rip = e->ip & 0xf;
		r.rsp = 0xfff0;
		break;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return cell_error_errno(err, errno, "KVM_SET_SREGS");
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return cell_error_errno(err, errno, "KVM_SET_REGS");
	return 0;
}

int regs_setup_fpu(struct vcpu *v, struct cell_error **err)
{
	/* The x87 and SSE control words a CPU has after FNINIT / reset. */
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return cell_error_errno(err, errno, "KVM_SET_FPU");
	return 0;
}
