/* boot-bzimage.c - Linux's 64-bit boot protocol: setup header checks, boot_params, 64-bit entry. */
#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "vm.h"
#include "x86/x86.h"

#define HDR_OFFSET 0x1f1
#define HDR_MAGIC_OFFSET 0x202
#define XLF_KERNEL_64_BIT 0x1
#define LOADED_HIGH_BIT 0x1
#define ENTRY_64_OFFSET 0x200
#define RELOCATABLE_OFFSET 0x234
#define KASLR_FLAG_BIT 0x2 /* loadflags: KASLR is on, so the kernel randomizes its regions too */

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | ((uint32_t)le16(p + 2) << 16);
}

int bzimage_parse(const uint8_t *img, size_t size, struct bzimage_info *ret,
		  struct cell_error **err)
{
	*ret = (struct bzimage_info){ 0 };
	if (size < 0x270 || le16(img + 0x1fe) != 0xaa55 ||
	    memcmp(img + HDR_MAGIC_OFFSET, "HdrS", 4))
		return cell_error_set(err, ENOEXEC,
				      "not a kernel (neither a bzImage setup header nor ELF)");
	ret->version = le16(img + 0x206);
	if (ret->version < 0x20c)
		return cell_error_set(err, ENOEXEC,
				      "boot protocol %u.%u is too old (2.12 has the 64-bit entry)",
				      ret->version >> 8, ret->version & 0xff);
	unsigned setup_sects = img[0x1f1] ? img[0x1f1] : 4;
	ret->setup_size = (setup_sects + 1) * 512;
	uint64_t syssize = (uint64_t)le32(img + 0x1f4) * 16;
	if (size < ret->setup_size || size - ret->setup_size < syssize || syssize == 0)
		return cell_error_set(err, ENOEXEC, "truncated: %zu bytes, the header says %llu",
				      size, (unsigned long long)(ret->setup_size + syssize));
	ret->kernel_size = (uint32_t)(size - ret->setup_size);
	if (!(img[0x211] & LOADED_HIGH_BIT))
		return cell_error_set(err, ENOEXEC, "not a bzImage (zImage loads low)");
	ret->xloadflags = le16(img + 0x236);
	if (!(ret->xloadflags & XLF_KERNEL_64_BIT))
		return cell_error_set(err, ENOEXEC, "the kernel has no 64-bit entry point");
	ret->initrd_addr_max = le32(img + 0x22c);
	ret->kernel_alignment = le32(img + 0x230);
	ret->cmdline_size = le32(img + 0x238);
	ret->pref_address = le32(img + 0x258) | ((uint64_t)le32(img + 0x25c) << 32);
	ret->init_size = le32(img + 0x260);
	return 0;
}

int boot_write_cmdline(struct vm *vm, uint64_t max_len, struct cell_error **err)
{
	const char *cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "";
	size_t len = strlen(cmdline);
	if (max_len > VM_CMDLINE_MAX - 1)
		max_len = VM_CMDLINE_MAX - 1;
	if (len > max_len)
		return cell_error_set(err, E2BIG, "command line: %zu bytes, the kernel takes %llu",
				      len, (unsigned long long)max_len);
	memcpy(vm_gpa_to_hva(vm, VM_CMDLINE_ADDR, len + 1), cmdline, len + 1);
	return 0;
}

static void bzimage_fill_params(struct vm *vm, struct boot_params *bp, const uint8_t *img,
				uint64_t initrd, uint64_t initrd_size)
{
	/* The setup header runs from 0x1f1 to the end its jump at 0x200 points past. */
	size_t hdr_end = 0x202 + img[0x201];
	size_t hdr_len = hdr_end - HDR_OFFSET;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, img + HDR_OFFSET, hdr_len);
	bp->hdr.type_of_loader = 0xff;
	bp->hdr.vid_mode = 0xffff;
	bp->hdr.cmd_line_ptr = (uint32_t)VM_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;
	bp->hdr.ramdisk_image = (uint32_t)initrd;
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(initrd >> 32);
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	bp->acpi_rsdp_addr = VM_ACPI_ADDR;
	struct e820_entry_x map[E820_MAX];
	unsigned n = e820_build(vm->ram_size, map, E820_MAX);
	for (unsigned i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
}

/* The highest address the initrd may reach (the header's, or the protocol's default). */
static uint64_t bzimage_initrd_max(const struct bzimage_info *info)
{
	return info->initrd_addr_max ? info->initrd_addr_max : 0x37ffffff;
}

