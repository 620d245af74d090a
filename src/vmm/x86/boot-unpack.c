/* boot-unpack.c - a bzImage's compressed kernel unpacked by cellvm, for the PVH entry. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
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
#define UNPACK_HEAD 4096	    /* the ELF and program headers are in the first page */
#define UNPACK_MIN_ADDR 0x100000ULL

#define XEN_ELFNOTE_PHYS32_ENTRY 18

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

/* The PHYS32_ENTRY note in one PT_NOTE segment (boot-pvh.c uses it too); 0 when absent. */
uint64_t pvh_note_entry(const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;
	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr hdr; /* copied out: the note may sit at any alignment */
		const Elf64_Nhdr *n = &hdr;
		memcpy(&hdr, p + off, sizeof(hdr));
		uint64_t name = (n->n_namesz + 3ULL) & ~3ULL, desc = (n->n_descsz + 3ULL) & ~3ULL;
		off += sizeof(*n);
		if (name > len - off || desc > len - off - name)
			return 0;
		if (n->n_type == XEN_ELFNOTE_PHYS32_ENTRY && n->n_namesz == 4 &&
		    memcmp(p + off, "Xen", 4) == 0 && n->n_descsz >= 4) {
			uint32_t e;
			memcpy(&e, p + off + name, 4);
			return e;
		}
		off += name + desc;
	}
	return 0;
}

/*
 * Unpacking straight into guest RAM: the payload is an ELF file whose PT_LOAD segments sit at file
 * offsets a constant apart from their physical addresses, except a few (Debian's vmlinux: the
 * per-CPU data and .init/.bss are 2 MiB lower than the text and data). So the whole file is
 * unpacked once, block by block, into guest RAM at "physical = offset + delta" with the first
 * segment's delta, then the segments whose delta is smaller are moved down into place and the
 * rest of that staging range (ELF headers, gaps, what follows the last segment) is zeroed. Against
 * unpacking into a buffer and copying the segments out, this saves a 53 MB buffer and a 46 MB
 * copy, both emulated in the lab.
 */
struct unpack_frame {
	const uint8_t *in;
	size_t len; /* without the trailing size */
	size_t total;
};

static int unpack_frame_open(const uint8_t *in, size_t len, struct unpack_frame *f)
{
	if (len < 12 || le32(in) != LZ4_LEGACY_MAGIC)
		return -ENOENT;
	*f = (struct unpack_frame){ .in = in, .len = len - 4, .total = le32(in + len - 4) };
	return f->total ? 0 : -EINVAL;
}

/* Unpack every block to dst (total bytes), or only the first block's first `head` bytes. */
static int unpack_frame_run(const struct unpack_frame *f, uint8_t *dst, size_t head)
{
	size_t pos = 4, done = 0;
	while (done < f->total && f->len - pos >= 4) {
		uint32_t csize = le32(f->in + pos);
		pos += 4;
		if (csize == LZ4_LEGACY_MAGIC)
			continue;
		size_t room =
			f->total - done < LZ4_LEGACY_BLOCK ? f->total - done : LZ4_LEGACY_BLOCK;
		if (csize == 0 || csize > f->len - pos || csize > (uint32_t)LZ4_compressBound(room))
			return -EINVAL;
		const char *src = (const char *)f->in + pos;
		if (head) {
			int n = LZ4_decompress_safe_partial(src, (char *)dst, (int)csize, (int)head,
							    (int)head);
			return n == (int)head ? 0 : -EINVAL;
		}
		int n = LZ4_decompress_safe(src, (char *)dst + done, (int)csize, (int)room);
		if (n <= 0)
			return -EINVAL;
		done += (size_t)n;
		pos += csize;
	}
	return done == f->total ? 0 : -EINVAL;
}

