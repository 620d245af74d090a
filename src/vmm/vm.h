/* vm.h - one virtual machine: KVM handles, guest memory, buses, vCPUs and how the guest ended. */
#pragma once

#include <linux/kvm.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm-config.h"
#include "error.h"
#include "iobus.h"
#include "loop.h"

/* Guest physical layout (x86-64); see docs/vmm.md. */
#define VM_GDT_ADDR 0x500ULL
#define VM_BOOT_PARAMS_ADDR 0x7000ULL
#define VM_PML4_ADDR 0x9000ULL
#define VM_CMDLINE_ADDR 0x20000ULL
#define VM_CMDLINE_MAX 0x10000ULL
#define VM_EBDA_ADDR 0x9fc00ULL
#define VM_ACPI_ADDR 0xe0000ULL /* RSDP, then the other tables, up to 1 MiB */
#define VM_ACPI_END 0x100000ULL
#define VM_HIMEM_ADDR 0x100000ULL
#define VM_MMIO_GAP_START 0xc0000000ULL /* low RAM ends here at most */
#define VM_MMIO_GAP_END 0x100000000ULL
#define VM_VIRTIO_MMIO_BASE 0xd0000000ULL
#define VM_VIRTIO_MMIO_SIZE 0x1000ULL
#define VM_IOAPIC_ADDR 0xfec00000ULL
#define VM_LAPIC_ADDR 0xfee00000ULL

/* Port I/O of the platform devices. */
#define VM_SERIAL_PORT 0x3f8
#define VM_PCI_CONF_ADDR 0xcf8 /* PCI configuration mechanism 1's address port (no PCI here) */
#define VM_SERIAL_IRQ 4
#define VM_I8042_PORT 0x60
#define VM_ACPI_PM_PORT 0x600 /* sleep control, sleep status, reset: one byte each */
#define VM_ACPI_SLEEP_CTL (VM_ACPI_PM_PORT + 0)
#define VM_ACPI_SLEEP_STS (VM_ACPI_PM_PORT + 1)
#define VM_ACPI_RESET (VM_ACPI_PM_PORT + 2)
#define VM_ACPI_RESET_VALUE 0x1
#define VM_ACPI_S5_TYPE 5
#define VM_FIRST_VIRTIO_IRQ 5

/* How the guest ended; the process exit status is the enum value. */
enum vm_end {
	VM_END_RUNNING = -1,
	VM_END_POWEROFF = 0,
	VM_END_ERROR = 1, /* the VMM failed (host side) */
	VM_END_REBOOT = 2,
	VM_END_TRIPLE_FAULT = 3,
	VM_END_CRASH = 4, /* KVM could not run the guest (entry failure, internal error, panic) */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	bool inline_run; /* run by the thread that called vcpus_start() (vCPU 0) */
};

/* A device described to the guest in ACPI's DSDT. */
struct vm_acpi_dev {
	const char *hid; /* "LNRO0005" */
	uint64_t mmio_base;
	uint64_t mmio_len;
	uint32_t irq;
};

#define VM_MAX_ACPI_DEVS 32

struct vm {
	int kvm_fd;
	int vm_fd;
	uint8_t *ram;	     /* one host mapping of all guest RAM, low part first */
	size_t ram_map_size; /* bytes mapped at ram (may be larger than guest RAM, for alignment) */
	uint8_t *ram_map;    /* what mmap returned */
	uint64_t ram_size;   /* guest RAM in bytes */
	uint64_t low_ram_size; /* RAM below the MMIO gap, at guest-physical 0 */
	struct iobus pio;
	struct iobus mmio;
	struct loop loop;
	int stop_efd;
	struct vcpu *vcpus;
	unsigned ncpus;
	struct vm_acpi_dev acpi_devs[VM_MAX_ACPI_DEVS];
	unsigned nacpi_devs;
	unsigned next_irq;
	uint64_t next_mmio;
	int next_slot;
	struct kvm_cpuid2 *cpuid; /* KVM_GET_SUPPORTED_CPUID, fetched once (cpuid.c) */
	sem_t vcpu0_ready; /* posted by vCPU 0 just before its first KVM_RUN (or when it gave up) */
	sem_t vcpu0_done;  /* posted by the thread running vCPU 0 when vcpu_run() returned */
	/* CELLVM_TRACE_START: CLOCK_MONOTONIC ns at which vCPU 0 started, entered KVM_RUN, first exited */
	bool trace;
	uint64_t trace_vcpu[3];
	_Atomic int end;
	char end_msg[256];
	const struct vmm_config *cfg;
	void *devices; /* devices.c's state */
};

/* Open /dev/kvm, create the VM and map (not register) guest RAM, the loop and the stop eventfd. */
int vm_create(struct vm *vm, const struct vmm_config *cfg, struct cell_error **err);
/* Register guest RAM with KVM, then create the in-kernel PIC, IOAPIC and LAPICs. */
int vm_create_irqchip(struct vm *vm, struct cell_error **err);
/* The in-kernel PIT (may run while vCPUs run). */
int vm_create_pit(struct vm *vm, struct cell_error **err);
void vm_destroy(struct vm *vm);

/* Guest memory: a host pointer for [gpa, gpa+len) inside RAM, or NULL (checked, no overflow). */
void *vm_gpa_to_hva(const struct vm *vm, uint64_t gpa, uint64_t len);
/* Map guest RAM (no KVM call), and register it as memslots. */
int vm_memory_init(struct vm *vm, struct cell_error **err);
int vm_memory_register(struct vm *vm, struct cell_error **err);

/* Record how the guest ended (first caller wins) and wake the main loop to stop the vCPUs. */
void vm_request_end(struct vm *vm, enum vm_end end, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Interrupt line to the in-kernel IOAPIC (level 1/0; an edge is 1 then 0). */
int vm_irq_line(struct vm *vm, uint32_t gsi, int level);
/* An eventfd that raises gsi when written (KVM_IRQFD). */
int vm_irqfd(struct vm *vm, uint32_t gsi, int efd, struct cell_error **err);
/*
 * An eventfd that KVM signals on a guest write of len bytes to addr, instead of an exit to us;
 * flags: KVM_IOEVENTFD_FLAG_DATAMATCH (only writes of value), KVM_IOEVENTFD_FLAG_PIO (a port).
 */
int vm_ioeventfd(struct vm *vm, uint64_t addr, uint32_t len, uint32_t flags, uint64_t value,
		 int efd, struct cell_error **err);
/* Allocate a virtio-mmio window and an IRQ, and list the device in the DSDT. */
int vm_alloc_mmio_device(struct vm *vm, const char *hid, uint64_t *ret_base, uint32_t *ret_irq,
			 struct cell_error **err);

/* vcpu.c */
int vcpus_create(struct vm *vm, struct cell_error **err);
/* Threads for vCPUs 1..N-1; vCPU 0 is the caller's to run with vcpu_run() (then post vcpu0_done). */
int vcpus_start(struct vm *vm, struct cell_error **err);
/* Run a vCPU until the guest ends (the thread body; vCPU 0 runs on the main thread). */
void vcpu_run(struct vcpu *v);
/* Wait until vCPU 0 is about to enter the guest (or has failed to). */
void vcpus_wait_running(struct vm *vm);
/* Make every started vCPU leave KVM_RUN (recording an end first if there is none), then wait. */
void vcpus_kick(struct vm *vm);
void vcpus_join(struct vm *vm);
/* Kick, join and free the vCPUs. */
void vcpus_stop(struct vm *vm);