/* The bytes of the initrd, page-rounded, that must stay above the kernel (0 without one). */
static uint64_t bzimage_initrd_bytes(struct vm *vm)
{
	struct stat st;
	if (!vm->cfg->initrd || stat(vm->cfg->initrd, &st) < 0)
		return 0; /* boot_load_initrd() reports it */
	return ((uint64_t)st.st_size + 0xfff) & ~0xfffULL;
}

/*
 * Where the kernel goes: random, or at its link address with nokaslr or too little room. Returns 1
 * unless nokaslr (then KASLR_FLAG is set, as the decompressor sets it even when no other slot fits).
 */
static int bzimage_kaslr_choose(struct vm *vm, const struct bzimage_info *info, uint64_t total,
				struct kaslr_choice *ret)
{
	*ret = (struct kaslr_choice){ 0 };
	if (kaslr_cmdline_off(vm->cfg->cmdline))
		return 0;
	uint64_t initrd_max = bzimage_initrd_max(info);
	uint64_t top = vm->low_ram_size < initrd_max + 1 ? vm->low_ram_size : initrd_max + 1;
	uint64_t initrd = bzimage_initrd_bytes(vm);
	struct kaslr_range range = {
		.link_phys = info->pref_address,
		.align = info->kernel_alignment,
		/* the unpacking stages the whole stream from below the base */
		.footprint = info->init_size > total ? info->init_size : total,
		.top = top > initrd ? top - initrd : 0,
	};
	uint64_t rnd[2];
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return 0; /* no entropy: the link addresses, like nokaslr */
	if (kaslr_choose(&range, rnd[0], rnd[1], ret) < 0)
		*ret = (struct kaslr_choice){ 0 };
	return 1;
}

/*
 * --decompress host for a relocatable kernel: unpack it at a random physical base, apply a random
 * virtual offset with its relocation table (boot-kaslr.c) and enter the kernel proper at its 64-bit
 * entry, startup_64, with boot_params as its decompressor would. -ENOENT: not this way (not
 * relocatable, not LZ4, an unusual segment layout): the PVH route is tried next.
 */
static int bzimage_load_kaslr(struct vm *vm, const uint8_t *img, const struct bzimage_info *info,
			      const uint8_t *payload, size_t len, uint64_t cmdline_max,
			      struct boot_entry *ret, struct cell_error **err)
{
	if (!img[RELOCATABLE_OFFSET] || len < 12)
		return -ENOENT;
	uint64_t total = le32(payload + len - 4);
	struct kaslr_choice c;
	int randomized = bzimage_kaslr_choose(vm, info, total, &c);
	struct unpack_result u;
	int r = boot_unpack_lz4_kaslr(payload, len, vm->ram, vm->low_ram_size, &c, &u);
	if (r == -ENOENT || r == -ENOTSUP)
		return -ENOENT;
	if (r < 0)
		return cell_error_errno(err, -r, "kernel %s: unpacking and relocating its payload",
					vm->cfg->kernel);
	if ((r = boot_write_cmdline(vm, cmdline_max, err)) < 0)
		return r;
	uint64_t end = info->pref_address + c.phys_shift + info->init_size;
	if (end < u.end)
		end = u.end;
	uint64_t initrd_max = bzimage_initrd_max(info);
	uint64_t initrd = 0, initrd_size = 0;
	r = boot_load_initrd(vm, initrd_max, (end + 0xfff) & ~0xfffULL, &initrd, &initrd_size, err);
	if (r < 0)
		return r;
	struct boot_params *bp = vm_gpa_to_hva(vm, VM_BOOT_PARAMS_ADDR, sizeof(*bp));
	bzimage_fill_params(vm, bp, img, initrd, initrd_size);
	if (randomized)
		bp->hdr.loadflags |= KASLR_FLAG_BIT;
	if ((r = regs_write_page_tables(vm, err)) < 0)
		return r;
	*ret = (struct boot_entry){ .mode = BOOT_MODE_LONG64,
				    .ip = u.entry,
				    .arg = VM_BOOT_PARAMS_ADDR };
	return 0;
}

/*
 * --decompress host: unpack the payload here and enter the kernel at its PVH entry (boot-unpack.c
 * says why). -ENOENT when this kernel cannot be booted so (not LZ4, no PVH note): the caller
 * loads it for its own decompressor instead.
 */
