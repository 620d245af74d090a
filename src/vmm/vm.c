/* vm.c - creating the KVM VM (irqchip, PIT, memory) and the services devices ask of it. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vm.h"

/* Three pages below the IOAPIC that Intel's VMX needs for its real-mode TSS and identity map. */
#define VM_TSS_ADDR 0xfffbd000ULL
#define VM_IDENTITY_MAP_ADDR 0xfffbc000ULL

static int vm_open_kvm(struct vm *vm, struct cell_error **err)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return cell_error_errno(err, errno, "/dev/kvm");
	int v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return cell_error_set(err, ENOTSUP, "/dev/kvm: API version %d, expected %d", v,
				      KVM_API_VERSION);
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4;
	if (vm->cfg->cpus > (unsigned)max)
		return cell_error_set(err, EINVAL, "--cpus %u: KVM allows at most %d vCPUs",
				      vm->cfg->cpus, max);
	for (unsigned i = 0; i < 3; i++) {
		static const int caps[] = { KVM_CAP_IRQCHIP, KVM_CAP_IOEVENTFD, KVM_CAP_IRQFD };
		static const char *names[] = { "IRQCHIP", "IOEVENTFD", "IRQFD" };
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, caps[i]) <= 0)
			return cell_error_set(err, ENOTSUP, "/dev/kvm: lacks KVM_CAP_%s", names[i]);
	}
	return 0;
}

static int vm_create_platform(struct vm *vm, struct cell_error **err)
{
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return cell_error_errno(err, errno, "KVM_CREATE_VM");
	/* Only VMX needs these; on AMD they are accepted and ignored. */
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_ADDR) < 0)
		return cell_error_errno(err, errno, "KVM_SET_TSS_ADDR");
	uint64_t idmap = VM_IDENTITY_MAP_ADDR;
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 && errno != EINVAL)
		return cell_error_errno(err, errno, "KVM_SET_IDENTITY_MAP_ADDR");
	return 0;
}

int vm_create_irqchip(struct vm *vm, struct cell_error **err)
{
	/* RAM first: see vm_memory_register(). */
	int r = vm_memory_register(vm, err);
	if (r < 0)
		return r;
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return cell_error_errno(err, errno, "KVM_CREATE_IRQCHIP");
	return 0;
}

/*
 * The in-kernel PIT starts a kernel thread: ~1-2 ms, and up to tens of ms on a busy host. Nothing
 * the guest runs first needs it (Linux under our hardware-reduced ACPI never programs it; it takes
 * the TSC frequency from kvmclock), so it is made after the vCPUs start (main.c).
 */
int vm_create_pit(struct vm *vm, struct cell_error **err)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return cell_error_errno(err, errno, "KVM_CREATE_PIT2");
	return 0;
}

int vm_create(struct vm *vm, const struct vmm_config *cfg, struct cell_error **err)
{
	*vm = (struct vm){ .kvm_fd = -1,
			   .vm_fd = -1,
			   .stop_efd = -1,
			   .cfg = cfg,
			   .next_irq = VM_FIRST_VIRTIO_IRQ,
			   .next_mmio = VM_VIRTIO_MMIO_BASE };
	atomic_store(&vm->end, VM_END_RUNNING);
	sem_init(&vm->vcpu0_ready, 0, 0);
	sem_init(&vm->vcpu0_done, 0, 0);
	vm->loop.epfd = -1;
	int r = vm_open_kvm(vm, err);
	if (r < 0)
		return r;
	r = vm_create_platform(vm, err);
	if (r < 0)
		return r;
	r = vm_memory_init(vm, err);
	if (r < 0)
		return r;
	r = loop_init(&vm->loop, err);
	if (r < 0)
		return r;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return cell_error_errno(err, errno, "eventfd");
	return 0;
}

void vm_destroy(struct vm *vm)
{
	vcpus_stop(vm);
	free(vm->cpuid);
	vm->cpuid = NULL;
	loop_free(&vm->loop);
	iobus_free(&vm->pio);
	iobus_free(&vm->mmio);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->ram_map)
		munmap(vm->ram_map, vm->ram_map_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->ram_map = NULL;
	vm->vm_fd = vm->kvm_fd = vm->stop_efd = -1;
}

void vm_request_end(struct vm *vm, enum vm_end end, const char *fmt, ...)
{
	int expected = VM_END_RUNNING;

	if (!atomic_compare_exchange_strong(&vm->end, &expected, (int)end))
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->end_msg, sizeof(vm->end_msg), fmt, ap);
	va_end(ap);
	uint64_t one = 1;
	if (write(vm->stop_efd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow with one write per VM; nothing else can fail here. */
	}
}

int vm_irq_line(struct vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };
	return ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

int vm_irqfd(struct vm *vm, uint32_t gsi, int efd, struct cell_error **err)
{
	struct kvm_irqfd f = { .fd = (uint32_t)efd, .gsi = gsi };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &f) < 0)
		return cell_error_errno(err, errno, "KVM_IRQFD gsi %u", gsi);
	return 0;
}

int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, uint32_t flags, uint64_t value,
		 int efd, struct cell_error **err)
{
	struct kvm_ioeventfd io = {
		.datamatch = value,
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = flags,
	};
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return cell_error_errno(err, errno, "KVM_IOEVENTFD 0x%llx",
					(unsigned long long)addr);
	return 0;
}

int vm_alloc_mmio_device(struct vm *vm, const char *hid, uint64_t *ret_base, uint32_t *ret_irq,
			 struct cell_error **err)
{
	/* IOAPIC pins 5..23; 8 stays free for a CMOS RTC. */
	if (vm->nacpi_devs >= VM_MAX_ACPI_DEVS || vm->next_irq > 23)
		return cell_error_set(err, ENOSPC, "%s: no interrupt line left for another device",
				      hid);
	uint32_t irq = vm->next_irq++;
	if (irq == 8)
		irq = vm->next_irq++;
	uint64_t base = vm->next_mmio;
	vm->next_mmio += VM_VIRTIO_MMIO_SIZE;
	vm->acpi_devs[vm->nacpi_devs++] = (struct vm_acpi_dev){ hid, base, 0x200, irq };
	*ret_base = base;
	*ret_irq = irq;
	return 0;
}
