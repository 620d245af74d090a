/* boot-kaslr.c - KASLR for a kernel cellvm unpacks: the random placement and the relocation pass. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "x86/x86.h"

/*
 * What the kernel's decompressor does before jumping to the kernel proper, done here instead:
 * pick a physical base (any multiple of the kernel's alignment where the image fits) and a virtual
 * offset (the same alignment, the image staying inside the 1 GiB kernel image region), and apply
 * the virtual offset with the relocation table the kernel's build appends to vmlinux.bin. The
 * kernel proper works out the physical delta by itself (head64.c: it compares where it runs with
 * where its relocated _text says it was linked) and fixes its own page tables.
 */

#define KERNEL_MAP KASLR_KERNEL_MAP
#define KERNEL_IMAGE_SIZE (1ULL << 30) /* with RANDOMIZE_BASE */
#define KASLR_MIN_ALIGN (2ULL << 20)   /* the kernel's own page tables map 2 MiB pages */

bool kaslr_cmdline_off(const char *cmdline)
{
	for (const char *p = cmdline ? cmdline : ""; (p = strstr(p, "nokaslr")); p += 7) {
		bool start = p == cmdline || p[-1] == ' ';
		bool end = p[7] == '\0' || p[7] == ' ';
		if (start && end)
			return true;
	}
	return false;
}

int kaslr_choose(const struct kaslr_range *in, uint64_t rnd_phys, uint64_t rnd_virt,
		 struct kaslr_choice *ret)
{
	uint64_t align = in->align < KASLR_MIN_ALIGN ? KASLR_MIN_ALIGN : in->align;
	*ret = (struct kaslr_choice){ 0 };
	if (align & (align - 1) || in->link_phys & (KASLR_MIN_ALIGN - 1))
		return -EINVAL;
	if (in->footprint > in->top || in->link_phys > in->top - in->footprint)
		return -ENOSPC;
	/* Physical: from the link address (the decompressor's lower bound too) up to top. */
	uint64_t base = (in->link_phys + align - 1) & ~(align - 1);
	uint64_t last = (in->top - in->footprint) & ~(align - 1);
	if (base <= last)
		ret->phys_shift =
			base + rnd_phys % ((last - base) / align + 1) * align - in->link_phys;
	/* Virtual: __START_KERNEL_map + link_phys + delta + footprint within the 1 GiB region. */
	if (in->link_phys + in->footprint <= KERNEL_IMAGE_SIZE) {
		uint64_t room = KERNEL_IMAGE_SIZE - in->link_phys - in->footprint;
		ret->virt_delta = rnd_virt % (room / align + 1) * align;
	}
	return 0;
}

/* The file offset of the width bytes at link address va, inside a segment's file data; or -1. */
static int64_t kaslr_locate(const Elf64_Phdr *ph, unsigned n, uint64_t shift, uint64_t va,
			    unsigned width)
{
	for (unsigned i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || ph[i].p_filesz < width)
			continue;
		/* Link addresses: the per-CPU segment's p_vaddr is 0-based, its p_paddr is not. */
		uint64_t seg = ph[i].p_paddr - shift + KERNEL_MAP;
		if (va >= seg && va - seg <= ph[i].p_filesz - width)
			return (int64_t)(ph[i].p_offset + (va - seg));
	}
	return -1;
}

/*
 * One pass over the table, from its end: 32-bit, then inverse 32-bit, then 64-bit relocations,
 * each list ending at a zero entry; each entry is a location's link address, sign-extended from
 * 32 bits. With apply false it only checks (so a corrupt table changes nothing).
 */
static int kaslr_walk(uint8_t *file, uint64_t total, uint64_t table, const Elf64_Phdr *ph,
		      unsigned n, uint64_t shift, uint64_t delta, bool apply)
{
	static const unsigned width[3] = { 4, 4, 8 };
	uint64_t pos = total;
	for (unsigned list = 0; list < 3; list++) {
		for (;;) {
			if (pos < table + 4)
				return -EINVAL; /* ran into the ELF: no terminator */
			pos -= 4;
			int32_t e;
			memcpy(&e, file + pos, 4);
			if (e == 0)
				break;
			int64_t at = kaslr_locate(ph, n, shift, (uint64_t)(int64_t)e, width[list]);
			if (at < 0)
				return -EINVAL;
			if (!apply)
				continue;
			uint8_t *p = file + at;
			if (list == 2) {
				uint64_t v;
				memcpy(&v, p, 8);
				v += delta;
				memcpy(p, &v, 8);
			} else {
				uint32_t v;
				memcpy(&v, p, 4);
				v = list == 0 ? v + (uint32_t)delta : v - (uint32_t)delta;
				memcpy(p, &v, 4);
			}
		}
	}
	return 0;
}

int kaslr_relocate(uint8_t *file, uint64_t total, uint64_t table, const Elf64_Phdr *ph, unsigned n,
		   uint64_t shift, uint64_t delta)
{
	if (table >= total)
		return -ENOENT; /* no table: the kernel is not relocatable */
	int r = kaslr_walk(file, total, table, ph, n, shift, delta, false);
	if (r == 0 && delta)
		r = kaslr_walk(file, total, table, ph, n, shift, delta, true);
	return r;
}
