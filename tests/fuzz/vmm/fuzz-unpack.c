/* fuzz-unpack.c - libFuzzer target: a kernel's LZ4 payload unpacked straight into guest RAM, with
 * arbitrary ELF headers (compressed here, so the ELF checks are what gets explored) or raw frames,
 * for the PVH entry or with KASLR (a physical shift and the relocation table after the ELF). */
#include <lz4.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86/x86.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE ((1U << 20) + (256U << 10)) /* the staging range starts at 1 MiB */
#define MAX_INPUT (64U << 10)

/* What the kernel's build makes with "lz4 -l": magic, one block, then the unpacked size. */
static size_t make_frame(const uint8_t *data, size_t n, uint8_t *f, size_t cap)
{
	uint32_t v = 0x184c2102;
	memcpy(f, &v, 4);
	int c = LZ4_compress_default((const char *)data, (char *)f + 8, (int)n, (int)cap - 12);
	if (c <= 0)
		return 0;
	v = (uint32_t)c;
	memcpy(f + 4, &v, 4);
	v = (uint32_t)n;
	memcpy(f + 8 + c, &v, 4);
	return 12 + (size_t)c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram, *frame;
	static size_t frame_cap;
	if (!ram) {
		ram = malloc(RAM_SIZE);
		frame_cap = (size_t)LZ4_compressBound(MAX_INPUT) + 16;
		frame = malloc(frame_cap);
		if (!ram || !frame)
			abort();
	}
	if (size < 1 || size > MAX_INPUT)
		return 0;
	/* The first byte picks: a raw frame (the LZ4 decoder's bounds) or an ELF to compress. */
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	if (data[0] & 1) {
		len = make_frame(data + 1, size - 1, frame, frame_cap);
		if (!len)
			return 0;
		in = frame;
	}
	/* Less RAM than the buffer now and then: the staging range must be checked against it. */
	size_t ram_size = data[0] & 2 ? RAM_SIZE : (1U << 20) + (64U << 10);
	memset(ram + ram_size, 0xa5, RAM_SIZE - ram_size);
	struct unpack_result u = { 0 };
	int r;
	if (data[0] & 4) { /* KASLR: bits 3-4 pick a physical shift, 5-7 a virtual offset */
		struct kaslr_choice k = { .phys_shift = ((data[0] >> 3) & 3) * 0x10000ULL,
					  .virt_delta = (uint64_t)(data[0] >> 5) << 21 };
		r = boot_unpack_lz4_kaslr(in, len, ram, ram_size, &k, &u);
		if (r == 0 && (u.entry < k.phys_shift || u.entry >= ram_size))
			abort();
	} else {
		r = boot_unpack_lz4_elf(in, len, ram, ram_size, &u);
		if (r == 0 && u.entry == 0)
			abort();
	}
	if (r == 0 && u.end > ram_size)
		abort();
	/* Nothing past the RAM it was given. */
	for (size_t i = ram_size; i < RAM_SIZE; i++)
		if (ram[i] != 0xa5)
			abort();
	return 0;
}
