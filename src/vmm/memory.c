/* memory.c - guest RAM: one host mapping (huge-page friendly) split around the 32-bit MMIO gap. */
#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vm.h"

#define HUGE_2M (2ULL << 20)

void *vm_gpa_to_hva(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= vm->low_ram_size)
		return vm->ram + gpa;
	uint64_t high = vm->ram_size - vm->low_ram_size;
	if (gpa >= VM_MMIO_GAP_END && gpa - VM_MMIO_GAP_END <= high &&
	    len <= high - (gpa - VM_MMIO_GAP_END))
		return vm->ram + vm->low_ram_size + (gpa - VM_MMIO_GAP_END);
	return NULL;
}

static int vm_add_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva,
		       struct cell_error **err)
{
	struct kvm_userspace_memory_region r = {
		.slot = vm->next_slot++,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return cell_error_errno(err, errno, "KVM_SET_USER_MEMORY_REGION 0x%llx+%llu MiB",
					(unsigned long long)gpa, (unsigned long long)(size >> 20));
	return 0;
}

/*
 * Register RAM with KVM. Called before the irqchip exists: on this project's PVM host a memslot
 * added after KVM_CREATE_IRQCHIP took ~8 ms (median of 30) against ~0.1-0.3 ms before it, and the
 * irqchip itself is then faster too (bench/vmm-first-insn.py).
 */
int vm_memory_register(struct vm *vm, struct cell_error **err)
{
	int r = vm_add_slot(vm, 0, vm->low_ram_size, vm->ram, err);
	if (r == 0 && vm->ram_size > vm->low_ram_size)
		r = vm_add_slot(vm, VM_MMIO_GAP_END, vm->ram_size - vm->low_ram_size,
				vm->ram + vm->low_ram_size, err);
	return r;
}

int vm_memory_init(struct vm *vm, struct cell_error **err)
{
	uint64_t size = vm->cfg->memory;
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

	vm->ram_size = size;
	vm->low_ram_size = size < VM_MMIO_GAP_START ? size : VM_MMIO_GAP_START;
	if (vm->cfg->hugepages) {
		/* hugetlbfs pages must be reserved up front: fail now rather than at a guest fault. */
		vm->ram_map_size = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
		vm->ram_map = mmap(NULL, vm->ram_map_size, PROT_READ | PROT_WRITE,
				   (flags & ~MAP_NORESERVE) | MAP_HUGETLB, -1, 0);
		if (vm->ram_map == MAP_FAILED) {
			vm->ram_map = NULL;
			return cell_error_errno(err, errno, "guest memory: %llu MiB of huge pages",
						(unsigned long long)(size >> 20));
		}
		vm->ram = vm->ram_map;
	} else {
		/* Over-map by 2 MiB so RAM starts 2 MiB-aligned and THP can back it. */
		vm->ram_map_size = size + HUGE_2M;
		vm->ram_map = mmap(NULL, vm->ram_map_size, PROT_READ | PROT_WRITE, flags, -1, 0);
		if (vm->ram_map == MAP_FAILED) {
			vm->ram_map = NULL;
			return cell_error_errno(err, errno, "guest memory: mmap %llu MiB",
						(unsigned long long)(size >> 20));
		}
		vm->ram = (uint8_t *)(((uintptr_t)vm->ram_map + HUGE_2M - 1) & ~(HUGE_2M - 1));
		/*
		 * The first 2 MiB stay in small pages: the VMM writes a few bytes there before the
		 * guest starts (boot structures, the reset stub, a real-mode image), and a huge page
		 * would have the host zero all 2 MiB (~0.2 ms, more with compaction) on the way to
		 * the first instruction; nothing there is hot for the guest. Touching one page before
		 * MADV_HUGEPAGE gives that range a page table of small pages, and keeps RAM one
		 * mapping (madvise on part of it would split it).
		 */
		*(volatile uint8_t *)vm->ram = 0;
		madvise(vm->ram, size, MADV_HUGEPAGE);
	}
	/* Guest RAM has no business in a core dump of the VMM. */
	madvise(vm->ram, size, MADV_DONTDUMP);

	return 0;
}
