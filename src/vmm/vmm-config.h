/* vmm-config.h - what a VM is made of, from the command line or a JSON config file (same fields). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

#define VMM_MAX_DISKS 8

enum vmm_console {
	VMM_CONSOLE_SERIAL,
	VMM_CONSOLE_VIRTIO,
};

/* Who decompresses a bzImage's kernel (see docs/vmm.md, "Boot"). */
enum vmm_decompress {
	/* The default: cellvm unpacks an LZ4 payload straight into guest RAM and randomizes it as
	 * the decompressor would (boot-kaslr.c); any other kernel goes to its own decompressor.
	 * Faster to init than the guest's decompressor in every rotated lab run (docs/vmm.md). */
	VMM_DECOMPRESS_HOST,
	VMM_DECOMPRESS_GUEST, /* the kernel's own decompressor, through the 64-bit entry */
};

struct vmm_disk {
	char *path;
	bool readonly;
};

struct vmm_config {
	char *kernel;
	char *initrd;
	char *cmdline;
	unsigned cpus;
	uint64_t memory; /* bytes */
	struct vmm_disk disks[VMM_MAX_DISKS];
	unsigned ndisks;
	char *net_tap; /* NULL: no network */
	char *net_mac; /* NULL: generated */
	enum vmm_console console;
	enum vmm_decompress decompress;
	bool rng;
	bool sandbox;	    /* seccomp + capability drop after setup (default on) */
	bool hugepages;	    /* back RAM with hugetlbfs pages instead of transparent huge pages */
	bool raw_real_mode; /* --kernel is raw 16-bit code loaded at 0x10000 (tests, bench) */
};

void vmm_config_init(struct vmm_config *cfg);
void vmm_config_free(struct vmm_config *cfg);
/* Parse argv; returns 1 when --help/--version was handled, 0 to run, -errno on bad input. */
int vmm_config_parse_args(struct vmm_config *cfg, int argc, char **argv, struct cell_error **err);
int vmm_config_load_json(struct vmm_config *cfg, const char *path, struct cell_error **err);
/* Parse "512M", "2G", "1048576" into bytes. */
int vmm_parse_size(const char *s, uint64_t *ret);
/* "host" or "guest" into *ret; -EINVAL otherwise. */
int vmm_parse_decompress(const char *s, enum vmm_decompress *ret);
int vmm_config_validate(const struct vmm_config *cfg, struct cell_error **err);
