/* x86.h - x86-64 specifics: boot protocols, CPU state, CPUID, MSRs, e820 and ACPI tables. */
#pragma once

#include <elf.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct vm;
struct vcpu;

enum boot_mode {
	BOOT_MODE_LONG64, /* bzImage 64-bit entry: long mode, paging, RSI = boot_params */
	BOOT_MODE_PVH,	  /* 32-bit protected mode, paging off, EBX = hvm_start_info */
	BOOT_MODE_REAL,	  /* a raw real-mode image at CS:IP = 0x1000:0 (tests, start-up bench) */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t ip;
	uint64_t arg;
};

/* The size of the kernel image in memory must not overlap these (guest-physical). */
struct boot_image {
	const uint8_t *data;
	size_t size;
};

/* Load the kernel named by the config (bzImage or ELF vmlinux with a PVH note) and its initrd. */
int boot_load(struct vm *vm, struct boot_entry *ret, struct cell_error **err);
/* head: the file's first BOOT_HEAD_SIZE bytes (fewer if it is shorter); size: the file's. */
#define BOOT_HEAD_SIZE 4096
int boot_load_bzimage(struct vm *vm, const uint8_t *head, size_t size, int fd,
		      struct boot_entry *ret, struct cell_error **err);
int boot_read_at(int fd, void *dst, size_t len, uint64_t off, const char *path,
		 struct cell_error **err);
int boot_map_fd(int fd, size_t size, const char *path, const uint8_t **ret,
		struct cell_error **err);
int boot_load_pvh(struct vm *vm, const uint8_t *img, size_t size, uint64_t cmdline_max,
		  struct boot_entry *ret, struct cell_error **err);
/* Pick the initrd's guest-physical address: page-aligned, as high as allowed, above min_addr. */
int boot_place_initrd(uint64_t ram_top, uint64_t max_addr, uint64_t min_addr, uint64_t size,
		      uint64_t *ret_addr);

/* Checks on a bzImage's setup header, without /dev/kvm (unit-tested with crafted headers). */
struct bzimage_info {
	uint16_t version;
	uint32_t setup_size;  /* bytes before the protected-mode kernel */
	uint32_t kernel_size; /* bytes of protected-mode kernel in the file */
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;
	uint32_t kernel_alignment;
	uint16_t xloadflags;
};
int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *ret,
		  struct cell_error **err);

/* The compressed kernel inside a bzImage (header fields of protocol 2.08+); -ENOENT if none. */
int bzimage_payload(const uint8_t *img, size_t size, const struct bzimage_info *info,
		    const uint8_t **ret, size_t *ret_len);
/* Unpack an LZ4 legacy frame of at most max bytes (boot-unpack.c); munmap() the result. */
int boot_unpack_lz4(const uint8_t *in, size_t len, size_t max, uint8_t **ret, size_t *ret_len);
/*
 * Unpack an LZ4 legacy frame holding an ELF kernel straight into guest RAM (ram: guest-physical 0
 * up to ram_size), each PT_LOAD segment at its physical address; ret: the PVH entry and the end of
 * the highest segment. -ENOENT: not LZ4, or no PVH note (RAM left zeroed); -ENOTSUP: a segment
 * layout this one pass cannot place (use boot_unpack_lz4()); -EINVAL: corrupt or truncated.
 */
#define UNPACK_MAX_PHDRS 16
struct unpack_result {
	uint64_t entry, end;
	uint64_t virt_delta; /* the virtual offset applied (0 without a relocation table) */
};
int boot_unpack_lz4_elf(const uint8_t *in, size_t len, uint8_t *ram, uint64_t ram_size,
			struct unpack_result *ret);
/*
 * The same, for the 64-bit entry with KASLR (boot-kaslr.c): segments phys_shift higher than
 * linked, virt_delta applied with the relocation table that follows the ELF (none: virt_delta
 * is not applied). ret->entry: the ELF's entry (startup_64), shifted. -ENOTSUP as above; -EINVAL
 * also for a corrupt relocation table or an entry outside the segments. No PVH note needed.
 */
