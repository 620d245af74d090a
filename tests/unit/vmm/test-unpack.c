/* test-unpack.c - a bzImage's LZ4 payload unpacked on the host (with KASLR), and the PVH note probe. */
#include <elf.h>
#include <errno.h>
#include <lz4.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vm.h"
#include "x86/x86.h"

#define BLOCK (8U << 20)

/* What the kernel's build makes with "lz4 -l": magic, [size, block]..., then the unpacked size. */
static uint8_t *make_frame(const uint8_t *data, size_t n, size_t *ret_len)
{
	size_t cap = 8 + (n / BLOCK + 1) * (4 + LZ4_compressBound(BLOCK));
	uint8_t *f = malloc(cap);
	uint32_t v = 0x184c2102;
	memcpy(f, &v, 4);
	size_t pos = 4;
	for (size_t done = 0; done < n; done += BLOCK) {
		int chunk = (int)(n - done < BLOCK ? n - done : BLOCK);
		int c = LZ4_compress_default((const char *)data + done, (char *)f + pos + 4, chunk,
					     LZ4_compressBound(BLOCK));
		assert_true(c > 0);
		v = (uint32_t)c;
		memcpy(f + pos, &v, 4);
		pos += 4 + (size_t)c;
	}
	v = (uint32_t)n;
	memcpy(f + pos, &v, 4);
	*ret_len = pos + 4;
	return f;
}

static uint8_t *make_data(size_t n)
{
	uint8_t *d = malloc(n);
	uint32_t x = 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245 + 12345;
		d[i] = (uint8_t)((x >> 16) & 0x0f); /* compressible, not trivially */
	}
	return d;
}

static void test_lz4_roundtrip(void **state)
{
	size_t n = 2 * BLOCK + 12345, len, out_len;
	uint8_t *data = make_data(n), *out;
	uint8_t *f = make_frame(data, n, &len);
	assert_int_equal(boot_unpack_lz4(f, len, 64 << 20, &out, &out_len), 0);
	assert_int_equal(out_len, n);
	assert_memory_equal(out, data, n);
	munmap(out, out_len);
	free(f);
	free(data);
}

static void test_lz4_bad(void **state)
{
	size_t n = BLOCK + 100, len, out_len;
	uint8_t *data = make_data(n), *out;
	uint8_t *f = make_frame(data, n, &len);
	/* More than allowed: refused before anything is unpacked. */
	assert_int_equal(boot_unpack_lz4(f, len, n - 1, &out, &out_len), -EINVAL);
	/* Truncated: the last block is missing. */
	uint8_t *t = malloc(len);
	memcpy(t, f, len - 50);
	memcpy(t + len - 54, f + len - 4, 4);
	assert_int_equal(boot_unpack_lz4(t, len - 50, 64 << 20, &out, &out_len), -EINVAL);
	/* A block size past the end. */
	memcpy(t, f, len);
	uint32_t big = 0x7fffffff;
	memcpy(t + 4, &big, 4);
	assert_int_equal(boot_unpack_lz4(t, len, 64 << 20, &out, &out_len), -EINVAL);
	/* Not LZ4 at all (gzip, xz...): the guest's decompressor gets it. */
	memcpy(t, f, len);
	t[0] = 0x1f;
	assert_int_equal(boot_unpack_lz4(t, len, 64 << 20, &out, &out_len), -ENOENT);
	assert_int_equal(boot_unpack_lz4(f, 6, 64 << 20, &out, &out_len), -ENOENT);
	free(t);
	free(f);
	free(data);
}

static void test_bzimage_payload(void **state)
{
	uint8_t img[0x2000] = { 0 };
	struct bzimage_info info = { .version = 0x20f, .setup_size = 0x1000 };
	uint32_t off = 0x100, len = 0x200;
	memcpy(img + 0x248, &off, 4);
	memcpy(img + 0x24c, &len, 4);
	const uint8_t *p;
	size_t n;
	assert_int_equal(bzimage_payload(img, sizeof(img), &info, &p, &n), 0);
	assert_ptr_equal(p, img + 0x1100);
	assert_int_equal(n, 0x200);
	len = 0xf01; /* one byte past the file */
	memcpy(img + 0x24c, &len, 4);
	assert_int_equal(bzimage_payload(img, sizeof(img), &info, &p, &n), -ENOENT);
	info.version = 0x207; /* no payload fields before 2.08 */
	assert_int_equal(bzimage_payload(img, sizeof(img), &info, &p, &n), -ENOENT);
}

