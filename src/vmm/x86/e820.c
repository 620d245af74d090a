/* e820.c - the BIOS memory map handed to the kernel: RAM around the legacy hole and the MMIO gap. */
#include "vm.h"
#include "x86/x86.h"

static unsigned e820_add(struct e820_entry_x *out, unsigned n, unsigned max, uint64_t addr,
			 uint64_t size, uint32_t type)
{
	if (n < max && size > 0)
		out[n++] = (struct e820_entry_x){ addr, size, type };
	return n;
}

unsigned e820_build(uint64_t ram_size, struct e820_entry_x *out, unsigned max)
{
	uint64_t low = ram_size < VM_MMIO_GAP_START ? ram_size : VM_MMIO_GAP_START;
	unsigned n = 0;

	/* Conventional memory up to the EBDA; the EBDA, VGA hole and BIOS area (our ACPI tables). */
	n = e820_add(out, n, max, 0, VM_EBDA_ADDR, E820_T_RAM);
	n = e820_add(out, n, max, VM_EBDA_ADDR, VM_HIMEM_ADDR - VM_EBDA_ADDR, E820_T_RESERVED);
	if (low > VM_HIMEM_ADDR)
		n = e820_add(out, n, max, VM_HIMEM_ADDR, low - VM_HIMEM_ADDR, E820_T_RAM);
	if (ram_size > low)
		n = e820_add(out, n, max, VM_MMIO_GAP_END, ram_size - low, E820_T_RAM);
	return n;
}
