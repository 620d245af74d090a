/* test-unpack.c - a bzImage's LZ4 payload unpacked on the host, and the PVH note probe. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lz4_roundtrip),	 cmocka_unit_test(test_lz4_bad),
		cmocka_unit_test(test_bzimage_payload),	 cmocka_unit_test(test_pvh_probe),
		cmocka_unit_test(test_lz4_elf_into_ram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