struct kaslr_choice {
	uint64_t phys_shift, virt_delta;
};
int boot_unpack_lz4_kaslr(const uint8_t *in, size_t len, uint8_t *ram, uint64_t ram_size,
			  const struct kaslr_choice *k, struct unpack_result *ret);

#define KASLR_KERNEL_MAP 0xffffffff80000000ULL /* __START_KERNEL_map */
/* KASLR (boot-kaslr.c). The placement: the image (footprint bytes) from link_phys + phys_shift. */
struct kaslr_range {
	uint64_t link_phys; /* LOAD_PHYSICAL_ADDR: the setup header's pref_address */
	uint64_t align;	    /* kernel_alignment (at least 2 MiB is used) */
	uint64_t footprint; /* bytes from the base the kernel and the unpacking need */
	uint64_t top;	    /* the end of the memory the footprint may use */
};
/* rnd_*: random numbers; -ENOSPC when the image does not fit at its link address either. */
int kaslr_choose(const struct kaslr_range *in, uint64_t rnd_phys, uint64_t rnd_virt,
		 struct kaslr_choice *ret);
/* 1 if the command line has the word nokaslr. */
bool kaslr_cmdline_off(const char *cmdline);
/*
 * Add delta to every location the table lists: file holds the unpacked stream (total bytes), the
 * table runs from offset `table` to the end; ph: the segments, p_paddr shift above the link
 * address. -ENOENT: no table; -EINVAL: a location outside the segments' file data or no terminator
 * (nothing is changed then).
 */
int kaslr_relocate(uint8_t *file, uint64_t total, uint64_t table, const Elf64_Phdr *ph, unsigned n,
		   uint64_t shift, uint64_t delta);
/* The PHYS32_ENTRY of a PVH note segment, 0 when there is none (boot-pvh.c). */
uint64_t pvh_note_entry(const uint8_t *p, uint64_t len);
/* The rest of a PVH boot once the segments are in place: command line, initrd, hvm_start_info. */
int boot_pvh_finish(struct vm *vm, uint64_t entry, uint64_t end, uint64_t cmdline_max,
		    struct boot_entry *ret, struct cell_error **err);
/* 1 if img is an x86-64 ELF with a PVH entry note, else 0 (nothing is loaded). */
int boot_pvh_probe(const uint8_t *img, size_t size);

/* e820 */
struct e820_entry_x {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));
#define E820_T_RAM 1
#define E820_T_RESERVED 2
#define E820_MAX 8
/* The map for ram_size bytes (low part below the MMIO gap, rest at 4 GiB); returns entries. */
unsigned e820_build(uint64_t ram_size, struct e820_entry_x *out, unsigned max);

/* ACPI: write RSDP, XSDT, FADT, MADT and DSDT into guest memory at VM_ACPI_ADDR. */
int acpi_build(struct vm *vm, struct cell_error **err);
/* Build tables into buf (guest address base); returns bytes used or -ENOSPC. For unit tests. */
struct vm_acpi_dev;
long acpi_build_tables(uint8_t *buf, size_t size, uint64_t base, unsigned ncpus,
		       const struct vm_acpi_dev *devs, unsigned ndevs);
uint8_t acpi_checksum(const void *p, size_t len);

/* Per-vCPU state; cpuid_fetch() asks KVM for its supported CPUID once (cpuid_setup() does if not). */
int cpuid_fetch(struct vm *vm, struct cell_error **err);
int cpuid_setup(struct vm *vm, struct vcpu *v, struct cell_error **err);
int msr_setup(struct vm *vm, struct vcpu *v, struct cell_error **err);
int regs_setup_bsp(struct vm *vm, struct vcpu *v, const struct boot_entry *e,
		   struct cell_error **err);
int regs_setup_fpu(struct vcpu *v, struct cell_error **err);
/* Identity-map the first 4 GiB with 2 MiB pages and write the boot GDT. */
int regs_write_page_tables(struct vm *vm, struct cell_error **err);
int boot_load_initrd(struct vm *vm, uint64_t max_addr, uint64_t min_addr, uint64_t *ret_addr,
		     uint64_t *ret_size, struct cell_error **err);
int boot_write_cmdline(struct vm *vm, uint64_t max_len, struct cell_error **err);