static int bzimage_load_unpacked(struct vm *vm, const uint8_t *img, size_t size,
				 const struct bzimage_info *info, uint64_t cmdline_max,
				 struct boot_entry *ret, struct cell_error **err)
{
	const uint8_t *payload;
	size_t len, elf_len;
	uint8_t *elf;
	if (bzimage_payload(img, size, info, &payload, &len) < 0)
		return -ENOENT;
	int r = bzimage_load_kaslr(vm, img, info, payload, len, cmdline_max, ret, err);
	if (r != -ENOENT)
		return r;
	struct unpack_result u;
	r = boot_unpack_lz4_elf(payload, len, vm->ram, vm->low_ram_size, &u);
	if (r == 0)
		return boot_pvh_finish(vm, u.entry, u.end, cmdline_max, ret, err);
	if (r == -ENOTSUP) /* an unusual segment layout: unpack into a buffer, copy the segments */
		r = boot_unpack_lz4(payload, len, vm->low_ram_size, &elf, &elf_len);
	if (r == -ENOENT)
		return r;
	if (r < 0)
		return cell_error_errno(err, -r, "kernel %s: unpacking its LZ4 payload",
					vm->cfg->kernel);
	r = -ENOENT;
	if (boot_pvh_probe(elf, elf_len))
		r = boot_load_pvh(vm, elf, elf_len, cmdline_max, ret, err);
	munmap(elf, elf_len);
	return r;
}

/* The whole file, for unpacking here; -ENOENT when the guest is to unpack it after all. */
static int bzimage_load_host(struct vm *vm, int fd, size_t size, const struct bzimage_info *info,
			     uint64_t cmdline_max, struct boot_entry *ret, struct cell_error **err)
{
	const uint8_t *img;
	int r = boot_map_fd(fd, size, vm->cfg->kernel, &img, err);
	if (r < 0)
		return r;
	r = bzimage_load_unpacked(vm, img, size, info, cmdline_max, ret, err);
	munmap((void *)img, size);
	return r;
}

int boot_load_bzimage(struct vm *vm, const uint8_t *img, size_t size, int fd,
		      struct boot_entry *ret, struct cell_error **err)
{
	struct bzimage_info info;
	int r = bzimage_parse(img, size, &info, err);
	if (r < 0)
		return cell_error_wrap(err, "kernel %s", vm->cfg->kernel);
	/* The decompressor copies itself up to pref_address and needs init_size from there. */
	uint64_t footprint_end = info.pref_address + info.init_size;
	uint64_t load_end = VM_HIMEM_ADDR + info.kernel_size;
	if (footprint_end < load_end)
		footprint_end = load_end;
	if (footprint_end > vm->low_ram_size)
		return cell_error_set(
			err, ENOMEM,
			"kernel %s: needs %llu MiB of guest memory to decompress, --memory is %llu MiB",
			vm->cfg->kernel, (unsigned long long)(footprint_end >> 20) + 1,
			(unsigned long long)(vm->ram_size >> 20));
	uint64_t cmdline_max = info.version >= 0x206 ? info.cmdline_size : 255;
	if (vm->cfg->decompress == VMM_DECOMPRESS_HOST) {
		r = bzimage_load_host(vm, fd, size, &info, cmdline_max, ret, err);
		if (r != -ENOENT)
			return r;
	}
	r = boot_read_at(fd, vm_gpa_to_hva(vm, VM_HIMEM_ADDR, info.kernel_size), info.kernel_size,
			 info.setup_size, vm->cfg->kernel, err);
	if (r < 0)
		return r;

	r = boot_write_cmdline(vm, cmdline_max, err);
	if (r < 0)
		return r;
	uint64_t initrd_max = bzimage_initrd_max(&info);
	uint64_t initrd = 0, initrd_size = 0;
	r = boot_load_initrd(vm, initrd_max, footprint_end, &initrd, &initrd_size, err);
	if (r < 0)
		return r;
	struct boot_params *bp = vm_gpa_to_hva(vm, VM_BOOT_PARAMS_ADDR, sizeof(*bp));
	bzimage_fill_params(vm, bp, img, initrd, initrd_size);
	r = regs_write_page_tables(vm, err);
	if (r < 0)
		return r;
	*ret = (struct boot_entry){ .mode = BOOT_MODE_LONG64,
				    .ip = VM_HIMEM_ADDR + ENTRY_64_OFFSET,
				    .arg = VM_BOOT_PARAMS_ADDR };
	return 0;
}
