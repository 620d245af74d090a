/* iobus.c - sorted, non-overlapping address ranges with binary-search lookup for PIO and MMIO. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iobus.h"

/* Index of the first range whose end lies beyond addr. */
static size_t iobus_lower_bound(const struct iobus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct iobus_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len, iobus_fn fn, void *opaque,
		   const char *name, struct cell_error **err)
{
	if (len == 0 || base + len < base)
		return cell_error_set(err, EINVAL, "%s: empty or wrapping range at 0x%llx", name,
				      (unsigned long long)base);
	size_t i = iobus_lower_bound(bus, base);
	if (i < bus->n && bus->ranges[i].base < base + len)
		return cell_error_set(err, EBUSY, "%s: range 0x%llx+0x%llx overlaps %s", name,
				      (unsigned long long)base, (unsigned long long)len,
				      bus->ranges[i].name);
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 8;
		struct iobus_range *r = realloc(bus->ranges, cap * sizeof(*r));
		if (!r)
			return cell_error_set(err, ENOMEM, "%s: out of memory", name);
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct iobus_range){ base, len, fn, opaque, name };
	bus->n++;
	return 0;
}

const struct iobus_range *iobus_find(const struct iobus *bus, uint64_t addr, uint32_t len)
{
	size_t i = iobus_lower_bound(bus, addr);

	if (i >= bus->n)
		return NULL;
	const struct iobus_range *r = &bus->ranges[i];
	if (addr < r->base || addr + len < addr || addr + len > r->base + r->len)
		return NULL;
	return r;
}

bool iobus_access(const struct iobus *bus, uint64_t addr, uint8_t *data, uint32_t len,
		  bool is_write)
{
	const struct iobus_range *r = iobus_find(bus, addr, len);

	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	r->fn(r->opaque, addr - r->base, data, len, is_write);
	return true;
}

void iobus_unregister(struct iobus *bus, uint64_t base)
{
	size_t i = iobus_lower_bound(bus, base);
	if (i >= bus->n || bus->ranges[i].base != base)
		return;
	memmove(&bus->ranges[i], &bus->ranges[i + 1], (bus->n - i - 1) * sizeof(bus->ranges[0]));
	bus->n--;
}

void iobus_free(struct iobus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
}