/* An x86-64 ELF header at b with phnum program headers right after it. */
static Elf64_Ehdr *put_elf_header(uint8_t *b, unsigned phnum)
{
	Elf64_Ehdr *eh = (void *)b;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = phnum;
	return eh;
}

/* An ELF with one PT_NOTE holding notes[] (with or without Xen's PHYS32_ENTRY). */
static size_t make_elf(uint8_t *b, size_t cap, bool pvh)
{
	memset(b, 0, cap);
	Elf64_Ehdr *eh = put_elf_header(b, 1);
	Elf64_Phdr *ph = (void *)(b + eh->e_phoff);
	size_t at = eh->e_phoff + sizeof(*ph);
	Elf64_Nhdr *nh = (void *)(b + at);
	nh->n_namesz = 4;
	nh->n_descsz = 4;
	nh->n_type = pvh ? 18 : 1;
	memcpy(b + at + sizeof(*nh), "Xen", 4);
	uint32_t entry = 0x1000000;
	memcpy(b + at + sizeof(*nh) + 4, &entry, 4);
	*ph = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = at, .p_filesz = sizeof(*nh) + 8 };
	return at + sizeof(*nh) + 8;
}

static void test_pvh_probe(void **state)
{
	uint8_t b[512];
	size_t n = make_elf(b, sizeof(b), true);
	assert_int_equal(boot_pvh_probe(b, n), 1);
	assert_int_equal(boot_pvh_probe(b, n - 1), 0); /* the note is cut off */
	assert_int_equal(boot_pvh_probe(b, 40), 0);
	n = make_elf(b, sizeof(b), false);
	assert_int_equal(boot_pvh_probe(b, n), 0);
	b[EI_CLASS] = ELFCLASS32;
	assert_int_equal(boot_pvh_probe(b, n), 0);
}

/*
 * A kernel-like ELF for the one-pass unpacking: text+data at offset + 1 MiB, a second segment 4 KiB
 * lower than that (as Debian's per-CPU and init segments are) with a bss, a PVH note inside the
 * first segment and bytes after the last segment (section headers in a real vmlinux).
 */
#define ELF_A_OFF 0x2000
#define ELF_A_PADDR 0x102000
#define ELF_B_OFF 0x6000
#define ELF_B_PADDR 0x105000
#define ELF_TOTAL 0x7800

