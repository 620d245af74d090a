/* boot-pvh.c - the PVH entry of an uncompressed ELF vmlinux: segments, hvm_start_info, 32-bit entry. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "vm.h"
#include "x86/x86.h"

#define HVM_START_MAGIC 0x336ec578
#define PVH_START_INFO_ADDR VM_BOOT_PARAMS_ADDR
#define PVH_MEMMAP_ADDR (VM_BOOT_PARAMS_ADDR + 0x100)
#define PVH_MODLIST_ADDR (VM_BOOT_PARAMS_ADDR + 0x300)

struct hvm_start_info_x {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry_x {
	uint64_t addr, size;
	uint32_t type, reserved;
};

struct hvm_modlist_entry_x {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

/* The program headers of an x86-64 ELF, bounds-checked; NULL if it is not one. */
static const Elf64_Phdr *pvh_phdrs(const uint8_t *img, size_t size, unsigned *ret_n)
{
	const Elf64_Ehdr *eh = (const void *)img;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return NULL;
	*ret_n = eh->e_phnum;
	return (const void *)(img + eh->e_phoff);
}

int boot_pvh_probe(const uint8_t *img, size_t size)
{
	unsigned n;
	const Elf64_Phdr *ph = pvh_phdrs(img, size, &n);
	for (unsigned i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_NOTE && ph[i].p_offset <= size &&
		    ph[i].p_filesz <= size - ph[i].p_offset &&
		    pvh_note_entry(img + ph[i].p_offset, ph[i].p_filesz))
			return 1;
	return 0;
}

static int pvh_load_segments(struct vm *vm, const uint8_t *img, size_t size, uint64_t *ret_entry,
			     uint64_t *ret_end, struct cell_error **err)
{
	unsigned nph;
	const Elf64_Phdr *ph = pvh_phdrs(img, size, &nph);
	if (!ph)
		return cell_error_set(err, ENOEXEC,
				      "not an x86-64 ELF kernel (or truncated program headers)");
	*ret_entry = 0;
	*ret_end = 0;
	for (unsigned i = 0; i < nph; i++) {
		const Elf64_Phdr *p = &ph[i];
		if (p->p_offset > size || p->p_filesz > size - p->p_offset)
			return cell_error_set(err, ENOEXEC, "truncated: segment %u past the file",
					      i);
		if (p->p_type == PT_NOTE && !*ret_entry)
			*ret_entry = pvh_note_entry(img + p->p_offset, p->p_filesz);
		if (p->p_type != PT_LOAD)
			continue;
		uint8_t *dst = vm_gpa_to_hva(vm, p->p_paddr, p->p_memsz);
		if (!dst || p->p_filesz > p->p_memsz)
			return cell_error_set(
				err, ENOMEM, "segment %u at 0x%llx+0x%llx is outside guest memory",
				i, (unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz);
		memcpy(dst, img + p->p_offset, p->p_filesz);
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		if (p->p_paddr + p->p_memsz > *ret_end)
			*ret_end = p->p_paddr + p->p_memsz;
	}
	if (!*ret_entry)
		return cell_error_set(err, ENOEXEC, "ELF kernel without a PVH entry note");
	return 0;
}

int boot_load_pvh(struct vm *vm, const uint8_t *img, size_t size, uint64_t cmdline_max,
		  struct boot_entry *ret, struct cell_error **err)
{
	uint64_t entry = 0, end = 0;
	int r = pvh_load_segments(vm, img, size, &entry, &end, err);
	if (r < 0)
		return cell_error_wrap(err, "kernel %s", vm->cfg->kernel);
	return boot_pvh_finish(vm, entry, end, cmdline_max, ret, err);
}

int boot_pvh_finish(struct vm *vm, uint64_t entry, uint64_t end, uint64_t cmdline_max,
		    struct boot_entry *ret, struct cell_error **err)
{
	int r = boot_write_cmdline(vm, cmdline_max, err);
	if (r < 0)
		return r;
	uint64_t initrd, initrd_size;
	r = boot_load_initrd(vm, 0xffffffffULL, (end + 0xfff) & ~0xfffULL, &initrd, &initrd_size,
			     err);
	if (r < 0)
		return r;

	struct hvm_start_info_x *si = vm_gpa_to_hva(vm, PVH_START_INFO_ADDR, sizeof(*si));
	struct hvm_memmap_entry_x *mm = vm_gpa_to_hva(vm, PVH_MEMMAP_ADDR, E820_MAX * sizeof(*mm));
	struct hvm_modlist_entry_x *mod = vm_gpa_to_hva(vm, PVH_MODLIST_ADDR, sizeof(*mod));
	struct e820_entry_x map[E820_MAX];
	unsigned n = e820_build(vm->ram_size, map, E820_MAX);
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_entry_x){ map[i].addr, map[i].size, map[i].type, 0 };
	*si = (struct hvm_start_info_x){
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = VM_CMDLINE_ADDR,
		.rsdp_paddr = VM_ACPI_ADDR,
		.memmap_paddr = PVH_MEMMAP_ADDR,
		.memmap_entries = n,
	};
	if (initrd_size) {
		*mod = (struct hvm_modlist_entry_x){ .paddr = initrd, .size = initrd_size };
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST_ADDR;
	}
	*ret = (struct boot_entry){ .mode = BOOT_MODE_PVH,
				    .ip = entry,
				    .arg = PVH_START_INFO_ADDR };
	return 0;
}
