/* boot-unpack.c - a bzImage's compressed kernel unpacked by cellvm, for the PVH entry. */
#include <errno.h>
#include <lz4.h>
#include <string.h>
#include <sys/mman.h>

#include "vm.h"
#include "x86/x86.h"

/*
 * Why: under nested virtualization the kernel's own decompressor (copying itself out of the way,
 * LZ4, parsing the ELF, applying KASLR relocations, all in guest memory) took ~5 s of a ~16 s boot
 * in the lab, against ~0.3 s for the same work here (bench/vmm-boot-trace.py). The payload is the
 * vmlinux ELF; with its PVH note the kernel is entered as an uncompressed one would be.
 */

#define LZ4_LEGACY_MAGIC 0x184c2102U
#define LZ4_LEGACY_BLOCK (8U << 20) /* each block unpacks to at most this */

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int bzimage_payload(const uint8_t *img, size_t size, const struct bzimage_info *info,
		    const uint8_t **ret, size_t *ret_len)
{
	if (info->version < 0x208)
		return -ENOENT;
	uint64_t off = le32(img + 0x248), len = le32(img + 0x24c);
	uint64_t at = (uint64_t)info->setup_size + off;
	if (len == 0 || at > size || len > size - at)
		return -ENOENT;
	*ret = img + at;
	*ret_len = len;
	return 0;
}

/*
 * The LZ4 legacy frame the kernel's build makes ("lz4 -l"): a magic number, then blocks, each a
 * 32-bit compressed size and the data; the kernel's build appends the unpacked size as 32 bits.
 * Returns -ENOENT when the payload is not LZ4 (another compression: the guest unpacks it),
 * -EINVAL when it is corrupt. The result is an anonymous mapping for munmap().
 */
int boot_unpack_lz4(const uint8_t *in, size_t len, size_t max, uint8_t **ret, size_t *ret_len)
{
	if (len < 8 || le32(in) != LZ4_LEGACY_MAGIC)
		return -ENOENT;
	size_t total = le32(in + len - 4);
	if (total == 0 || total > max)
		return -EINVAL;
	uint8_t *out = mmap(NULL, total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (out == MAP_FAILED)
		return -ENOMEM;
	/* ~13,000 small-page faults cost more than the unpacking itself in the lab (TCG). */
	madvise(out, total, MADV_HUGEPAGE);
	size_t pos = 4, done = 0;
	len -= 4; /* the trailing size */
	while (done < total && len - pos >= 4) {
		uint32_t csize = le32(in + pos);
		pos += 4;
		if (csize == LZ4_LEGACY_MAGIC) /* concatenated frames */
			continue;
		size_t room = total - done < LZ4_LEGACY_BLOCK ? total - done : LZ4_LEGACY_BLOCK;
		if (csize == 0 || csize > len - pos || csize > (uint32_t)LZ4_compressBound(room))
			break;
		int n = LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)csize,
					    (int)room);
		if (n <= 0)
			break;
		done += (size_t)n;
		pos += csize;
	}
	if (done != total) {
		munmap(out, total);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = total;
	return 0;
}
