/* devices.c - the explicit, ordered table of devices, and the host services virtio devices use. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices.h"
#include "devices/platform.h"
#include "devices/serial.h"
#include "virtio.h"
#include "vm.h"

#define MAX_VIRTIO 16

struct devices {
	struct serial serial;
	struct virtio_host host;
	struct virtio_mmio *virtio[MAX_VIRTIO];
	unsigned nvirtio;
	bool stdin_watched;
	int pci_sink; /* eventfd swallowing PCI address writes, see dev_platform() */
};

/* ---- struct virtio_host over this VM ---- */

static void *host_translate(void *opaque, uint64_t gpa, uint64_t len)
{
	return vm_gpa_to_hva(opaque, gpa, len);
}

static int host_mmio_register(void *opaque, uint64_t base, uint64_t len, virtio_mmio_fn fn,
			      void *dev, struct cell_error **err)
{
	struct vm *vm = opaque;
	return iobus_register(&vm->mmio, base, len, fn, dev, "virtio-mmio", err);
}

static void host_mmio_unregister(void *opaque, uint64_t base, uint64_t len)
{
	struct vm *vm = opaque;
	iobus_unregister(&vm->mmio, base);
}

static int host_irqfd_register(void *opaque, int fd, uint32_t gsi, struct cell_error **err)
{
	return vm_irqfd(opaque, gsi, fd, err);
}

static void host_irqfd_unregister(void *opaque, int fd, uint32_t gsi)
{
	struct vm *vm = opaque;
	struct kvm_irqfd f = { .fd = (uint32_t)fd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };
	ioctl(vm->vm_fd, KVM_IRQFD, &f);
}

static void host_irq_raise(void *opaque, uint32_t gsi)
{
	vm_irq_line(opaque, gsi, 1);
	vm_irq_line(opaque, gsi, 0);
}

static int host_ioeventfd_register(void *opaque, uint64_t gpa, uint32_t len, uint64_t datamatch,
				   int fd, struct cell_error **err)
{
	return vm_ioeventfd(opaque, gpa, len, KVM_IOEVENTFD_FLAG_DATAMATCH, datamatch, fd, err);
}

static void host_ioeventfd_unregister(void *opaque, uint64_t gpa, uint32_t len, uint64_t datamatch,
				      int fd)
{
	struct vm *vm = opaque;
	struct kvm_ioeventfd io = { .datamatch = datamatch,
				    .addr = gpa,
				    .len = len,
				    .fd = fd,
				    .flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
					     KVM_IOEVENTFD_FLAG_DEASSIGN };
	ioctl(vm->vm_fd, KVM_IOEVENTFD, &io);
}

static int host_loop_add(void *opaque, int fd, uint32_t events, virtio_loop_fn fn, void *data,
			 struct cell_error **err)
{
	struct vm *vm = opaque;
	return loop_add(&vm->loop, fd, events, fn, data, err);
}

static int host_loop_mod(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	return loop_modify(&vm->loop, fd, events);
}

static void host_loop_del(void *opaque, int fd)
{
	struct vm *vm = opaque;
	loop_remove(&vm->loop, fd);
}

/* ---- platform devices ---- */

static void serial_set_irq(void *opaque, int level)
{
	vm_irq_line(opaque, VM_SERIAL_IRQ, level);
}

static void stdin_ready(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	struct devices *d = vm->devices;
	uint8_t buf[64];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		serial_receive(&d->serial, buf, (unsigned)n);
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* EOF on stdin: stop watching, the guest just gets no more input. */
		loop_remove(&vm->loop, fd);
	}
}