static uint8_t *make_kernel_elf(bool pvh)
{
	uint8_t *b = make_data(ELF_TOTAL);
	memset(b, 0, 0x200);
	Elf64_Ehdr *eh = put_elf_header(b, 3);
	Elf64_Phdr *ph = (void *)(b + eh->e_phoff);
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_offset = ELF_A_OFF,
			      .p_paddr = ELF_A_PADDR,
			      .p_filesz = 0x3000,
			      .p_memsz = 0x3000 };
	ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
			      .p_offset = ELF_B_OFF,
			      .p_paddr = ELF_B_PADDR,
			      .p_filesz = 0x1000,
			      .p_memsz = 0x2000 };
	ph[2] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = ELF_A_OFF + 0x100, .p_filesz = 20 };
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = 4, .n_type = pvh ? 18 : 1 };
	uint32_t entry = 0x1234567;
	memcpy(b + ELF_A_OFF + 0x100, &nh, sizeof(nh));
	memcpy(b + ELF_A_OFF + 0x100 + sizeof(nh), "Xen", 4);
	memcpy(b + ELF_A_OFF + 0x100 + sizeof(nh) + 4, &entry, 4);
	return b;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void test_lz4_elf_into_ram(void **state)
{
	size_t len, ram_size = 4 << 20;
	uint8_t *elf = make_kernel_elf(true);
	uint8_t *f = make_frame(elf, ELF_TOTAL, &len);
	uint8_t *ram = calloc(1, ram_size);
	struct unpack_result u;
	assert_int_equal(boot_unpack_lz4_elf(f, len, ram, ram_size, &u), 0);
	assert_int_equal(u.entry, 0x1234567);
	assert_int_equal(u.end, ELF_B_PADDR + 0x2000);
	assert_memory_equal(ram + ELF_A_PADDR, elf + ELF_A_OFF, 0x3000);
	assert_memory_equal(ram + ELF_B_PADDR, elf + ELF_B_OFF, 0x1000);
	/* bss, the ELF header's place and what followed the last segment: zero */
	assert_true(all_zero(ram + ELF_B_PADDR + 0x1000, 0x1000));
	assert_true(all_zero(ram, ELF_A_PADDR));
	assert_true(all_zero(ram + u.end, ram_size - u.end));

	/* No PVH note: nothing stays behind, and the guest's decompressor gets the kernel. */
	free(elf);
	free(f);
	elf = make_kernel_elf(false);
	f = make_frame(elf, ELF_TOTAL, &len);
	memset(ram, 0, ram_size);
	assert_int_equal(boot_unpack_lz4_elf(f, len, ram, ram_size, &u), -ENOENT);
	assert_true(all_zero(ram, ram_size));
	/* Too little RAM for the staging range, or a segment above the first one's delta. */
	assert_int_equal(boot_unpack_lz4_elf(f, len, ram, 0x100000, &u), -ENOTSUP);
	Elf64_Phdr *ph = (void *)(elf + sizeof(Elf64_Ehdr));
	ph[1].p_paddr = ELF_B_PADDR + 0x2000;
	free(f);
	f = make_frame(elf, ELF_TOTAL, &len);
	assert_int_equal(boot_unpack_lz4_elf(f, len, ram, ram_size, &u), -ENOTSUP);
	/* A segment past the end of the file: corrupt. */
	ph[1].p_paddr = ELF_B_PADDR;
	ph[1].p_filesz = ELF_TOTAL;
	free(f);
	f = make_frame(elf, ELF_TOTAL, &len);
	assert_int_equal(boot_unpack_lz4_elf(f, len, ram, ram_size, &u), -EINVAL);
	/* Corrupt block data: an error, and the staging range is zeroed again. */
	ph[1].p_filesz = 0x1000;
	free(f);
	f = make_frame(elf, ELF_TOTAL, &len);
	f[len - 10] ^= 0xff;
	f[len - 20] ^= 0xff;
	int r = boot_unpack_lz4_elf(f, len, ram, ram_size, &u);
	/* LZ4 cannot always tell (then there is no PVH note); never out of bounds */
	assert_true(r == -EINVAL || r == -ENOENT);
	free(ram);
	free(f);
	free(elf);
}

static void test_kaslr_choose(void **state)
{
	struct kaslr_range in = {
		.link_phys = 16 << 20, .align = 2 << 20, .footprint = 40 << 20, .top = 128 << 20
	};
	struct kaslr_choice c;
	/* 16..88 MiB for the base: 37 slots of 2 MiB */
	assert_int_equal(kaslr_choose(&in, 0, 0, &c), 0);
	assert_int_equal(c.phys_shift, 0);
	assert_int_equal(c.virt_delta, 0);
	assert_int_equal(kaslr_choose(&in, 36, 1, &c), 0);
	assert_int_equal(c.phys_shift, 72 << 20);
	assert_int_equal(c.virt_delta, 2 << 20);
	assert_int_equal(kaslr_choose(&in, 37, 0, &c), 0); /* wraps around */
	assert_int_equal(c.phys_shift, 0);
	for (uint64_t r = 0; r < 2000; r += 7) {
		assert_int_equal(kaslr_choose(&in, r * 0x9e3779b97f4a7c15ULL, r * 31337, &c), 0);
		uint64_t base = in.link_phys + c.phys_shift;
		assert_true(base % in.align == 0 && base + in.footprint <= in.top);
		assert_true(c.virt_delta % in.align == 0);
		assert_true(in.link_phys + c.virt_delta + in.footprint <= (1ULL << 30));
	}
	/* A 16 MiB alignment (Debian's): bases 16, 32, ..., 80 MiB */
	in.align = 16 << 20;
	assert_int_equal(kaslr_choose(&in, 4, 0, &c), 0);
	assert_int_equal(c.phys_shift, 64 << 20);
	assert_int_equal(kaslr_choose(&in, 5, 0, &c), 0);
	assert_int_equal(c.phys_shift, 0);
	in.align = 3 << 20; /* not a power of two */
	assert_int_equal(kaslr_choose(&in, 1, 1, &c), -EINVAL);
	in.align = 2 << 20;
	in.top = 50 << 20; /* does not fit even at the link address */
	assert_int_equal(kaslr_choose(&in, 1, 1, &c), -ENOSPC);
	in.top = 56 << 20; /* fits only there */
	assert_int_equal(kaslr_choose(&in, 12345, 0, &c), 0);
	assert_int_equal(c.phys_shift, 0);
}

