/* fuzz-layout.h - turn a fuzz input into guest RAM contents: one queue's rings plus data. */
#pragma once

#include <linux/virtio_ring.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fake-host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM (128 * 1024)
#define FUZZ_DATA (FAKE_RAM_BASE + 0x1a000) /* after both queues' rings, to the end of RAM */

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline void fuzz_bytes(struct fuzz_in *in, void *dst, size_t len)
{
	size_t l = len < in->n ? len : in->n;

	memcpy(dst, in->p, l);
	memset((uint8_t *)dst + l, 0, len - l);
	in->p += l;
	in->n -= l;
}

/*
 * Input layout: avail idx (2 bytes), qsize avail ring entries, qsize descriptors, then data
 * copied to FUZZ_DATA. With relocate, descriptor addresses are taken relative to the start of
 * RAM, so most land inside it; without, they are raw (exercising the bounds checks).
 */
static inline void fuzz_fill_queue(struct fake_host *fh, struct fuzz_in *in, unsigned int q,
				   uint16_t qsize, uint16_t last_avail, bool relocate)
{
	struct vring_avail *av = gpa(fh, drv_avail(q));
	struct vring_desc *d = gpa(fh, drv_desc(q));
	uint16_t delta;

	fuzz_bytes(in, &delta, sizeof(delta));
	av->idx = (uint16_t)(last_avail + delta);
	fuzz_bytes(in, av->ring, 2u * qsize);
	fuzz_bytes(in, d, 16u * qsize);
	for (uint16_t i = 0; relocate && i < qsize; i++)
		d[i].addr += FAKE_RAM_BASE;
}

static inline void fuzz_fill_data(struct fake_host *fh, struct fuzz_in *in)
{
	size_t room = FAKE_RAM_BASE + FUZZ_RAM - FUZZ_DATA;

	fuzz_bytes(in, gpa(fh, FUZZ_DATA), in->n < room ? in->n : room);
}
