/* boot.c - recognise the kernel file (bzImage, PVH ELF or raw real-mode code) and place the initrd. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "vm.h"
#include "x86/x86.h"

int boot_place_initrd(uint64_t ram_top, uint64_t max_addr, uint64_t min_addr, uint64_t size,
		      uint64_t *ret_addr)
{
	/* max_addr is the highest byte address the initrd may occupy. */
	uint64_t top = ram_top < max_addr + 1 ? ram_top : max_addr + 1;
	if (size == 0 || size > top)
		return -ENOSPC;
	uint64_t addr = (top - size) & ~0xfffULL;
	if (addr < min_addr)
		return -ENOSPC;
	*ret_addr = addr;
	return 0;
}

/* Open a file to load: a regular, non-empty file (it cannot be a kernel or an initrd otherwise). */
static int boot_open_file(const char *path, const char *what, size_t *ret_size,
			  struct cell_error **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cell_error_errno(err, errno, "%s %s", what, path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cell_error_errno(err, errno, "%s %s", what, path);
	if (!S_ISREG(st.st_mode))
		return cell_error_set(err, EINVAL, "%s %s: not a regular file", what, path);
	if (st.st_size == 0)
		return cell_error_set(err, EINVAL, "%s %s: empty file", what, path);
	*ret_size = st.st_size;
	return steal_fd(fd);
}

/*
 * Read len bytes at off straight into dst (guest RAM). Why not mmap + memcpy: large reads cost
 * less than page faults on a file mapping, one per 64 KiB of fault-around, each a trip to the
 * file system (FUSE in the lab: ~80 ms against ~30 ms for the 14 MB of Debian's kernel), and
 * there is one copy less.
 */
int boot_read_at(int fd, void *dst, size_t len, uint64_t off, const char *path,
		 struct cell_error **err)
{
	uint8_t *p = dst;
	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cell_error_errno(err, errno, "read %s", path);
		if (n == 0)
			return cell_error_set(err, EIO, "%s: truncated while loading", path);
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Map a whole file read-only (ELF kernels and LZ4 unpacking read it in place). */
int boot_map_fd(int fd, size_t size, const char *path, const uint8_t **ret, struct cell_error **err)
{
	void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (p == MAP_FAILED)
		return cell_error_errno(err, errno, "kernel %s: mmap", path);
	*ret = p;
	return 0;
}

static int boot_load_real(struct vm *vm, const uint8_t *img, size_t size, struct boot_entry *ret,
			  struct cell_error **err)
{
	const uint64_t at = 0x10000;
	void *dst = vm_gpa_to_hva(vm, at, size);
	if (size > 0x80000 || !dst)
		return cell_error_set(err, EFBIG,
				      "real-mode image: %zu bytes do not fit below 640K", size);
	memcpy(dst, img, size);
	*ret = (struct boot_entry){ .mode = BOOT_MODE_REAL, .ip = at };
	return 0;
}

/*
 * There is no firmware, but Linux may still jump to the reset vector to reboot (its BIOS reboot
 * path ends in a far jump to F000:FFF0). Put a few real-mode bytes there that press our ACPI
 * reset register instead of running into zeroed memory.
 */
static void boot_write_reset_vector(struct vm *vm)
{
	static const uint8_t stub[] = {
		0xb0,
		VM_ACPI_RESET_VALUE, /* mov al, 1 */
		0xba,
		VM_ACPI_RESET & 0xff,
		VM_ACPI_RESET >> 8, /* mov dx, port */
		0xee,		    /* out dx, al */
		0xf4,		    /* hlt */
		0xeb,
		0xfd, /* jmp back to out */
	};
	uint8_t *p = vm_gpa_to_hva(vm, 0xffff0, sizeof(stub));
	if (p)
		memcpy(p, stub, sizeof(stub));
}

int boot_load(struct vm *vm, struct boot_entry *ret, struct cell_error **err)
{
	boot_write_reset_vector(vm);
	const char *path = vm->cfg->kernel;
	size_t size;
	_cleanup_close_ int fd = boot_open_file(path, "kernel", &size, err);
	if (fd < 0)
		return fd;
	/* The bzImage setup header and the ELF header are both in the first page. */
	uint8_t head[BOOT_HEAD_SIZE] = { 0 };
	size_t head_len = size < sizeof(head) ? size : sizeof(head);
	int r = boot_read_at(fd, head, head_len, 0, path, err);
	if (r < 0)
		return r;
	if (!vm->cfg->raw_real_mode && !(size >= 4 && memcmp(head, "\177ELF", 4) == 0))
		return boot_load_bzimage(vm, head, size, fd, ret, err);
	const uint8_t *img;
	if ((r = boot_map_fd(fd, size, path, &img, err)) < 0)
		return r;
	if (vm->cfg->raw_real_mode) {
		uint64_t a, n;
		r = boot_load_real(vm, img, size, ret, err);
		if (r >= 0)
			r = boot_load_initrd(vm, 0xffffffffULL, VM_HIMEM_ADDR, &a, &n, err);
	} else {
		r = boot_load_pvh(vm, img, size, VM_CMDLINE_MAX - 1, ret, err);
	}
	munmap((void *)img, size);
	return r;
}

/* Copy the initrd as high as the kernel allows; returns its address and size. */
int boot_load_initrd(struct vm *vm, uint64_t max_addr, uint64_t min_addr, uint64_t *ret_addr,
		     uint64_t *ret_size, struct cell_error **err)
{
	*ret_addr = *ret_size = 0;
	if (!vm->cfg->initrd)
		return 0;
	size_t size;
	_cleanup_close_ int fd = boot_open_file(vm->cfg->initrd, "initrd", &size, err);
	if (fd < 0)
		return fd;
	uint64_t addr;
	if (boot_place_initrd(vm->low_ram_size, max_addr, min_addr, size, &addr) < 0)
		return cell_error_set(err, ENOSPC,
				      "initrd %s: %zu bytes do not fit in guest memory between "
				      "the kernel and 0x%llx",
				      vm->cfg->initrd, size, (unsigned long long)max_addr);
	int r = boot_read_at(fd, vm_gpa_to_hva(vm, addr, size), size, 0, vm->cfg->initrd, err);
	if (r < 0)
		return r;
	*ret_addr = addr;
	*ret_size = size;
	return 0;
}