/* The loadable segments, checked for the one-pass layout; -ENOTSUP when it does not apply. */
struct unpack_plan {
	Elf64_Phdr ph[UNPACK_MAX_PHDRS]; /* PT_LOAD and PT_NOTE, p_paddr shifted */
	unsigned n;
	uint64_t delta; /* physical address - file offset of the first segment */
	uint64_t table; /* where the ELF ends: a relocation table may follow */
};

/* Where the ELF file ends: its headers, segments and section headers (the latter last). */
static uint64_t unpack_elf_end(const Elf64_Ehdr *eh, const struct unpack_plan *pl, uint64_t total)
{
	uint64_t end = eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr);
	uint64_t sh = (uint64_t)eh->e_shnum * eh->e_shentsize;
	if (eh->e_shoff && eh->e_shoff <= total && sh <= total - eh->e_shoff &&
	    eh->e_shoff + sh > end)
		end = eh->e_shoff + sh;
	for (unsigned i = 0; i < pl->n; i++)
		if (pl->ph[i].p_offset + pl->ph[i].p_filesz > end)
			end = pl->ph[i].p_offset + pl->ph[i].p_filesz;
	return end < total ? end : total;
}

static int unpack_plan(const uint8_t *head, size_t head_len, uint64_t total, uint64_t ram_size,
		       uint64_t shift, struct unpack_plan *pl)
{
	Elf64_Phdr *ret_ph = pl->ph;
	const Elf64_Ehdr *eh = (const void *)head;
	if (head_len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum > UNPACK_MAX_PHDRS ||
	    eh->e_phoff > head_len || eh->e_phnum * sizeof(Elf64_Phdr) > head_len - eh->e_phoff)
		return -ENOTSUP;
	unsigned n = 0;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr p;
		memcpy(&p, head + eh->e_phoff + i * sizeof(p), sizeof(p));
		if (p.p_type != PT_LOAD && p.p_type != PT_NOTE)
			continue;
		if (p.p_type == PT_LOAD && p.p_paddr > UINT64_MAX - shift)
			return -ENOTSUP;
		if (p.p_type == PT_LOAD)
			p.p_paddr += shift;
		ret_ph[n++] = p;
	}
	uint64_t delta = 0, prev_end = 0, prev_off = 0;
	bool first = true;
	for (unsigned i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ret_ph[i];
		if (p->p_offset > total || p->p_filesz > total - p->p_offset)
			return -EINVAL; /* truncated: not a kernel to boot either way */
		if (p->p_type != PT_LOAD)
			continue;
		/* Ascending in file and memory, each at or below the first one's delta. */
		if (p->p_filesz > p->p_memsz || p->p_paddr < p->p_offset || p->p_memsz > ram_size ||
		    p->p_paddr > ram_size - p->p_memsz ||
		    (!first && (p->p_offset < prev_off || p->p_paddr < prev_end)))
			return -ENOTSUP;
		if (first)
			delta = p->p_paddr - p->p_offset;
		else if (p->p_paddr - p->p_offset > delta)
			return -ENOTSUP;
		first = false;
		prev_off = p->p_offset + p->p_filesz;
		prev_end = p->p_paddr + p->p_memsz;
	}
	/* The staging range: above the boot structures below 1 MiB, inside RAM. */
	if (first || delta < UNPACK_MIN_ADDR || total > ram_size || delta > ram_size - total)
		return -ENOTSUP;
	pl->n = n;
	pl->delta = delta;
	pl->table = unpack_elf_end(eh, pl, total);
	return 0;
}