static void test_kaslr_cmdline(void **state)
{
	assert_true(kaslr_cmdline_off("nokaslr"));
	assert_true(kaslr_cmdline_off("console=ttyS0 nokaslr quiet"));
	assert_true(kaslr_cmdline_off("quiet nokaslr"));
	assert_false(kaslr_cmdline_off("quiet xnokaslr nokaslry"));
	assert_false(kaslr_cmdline_off(""));
	assert_false(kaslr_cmdline_off(NULL));
}

/*
 * A relocatable kernel-like stream: make_kernel_elf() with section headers up to ELF_TOTAL, then
 * the relocation table: 0, 64-bit entries, 0, inverse 32-bit entries, 0, 32-bit entries (the
 * kernel reads it backwards from the end). Locations are link addresses in the segments.
 */
#define LINK(paddr) ((uint32_t)(KASLR_KERNEL_MAP + (paddr)))
#define R32_AT 0x40  /* into segment A */
#define RNEG_AT 0x80 /* into segment A */
#define R64_AT 0x10  /* into segment B */

static uint8_t *make_kaslr_stream(const uint32_t *table, size_t n, size_t *ret_len)
{
	uint8_t *b = make_kernel_elf(false);
	Elf64_Ehdr *eh = (void *)b;
	eh->e_shoff = 0x7000;
	eh->e_shentsize = 64;
	eh->e_shnum = (ELF_TOTAL - 0x7000) / 64;
	eh->e_entry = ELF_A_PADDR + 0x10;
	b = realloc(b, ELF_TOTAL + n * 4);
	memcpy(b + ELF_TOTAL, table, n * 4);
	*ret_len = ELF_TOTAL + n * 4;
	return b;
}

static uint64_t get_at(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	memcpy(&v, p, width);
	return v;
}

/* Unpack with KASLR: 0 and RAM as expected, or an error with RAM left all zero. */
static int unpack_kaslr_table(const uint32_t *table, size_t n, uint8_t *ram, size_t ram_size,
			      struct unpack_result *u)
{
	size_t len, flen;
	uint8_t *elf = make_kaslr_stream(table, n, &len);
	uint8_t *f = make_frame(elf, len, &flen);
	struct kaslr_choice k = { .phys_shift = 0x200000, .virt_delta = 0x4000000 };
	memset(ram, 0, ram_size);
	int r = boot_unpack_lz4_kaslr(f, flen, ram, ram_size, &k, u);
	if (r == 0) {
		const uint8_t *a = ram + ELF_A_PADDR + 0x200000, *b = ram + ELF_B_PADDR + 0x200000;
		assert_int_equal(u->entry, ELF_A_PADDR + 0x200000 + 0x10);
		/* untouched bytes moved unchanged, relocated ones moved with delta applied */
		assert_memory_equal(a, elf + ELF_A_OFF, R32_AT);
		if (n == 6 && table[5] == LINK(ELF_A_PADDR + R32_AT)) { /* the good table */
			assert_int_equal(
				get_at(a + R32_AT, 4),
				(uint32_t)(get_at(elf + ELF_A_OFF + R32_AT, 4) + 0x4000000));
			assert_int_equal(
				get_at(a + RNEG_AT, 4),
				(uint32_t)(get_at(elf + ELF_A_OFF + RNEG_AT, 4) - 0x4000000));
			assert_int_equal(get_at(b + R64_AT, 8),
					 get_at(elf + ELF_B_OFF + R64_AT, 8) + 0x4000000);
		}
		assert_true(all_zero(ram, ELF_A_PADDR + 0x200000));
	} else {
		assert_true(all_zero(ram, ram_size));
	}
	free(f);
	free(elf);
	return r;
}

