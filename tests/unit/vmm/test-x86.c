/* test-x86.c - e820 maps, initrd placement, bzImage header checks and ACPI table layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vm.h"
#include "x86/x86.h"

static uint64_t e820_ram(const struct e820_entry_x *m, unsigned n)
{
	uint64_t t = 0;
	for (unsigned i = 0; i < n; i++)
		if (m[i].type == E820_T_RAM)
			t += m[i].size;
	return t;
}

static void test_e820_small(void **state)
{
	struct e820_entry_x m[E820_MAX];
	unsigned n = e820_build(128ULL << 20, m, E820_MAX);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].addr, 0);
	assert_int_equal(m[0].size, VM_EBDA_ADDR);
	assert_int_equal(m[1].type, E820_T_RESERVED);
	assert_int_equal(m[2].addr, 0x100000);
	assert_int_equal(m[2].addr + m[2].size, 128ULL << 20);
	assert_int_equal(e820_ram(m, n), (128ULL << 20) - (0x100000 - VM_EBDA_ADDR));
}

static void test_e820_above_gap(void **state)
{
	struct e820_entry_x m[E820_MAX];
	unsigned n = e820_build(4ULL << 30, m, E820_MAX);
	assert_int_equal(n, 4);
	assert_int_equal(m[2].addr + m[2].size, VM_MMIO_GAP_START);
	assert_int_equal(m[3].addr, 1ULL << 32);
	assert_int_equal(m[3].size, (4ULL << 30) - VM_MMIO_GAP_START);
	/* No entry overlaps the next, and nothing lands in the MMIO gap. */
	for (unsigned i = 0; i + 1 < n; i++)
		assert_true(m[i].addr + m[i].size <= m[i + 1].addr);
}

static void test_initrd_placement(void **state)
{
	uint64_t a;
	assert_int_equal(boot_place_initrd(128 << 20, 0x37ffffff, 40 << 20, 5000, &a), 0);
	assert_int_equal(a % 4096, 0);
	assert_true(a + 5000 <= (128 << 20));
	assert_true(a >= (40 << 20));
	/* The kernel's limit wins over the top of RAM. */
	assert_int_equal(boot_place_initrd(2ULL << 30, 0x37ffffff, 40 << 20, 4096, &a), 0);
	assert_true(a + 4096 <= 0x38000000ULL);
	/* Does not fit between the kernel and the top. */
	assert_int_equal(boot_place_initrd(64 << 20, 0x37ffffff, 40 << 20, 30 << 20, &a), -ENOSPC);
	assert_int_equal(boot_place_initrd(64 << 20, 0x37ffffff, 0, 0, &a), -ENOSPC);
	assert_int_equal(boot_place_initrd(64 << 20, 0x37ffffff, 0, 65 << 20, &a), -ENOSPC);
}

/* A minimal, valid-looking bzImage: setup header fields at their documented offsets. */
static uint8_t *make_bzimage(size_t *size, uint16_t version, uint16_t xlf)
{
	*size = 5 * 512 + 4096;
	uint8_t *b = calloc(1, *size);
	b[0x1f1] = 4; /* setup_sects */
	uint32_t syssize = 4096 / 16;
	memcpy(b + 0x1f4, &syssize, 4);
	b[0x1fe] = 0x55;
	b[0x1ff] = 0xaa;
	b[0x201] = 0x6a; /* jump: header runs to 0x26c */
	memcpy(b + 0x202, "HdrS", 4);
	memcpy(b + 0x206, &version, 2);
	b[0x211] = 1; /* LOADED_HIGH */
	uint32_t initrd_max = 0x7fffffff, align = 0x200000, cmdline = 2047, init = 0x1000000;
	memcpy(b + 0x22c, &initrd_max, 4);
	memcpy(b + 0x230, &align, 4);
	memcpy(b + 0x236, &xlf, 2);
	memcpy(b + 0x238, &cmdline, 4);
	uint64_t pref = 0x1000000;
	memcpy(b + 0x258, &pref, 8);
	memcpy(b + 0x260, &init, 4);
	return b;
}

static void test_bzimage_ok(void **state)
{
	size_t size;
	uint8_t *b = make_bzimage(&size, 0x20f, 1);
	struct bzimage_info info;
	assert_int_equal(bzimage_parse(b, size, &info, NULL), 0);
	assert_int_equal(info.version, 0x20f);
	assert_int_equal(info.setup_size, 5 * 512);
	assert_int_equal(info.kernel_size, 4096);
	assert_int_equal(info.pref_address, 0x1000000);
	assert_int_equal(info.init_size, 0x1000000);
	assert_int_equal(info.cmdline_size, 2047);
	assert_int_equal(info.initrd_addr_max, 0x7fffffff);
	free(b);
}

