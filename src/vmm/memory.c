/* memory.c - guest RAM: one host mapping (huge-page friendly) split around the 32-bit MMIO gap. */
#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
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

static int vm_add_slot(struct vm *vm, uint64_t gpa, uint64_t size, void *hva, void *unused)
{
	struct kvm_userspace_memory_region r = {
		.slot = vm->next_slot++,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return -errno;
	return 0;
}

/*
 * The slow part of building a VM: registering the irqchip's devices and each memslot waits for an
 * SRCU grace period, and the in-kernel PIT starts a kernel thread: milliseconds each on a busy
 * host. A helper thread does them while the main thread loads the kernel and initrd;
 * vm_memory_wait() joins it before devices (irqfds need the irqchip) and vCPUs are made.
 */
static void *vm_memory_slots(void *arg)
{
	struct vm *vm = arg;
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		vm->slot_errno = errno;
		vm->slot_what = "KVM_CREATE_IRQCHIP";
		return NULL;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		vm->slot_errno = errno;
		vm->slot_what = "KVM_CREATE_PIT2";
		return NULL;
	}
	vm->slot_what = "KVM_SET_USER_MEMORY_REGION";
	int r = vm_add_slot(vm, 0, vm->low_ram_size, vm->ram, NULL);
	if (r == 0 && vm->ram_size > vm->low_ram_size)
		r = vm_add_slot(vm, VM_MMIO_GAP_END, vm->ram_size - vm->low_ram_size,
				vm->ram + vm->low_ram_size, NULL);
	vm->slot_errno = -r;
	return NULL;
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
		madvise(vm->ram, size, MADV_HUGEPAGE);
	}
	/* Guest RAM has no business in a core dump of the VMM. */
	madvise(vm->ram, size, MADV_DONTDUMP);

	int e = pthread_create(&vm->slot_thread, NULL, vm_memory_slots, vm);
	if (e != 0)
		return cell_error_errno(err, e, "guest memory: pthread_create");
	vm->slot_thread_running = true;
	return 0;
}

int vm_memory_wait(struct vm *vm, struct cell_error **err)
{
	if (!vm->slot_thread_running)
		return 0;
	pthread_join(vm->slot_thread, NULL);
	vm->slot_thread_running = false;
	if (vm->slot_errno)
		return cell_error_errno(err, vm->slot_errno, "%s", vm->slot_what);
	return 0;
}
