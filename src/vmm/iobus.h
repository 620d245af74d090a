/* iobus.h - interval lookup from guest port-I/O or MMIO addresses to the device that claimed them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A device access: offset is relative to the start of the claimed range; data holds len bytes
 * (1, 2, 4 or 8) to write, or receives them on a read. Handlers run on vCPU threads and take
 * their own locks.
 */
typedef void (*iobus_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

struct iobus_range {
	uint64_t base;
	uint64_t len;
	iobus_fn fn;
	void *opaque;
	const char *name;
};

struct iobus {
	struct iobus_range *ranges; /* sorted by base, never overlapping */
	size_t n;
	size_t cap;
};

/* Claim [base, base+len); fails with -EBUSY naming both devices when it overlaps a claim. */
int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, iobus_fn fn, void *opaque,
		   const char *name, struct cell_error **err);
/* The range that holds [addr, addr+len) entirely, or NULL. */
const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr, uint32_t len);
/*
 * Dispatch an access; false when nothing claims it (reads then see all ones, as on a real bus
 * with nothing behind the address).
 */
bool iobus_access(const struct iobus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		  bool is_write);
/* Drop the claim that starts at base (only while no vCPU runs). */
void iobus_unregister(struct iobus *bus, uint64_t base);
void iobus_free(struct iobus *bus);