static void test_kaslr_relocate(void **state)
{
	size_t ram_size = 4 << 20;
	uint8_t *ram = malloc(ram_size);
	struct unpack_result u;
	const uint32_t good[] = { 0, LINK(ELF_B_PADDR + R64_AT), 0, LINK(ELF_A_PADDR + RNEG_AT),
				  0, LINK(ELF_A_PADDR + R32_AT) };
	assert_int_equal(unpack_kaslr_table(good, 6, ram, ram_size, &u), 0);
	assert_int_equal(u.virt_delta, 0x4000000);
	/* No table: the physical shift only (the kernel proper handles that itself). */
	assert_int_equal(unpack_kaslr_table(good, 0, ram, ram_size, &u), 0);
	assert_int_equal(u.virt_delta, 0);
	/* A terminator missing: the walk would run into the ELF. */
	assert_int_equal(unpack_kaslr_table(good + 1, 5, ram, ram_size, &u), -EINVAL);
	/* Locations outside the segments' file data: B's bss, past A, below A, 8 bytes at A's end */
	const uint32_t bad[][6] = {
		{ 0, 0, 0, LINK(ELF_B_PADDR + 0x1000) },
		{ 0, 0, 0, LINK(ELF_A_PADDR + 0x3000 - 3) },
		{ 0, 0, 0, LINK(ELF_A_PADDR - 4) },
		{ 0, LINK(ELF_A_PADDR + 0x3000 - 4), 0, 0 },
		{ 0, 0, 0, 0x1234 }, /* not a kernel address at all */
		{ 0, 0, 0, 0, 0, LINK(ELF_B_PADDR + 0x2000) },
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(unpack_kaslr_table(bad[i], i == 5 ? 6 : 4, ram, ram_size, &u),
				 -EINVAL);
	/* A table that is only zeros ends fine (three empty lists). */
	const uint32_t empty[] = { 0, 0, 0 };
	assert_int_equal(unpack_kaslr_table(empty, 3, ram, ram_size, &u), 0);
	/* The shifted image must fit: 4 MiB - 0x200000 is too little RAM for staging + segments */
	size_t len, flen;
	uint8_t *elf = make_kaslr_stream(good, 6, &len);
	uint8_t *f = make_frame(elf, len, &flen);
	struct kaslr_choice k = { .phys_shift = ram_size - 0x100000 };
	assert_int_equal(boot_unpack_lz4_kaslr(f, flen, ram, ram_size, &k, &u), -ENOTSUP);
	k.phys_shift = UINT64_MAX - 0x1000; /* wraps */
	assert_int_equal(boot_unpack_lz4_kaslr(f, flen, ram, ram_size, &k, &u), -ENOTSUP);
	free(f);
	/* An entry outside the segments */
	((Elf64_Ehdr *)elf)->e_entry = 0x90000;
	f = make_frame(elf, len, &flen);
	k.phys_shift = 0;
	memset(ram, 0, ram_size);
	assert_int_equal(boot_unpack_lz4_kaslr(f, flen, ram, ram_size, &k, &u), -EINVAL);
	assert_true(all_zero(ram, ram_size));
	free(f);
	/* The entry given as a virtual link address (startup_64) works as the physical one */
	((Elf64_Ehdr *)elf)->e_entry = KASLR_KERNEL_MAP + ELF_A_PADDR + 0x20;
	f = make_frame(elf, len, &flen);
	assert_int_equal(boot_unpack_lz4_kaslr(f, flen, ram, ram_size, &k, &u), 0);
	assert_int_equal(u.entry, ELF_A_PADDR + 0x20);
	free(f);
	free(elf);
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lz4_roundtrip),	 cmocka_unit_test(test_lz4_bad),
		cmocka_unit_test(test_bzimage_payload),	 cmocka_unit_test(test_pvh_probe),
		cmocka_unit_test(test_lz4_elf_into_ram), cmocka_unit_test(test_kaslr_choose),
		cmocka_unit_test(test_kaslr_cmdline),	 cmocka_unit_test(test_kaslr_relocate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
