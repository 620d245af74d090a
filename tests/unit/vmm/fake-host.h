/* fake-host.h - a virtio_host over a malloc'd guest RAM, plus a tiny driver, for tests and fuzzers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define FAKE_RAM_BASE 0x100000ULL
#define FAKE_MAX_WATCH 8

struct fake_watch {
	int fd;
	uint32_t events;
	virtio_loop_fn fn;
	void *data;
};

struct fake_host {
	struct virtio_host host;
	uint8_t *ram;
	uint64_t ram_size;
	unsigned int irqs; /* interrupts raised */
	int epfd;	   /* the device loop */
	struct fake_watch watch[FAKE_MAX_WATCH];
	virtio_mmio_fn mmio_fn;
	void *mmio_dev;
	uint64_t next_buf; /* bump allocator for driver buffers */
	/* KVM-like: QueueNotify writes signal the ioeventfd and the loop serves them; interrupts
	 * go through the irqfd (counted when read). */
	struct {
		uint64_t addr, datamatch;
		int fd;
	} ioeventfd[FAKE_MAX_WATCH];
	int irqfd;
};

/* Offer ioeventfd and irqfd, as cellvm does over KVM (call before virtio_mmio_create). */
void fake_host_kvm_like(struct fake_host *fh);
/* Interrupts signalled on the irqfd since the last call. */
unsigned int fake_host_irqfd_count(struct fake_host *fh);

void fake_host_init(struct fake_host *fh, uint64_t ram_size);
void fake_host_fini(struct fake_host *fh);
/* Guest-physical address -> pointer into the fake RAM (the test's view; no checks). */
void *gpa(struct fake_host *fh, uint64_t addr);
/* One non-blocking round of the device loop; returns how many callbacks ran. */
int fake_host_dispatch(struct fake_host *fh);

/* ---- A minimal virtio driver over the MMIO registers ---- */
uint32_t mmio_read(struct fake_host *fh, uint64_t off);
void mmio_write(struct fake_host *fh, uint64_t off, uint32_t val);

/* Ring addresses the driver uses for queue q. */
uint64_t drv_desc(unsigned int q);
uint64_t drv_avail(unsigned int q);
uint64_t drv_used(unsigned int q);

/* Negotiate (VERSION_1 | extra features), set up nq queues of size qsize, DRIVER_OK.
 * Returns the status read back. */
uint32_t drv_start(struct fake_host *fh, unsigned int nq, uint16_t qsize, uint64_t features);
/* A fresh guest buffer of len bytes (zeroed); returns its gpa. */
uint64_t drv_alloc(struct fake_host *fh, uint32_t len);

struct drv_buf {
	uint64_t addr;
	uint32_t len;
	bool write;
};
/* Put a chain of n buffers at descriptors first.. of queue q (size qsize), make it available
 * and kick. */
void drv_submit(struct fake_host *fh, unsigned int q, uint16_t qsize, uint16_t first,
		const struct drv_buf *bufs, unsigned int n);
/* Entries in the used ring of q; the last one's id/len. */
uint16_t drv_used_idx(struct fake_host *fh, unsigned int q);
void drv_used_elem(struct fake_host *fh, unsigned int q, uint16_t qsize, uint16_t i, uint32_t *id,
		   uint32_t *len);