static void expect_parse_error(uint8_t *b, size_t size, const char *needle)
{
	struct bzimage_info info;
	struct cell_error *err = NULL;
	assert_int_equal(bzimage_parse(b, size, &info, &err), -ENOEXEC);
	assert_non_null(strstr(err->msg, needle));
	cell_error_free(err);
}

static void test_bzimage_bad(void **state)
{
	size_t size;
	uint8_t *b = make_bzimage(&size, 0x20f, 1);
	expect_parse_error(b, size - 1, "truncated");
	expect_parse_error(b, 0x100, "not a kernel");
	b[0x202] = 'X';
	expect_parse_error(b, size, "not a kernel");
	free(b);
	b = make_bzimage(&size, 0x20b, 1);
	expect_parse_error(b, size, "too old");
	free(b);
	b = make_bzimage(&size, 0x20f, 0);
	expect_parse_error(b, size, "64-bit entry");
	free(b);
	b = make_bzimage(&size, 0x20f, 1);
	b[0x211] = 0;
	expect_parse_error(b, size, "zImage");
	uint32_t huge = 0xffffffff;
	b[0x211] = 1;
	memcpy(b + 0x1f4, &huge, 4);
	expect_parse_error(b, size, "truncated");
	free(b);
}

static void test_acpi_tables(void **state)
{
	static uint8_t buf[0x20000];
	struct vm_acpi_dev devs[2] = { { "LNRO0005", 0xd0000000, 0x200, 5 },
				       { "LNRO0005", 0xd0001000, 0x200, 6 } };
	long n = acpi_build_tables(buf, sizeof(buf), 0xe0000, 4, devs, 2);
	assert_true(n > 0);
	/* RSDP: both checksums, XSDT pointer. */
	assert_memory_equal(buf, "RSD PTR ", 8);
	assert_int_equal(acpi_checksum(buf, 20), 0);
	assert_int_equal(acpi_checksum(buf, 36), 0);
	uint64_t xsdt;
	memcpy(&xsdt, buf + 24, 8);
	uint8_t *x = buf + (xsdt - 0xe0000);
	assert_memory_equal(x, "XSDT", 4);
	uint32_t len;
	memcpy(&len, x + 4, 4);
	assert_int_equal(len, 36 + 16);
	assert_int_equal(acpi_checksum(x, len), 0);
	const char *want[] = { "FACP", "APIC" };
	for (int i = 0; i < 2; i++) {
		uint64_t t;
		memcpy(&t, x + 36 + 8 * i, 8);
		uint8_t *tab = buf + (t - 0xe0000);
		assert_memory_equal(tab, want[i], 4);
		memcpy(&len, tab + 4, 4);
		assert_int_equal(acpi_checksum(tab, len), 0);
		if (i == 0) {
			uint32_t flags;
			memcpy(&flags, tab + 112, 4);
			assert_true(flags & (1U << 20)); /* hardware reduced */
			assert_int_equal(len, 276);
			uint16_t boot;
			memcpy(&boot, tab + 109, 2);
			assert_true(boot & (1U << 5)); /* no CMOS RTC */
			uint64_t dsdt;
			memcpy(&dsdt, tab + 140, 8);
			uint8_t *d = buf + (dsdt - 0xe0000);
			assert_memory_equal(d, "DSDT", 4);
			memcpy(&len, d + 4, 4);
			assert_int_equal(acpi_checksum(d, len), 0);
			assert_non_null(memmem(d, len, "LNRO0005", 8));
			assert_non_null(memmem(d, len, "_S5_", 4));
			assert_non_null(memmem(d, len, "VR01", 4));
		} else {
			/* 4 local APICs (8 bytes each) and one IOAPIC (12) after 44 bytes. */
			assert_int_equal(len, 44 + 4 * 8 + 12);
			assert_int_equal(tab[44 + 3 * 8 + 3], 3); /* APIC ID of CPU 3 */
		}
	}
	/* Too small a buffer is refused, not overrun. */
	assert_int_equal(acpi_build_tables(buf, 200, 0xe0000, 4, devs, 2), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_small),	 cmocka_unit_test(test_e820_above_gap),
		cmocka_unit_test(test_initrd_placement), cmocka_unit_test(test_bzimage_ok),
		cmocka_unit_test(test_bzimage_bad),	 cmocka_unit_test(test_acpi_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