/* The 64-bit entry (the ELF's, linked physical or virtual) and the relocation pass, in staging. */
static int unpack_relocate(const uint8_t *head, uint8_t *stage, uint64_t total,
			   const struct unpack_plan *pl, const struct kaslr_choice *k,
			   struct unpack_result *ret)
{
	const Elf64_Ehdr *eh = (const void *)head;
	uint64_t entry = eh->e_entry;
	if (entry >= KASLR_KERNEL_MAP)
		entry -= KASLR_KERNEL_MAP;
	entry += k->phys_shift;
	for (unsigned i = 0; i < pl->n && !ret->entry; i++)
		if (pl->ph[i].p_type == PT_LOAD && entry >= pl->ph[i].p_paddr &&
		    entry - pl->ph[i].p_paddr < pl->ph[i].p_filesz)
			ret->entry = entry;
	if (!ret->entry)
		return -EINVAL;
	int r = kaslr_relocate(stage, total, pl->table, pl->ph, pl->n, k->phys_shift,
			       k->virt_delta);
	if (r == -ENOENT)
		return 0;
	ret->virt_delta = k->virt_delta;
	return r;
}

/* Move the segments from staging into place, zero bss and the rest of the staging range. */
static void unpack_place(uint8_t *ram, const struct unpack_plan *pl, uint64_t total,
			 struct unpack_result *ret)
{
	uint8_t *stage = ram + pl->delta;
	/* In file order: a segment moved down lands below any later one's staged bytes. */
	uint64_t zero_from = pl->delta;
	for (unsigned i = 0; i < pl->n; i++) {
		const Elf64_Phdr *p = &pl->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (ram + p->p_paddr != stage + p->p_offset)
			memmove(ram + p->p_paddr, stage + p->p_offset, p->p_filesz);
		if (p->p_paddr > zero_from)
			memset(ram + zero_from, 0, p->p_paddr - zero_from);
		memset(ram + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
		zero_from = p->p_paddr + p->p_memsz;
		if (zero_from > ret->end)
			ret->end = zero_from;
	}
	if (pl->delta + total > zero_from)
		memset(ram + zero_from, 0, pl->delta + total - zero_from);
}

/* k: NULL for the PVH entry at the link addresses. */
static int unpack_kernel(const uint8_t *in, size_t len, uint8_t *ram, uint64_t ram_size,
			 const struct kaslr_choice *k, struct unpack_result *ret)
{
	struct unpack_frame f;
	int r = unpack_frame_open(in, len, &f);
	if (r < 0)
		return r;
	uint8_t head[UNPACK_HEAD];
	size_t head_len = f.total < sizeof(head) ? f.total : sizeof(head);
	if ((r = unpack_frame_run(&f, head, head_len)) < 0)
		return r;
	struct unpack_plan pl;
	if ((r = unpack_plan(head, head_len, f.total, ram_size, k ? k->phys_shift : 0, &pl)) < 0)
		return r;
	uint8_t *stage = ram + pl.delta;
	if ((r = unpack_frame_run(&f, stage, 0)) < 0) {
		memset(stage, 0, f.total);
		return r;
	}
	*ret = (struct unpack_result){ 0 };
	if (k) {
		r = unpack_relocate(head, stage, f.total, &pl, k, ret);
	} else {
		for (unsigned i = 0; i < pl.n && !ret->entry; i++)
			if (pl.ph[i].p_type == PT_NOTE)
				ret->entry = pvh_note_entry(stage + pl.ph[i].p_offset,
							    pl.ph[i].p_filesz);
		r = ret->entry ? 0 : -ENOENT; /* not for the PVH entry */
	}
	if (r < 0) { /* leave RAM as it was, zeroed */
		memset(stage, 0, f.total);
		return r;
	}
	unpack_place(ram, &pl, f.total, ret);
	return 0;
}

int boot_unpack_lz4_elf(const uint8_t *in, size_t len, uint8_t *ram, uint64_t ram_size,
			struct unpack_result *ret)
{
	return unpack_kernel(in, len, ram, ram_size, NULL, ret);
}

int boot_unpack_lz4_kaslr(const uint8_t *in, size_t len, uint8_t *ram, uint64_t ram_size,
			  const struct kaslr_choice *k, struct unpack_result *ret)
{
	return unpack_kernel(in, len, ram, ram_size, k, ret);
}