static int dev_serial(struct vm *vm, struct devices *d, struct cell_error **err)
{
	serial_init(&d->serial, vm->cfg->console == VMM_CONSOLE_SERIAL ? STDOUT_FILENO : -1,
		    serial_set_irq, vm);
	int r = iobus_register(&vm->pio, VM_SERIAL_PORT, 8, serial_io, &d->serial, "serial", err);
	if (r < 0 || vm->cfg->console != VMM_CONSOLE_SERIAL)
		return r;
	/* Input only from something pollable (a tty or pipe); /dev/null and files are skipped. */
	struct stat st;
	if (fstat(STDIN_FILENO, &st) == 0 &&
	    (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		struct cell_error *e = NULL;
		if (loop_add(&vm->loop, STDIN_FILENO, EPOLLIN, stdin_ready, vm, &e) == 0)
			d->stdin_watched = true;
		cell_error_free(e);
	}
	return 0;
}

static int dev_platform(struct vm *vm, struct devices *d, struct cell_error **err)
{
	int r = iobus_register(&vm->pio, 0x64, 1, i8042_io, vm, "i8042", err);
	if (r >= 0)
		r = iobus_register(&vm->pio, 0x60, 1, i8042_io, vm, "i8042-data", err);
	if (r >= 0)
		r = iobus_register(&vm->pio, VM_ACPI_PM_PORT, 3, acpi_pm_io, vm, "acpi-pm", err);
	if (r < 0)
		return r;
	/*
	 * There is no PCI, but Linux's early quirks and AMD bus probe still walk bus 0 through
	 * configuration mechanism 1 (~115 address writes to 0xcf8 per boot, each a round trip to
	 * this process: ~180 us nested). KVM swallows those writes into an eventfd nobody reads
	 * (its counter saturates harmlessly); the data reads at 0xcfc still exit and see all ones,
	 * "no device", exactly as before.
	 */
	d->pci_sink = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (d->pci_sink < 0)
		return cell_error_errno(err, errno, "eventfd");
	return vm_ioeventfd(vm, VM_PCI_CONF_ADDR, 4, KVM_IOEVENTFD_FLAG_PIO, 0, d->pci_sink, err);
}

/* ---- virtio devices ---- */

static int virtio_attach(struct vm *vm, struct devices *d, struct virtio_dev *vdev,
			 struct cell_error **err)
{
	uint64_t base;
	uint32_t irq;
	if (d->nvirtio >= MAX_VIRTIO) {
		virtio_dev_free(vdev);
		return cell_error_set(err, ENOSPC, "too many virtio devices");
	}
	int r = vm_alloc_mmio_device(vm, "LNRO0005", &base, &irq, err);
	if (r < 0) {
		virtio_dev_free(vdev);
		return r;
	}
	return virtio_mmio_create(vdev, base, irq, &d->virtio[d->nvirtio++], err);
}

static int dev_virtio(struct vm *vm, struct devices *d, struct cell_error **err)
{
	const struct vmm_config *cfg = vm->cfg;
	struct virtio_dev *vdev;
	int r;

	for (unsigned i = 0; i < cfg->ndisks; i++) {
		r = virtio_blk_create(&d->host, cfg->disks[i].path, cfg->disks[i].readonly, NULL,
				      &vdev, err);
		if (r < 0 || (r = virtio_attach(vm, d, vdev, err)) < 0)
			return r;
	}
	if (cfg->net_tap) {
		uint8_t mac[6];
		if (cfg->net_mac && (r = virtio_net_parse_mac(cfg->net_mac, mac, err)) < 0)
			return r;
		r = virtio_net_create(&d->host, cfg->net_tap, cfg->net_mac ? mac : NULL, &vdev,
				      err);
		if (r < 0 || (r = virtio_attach(vm, d, vdev, err)) < 0)
			return r;
	}
	if (cfg->console == VMM_CONSOLE_VIRTIO) {
		int in = -1;
		struct stat st;
		if (fstat(STDIN_FILENO, &st) == 0 &&
		    (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
			in = STDIN_FILENO;
			fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
		}
		r = virtio_console_create(&d->host, in, STDOUT_FILENO, &vdev, err);
		if (r < 0 || (r = virtio_attach(vm, d, vdev, err)) < 0)
			return r;
	}
	if (cfg->rng) {
		r = virtio_rng_create(&d->host, &vdev, err);
		if (r < 0 || (r = virtio_attach(vm, d, vdev, err)) < 0)
			return r;
	}
	return 0;
}

/* The order here is the order devices appear to the guest (DSDT, IRQs, MMIO windows). */
static int (*const device_table[])(struct vm *, struct devices *, struct cell_error **) = {
	dev_serial,
	dev_platform,
	dev_virtio,
};

int devices_create(struct vm *vm, struct cell_error **err)
{
	struct devices *d = calloc(1, sizeof(*d));
	if (!d)
		return cell_error_set(err, ENOMEM, "devices: out of memory");
	vm->devices = d;
	d->pci_sink = -1;
	d->host = (struct virtio_host){
		.opaque = vm,
		.translate = host_translate,
		.mmio_register = host_mmio_register,
		.mmio_unregister = host_mmio_unregister,
		.irqfd_register = host_irqfd_register,
		.irqfd_unregister = host_irqfd_unregister,
		.irq_raise = host_irq_raise,
		.ioeventfd_register = host_ioeventfd_register,
		.ioeventfd_unregister = host_ioeventfd_unregister,
		.loop_add = host_loop_add,
		.loop_mod = host_loop_mod,
		.loop_del = host_loop_del,
	};
	for (size_t i = 0; i < sizeof(device_table) / sizeof(device_table[0]); i++) {
		int r = device_table[i](vm, d, err);
		if (r < 0)
			return r;
	}
	return 0;
}

void devices_destroy(struct vm *vm)
{
	struct devices *d = vm->devices;
	if (!d)
		return;
	for (unsigned i = 0; i < d->nvirtio; i++)
		virtio_mmio_destroy(d->virtio[i]);
	if (d->stdin_watched)
		loop_remove(&vm->loop, STDIN_FILENO);
	if (d->pci_sink >= 0)
		close(d->pci_sink);
	free(d);
	vm->devices = NULL;
}
