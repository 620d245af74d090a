/* fake-host.c - a virtio_host over a malloc'd guest RAM, plus a tiny driver, for tests and fuzzers. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "fake-host.h"

static void *fake_translate(void *opaque, uint64_t addr, uint64_t len)
{
	struct fake_host *fh = opaque;

	if (addr < FAKE_RAM_BASE || len > fh->ram_size || addr - FAKE_RAM_BASE > fh->ram_size - len)
		return NULL;
	return fh->ram + (addr - FAKE_RAM_BASE);
}

static int fake_mmio_register(void *opaque, uint64_t base, uint64_t len, virtio_mmio_fn fn,
			      void *dev, struct cell_error **err)
{
	struct fake_host *fh = opaque;

	fh->mmio_fn = fn;
	fh->mmio_dev = dev;
	return 0;
}

static void fake_irq_raise(void *opaque, uint32_t gsi)
{
	((struct fake_host *)opaque)->irqs++;
}

/* The loop is a real epoll instance, so edge-triggered watches behave as in the VMM. */
static int fake_loop_add(void *opaque, int fd, uint32_t events, virtio_loop_fn fn, void *data,
			 struct cell_error **err)
{
	struct fake_host *fh = opaque;

	for (int i = 0; i < FAKE_MAX_WATCH; i++) {
		if (!fh->watch[i].fn) {
			struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };

			if (epoll_ctl(fh->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
				return cell_error_errno(err, errno, "epoll_ctl add fd %d", fd);
			fh->watch[i] = (struct fake_watch){ fd, events, fn, data };
			return 0;
		}
	}
	return cell_error_set(err, ENOSPC, "fake loop full");
}

static int fake_loop_mod(void *opaque, int fd, uint32_t events)
{
	struct fake_host *fh = opaque;

	for (int i = 0; i < FAKE_MAX_WATCH; i++) {
		if (fh->watch[i].fn && fh->watch[i].fd == fd) {
			struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)i };

			fh->watch[i].events = events;
			epoll_ctl(fh->epfd, EPOLL_CTL_MOD, fd, &ev);
		}
	}
	return 0;
}

static void fake_loop_del(void *opaque, int fd)
{
	struct fake_host *fh = opaque;

	for (int i = 0; i < FAKE_MAX_WATCH; i++) {
		if (fh->watch[i].fn && fh->watch[i].fd == fd) {
			epoll_ctl(fh->epfd, EPOLL_CTL_DEL, fd, NULL);
			fh->watch[i] = (struct fake_watch){ 0 };
		}
	}
}

static int fake_irqfd_register(void *opaque, int fd, uint32_t gsi, struct cell_error **err)
{
	((struct fake_host *)opaque)->irqfd = fd;
	return 0;
}

static int fake_ioeventfd_register(void *opaque, uint64_t addr, uint32_t len, uint64_t datamatch,
				   int fd, struct cell_error **err)
{
	struct fake_host *fh = opaque;

	for (int i = 0; i < FAKE_MAX_WATCH; i++) {
		if (fh->ioeventfd[i].fd < 0) {
			fh->ioeventfd[i].addr = addr;
			fh->ioeventfd[i].datamatch = datamatch;
			fh->ioeventfd[i].fd = fd;
			return 0;
		}
	}
	return cell_error_set(err, ENOSPC, "fake ioeventfds full");
}

void fake_host_kvm_like(struct fake_host *fh)
{
	fh->host.irqfd_register = fake_irqfd_register;
	fh->host.ioeventfd_register = fake_ioeventfd_register;
}

unsigned int fake_host_irqfd_count(struct fake_host *fh)
{
	uint64_t n = 0;

	if (fh->irqfd < 0 || read(fh->irqfd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return (unsigned int)n;
}

void fake_host_init(struct fake_host *fh, uint64_t ram_size)
{
	memset(fh, 0, sizeof(*fh));
	fh->ram = aligned_alloc(4096, ram_size);
	memset(fh->ram, 0, ram_size);
	fh->ram_size = ram_size;
	fh->epfd = epoll_create1(EPOLL_CLOEXEC);
	fh->irqfd = -1;
	for (int i = 0; i < FAKE_MAX_WATCH; i++)
		fh->ioeventfd[i].fd = -1;
	fh->next_buf = FAKE_RAM_BASE + 0x40000;
	fh->host = (struct virtio_host){
		.opaque = fh,
		.translate = fake_translate,
		.mmio_register = fake_mmio_register,
		.irq_raise = fake_irq_raise,
		.loop_add = fake_loop_add,
		.loop_mod = fake_loop_mod,
		.loop_del = fake_loop_del,
	};
}

void fake_host_fini(struct fake_host *fh)
{
	free(fh->ram);
	fh->ram = NULL;
	if (fh->epfd >= 0)
		close(fh->epfd);
	fh->epfd = -1;
}

void *gpa(struct fake_host *fh, uint64_t addr)
{
	return fh->ram + (addr - FAKE_RAM_BASE);
}

int fake_host_dispatch(struct fake_host *fh)
{
	struct epoll_event evs[FAKE_MAX_WATCH];
	int n = epoll_wait(fh->epfd, evs, FAKE_MAX_WATCH, 0);

	for (int i = 0; i < n; i++) {
		struct fake_watch *w = &fh->watch[evs[i].data.u32];

		if (w->fn)
			w->fn(w->data, w->fd, evs[i].events);
	}
	return n < 0 ? 0 : n;
}

uint32_t mmio_read(struct fake_host *fh, uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	fh->mmio_fn(fh->mmio_dev, off, (uint8_t *)&v, 4, false);
	return v;
}

void mmio_write(struct fake_host *fh, uint64_t off, uint32_t val)
{
	/* As KVM does: a write an ioeventfd matches never reaches the device's handler. */
	for (int i = 0; i < FAKE_MAX_WATCH; i++) {
		if (fh->ioeventfd[i].fd >= 0 && off == VIRTIO_MMIO_QUEUE_NOTIFY &&
		    fh->ioeventfd[i].datamatch == val) {
			uint64_t one = 1;

			if (write(fh->ioeventfd[i].fd, &one, sizeof(one)) != sizeof(one))
				abort();
			fake_host_dispatch(fh);
			return;
		}
	}
	fh->mmio_fn(fh->mmio_dev, off, (uint8_t *)&val, 4, true);
}

uint64_t drv_desc(unsigned int q)
{
	return FAKE_RAM_BASE + q * 0x10000;
}

uint64_t drv_avail(unsigned int q)
{
	return drv_desc(q) + 0x4000;
}

uint64_t drv_used(unsigned int q)
{
	return drv_desc(q) + 0x8000;
}

uint32_t drv_start(struct fake_host *fh, unsigned int nq, uint16_t qsize, uint64_t features)
{
	features |= 1ULL << VIRTIO_F_VERSION_1;
	mmio_write(fh, VIRTIO_MMIO_STATUS, 0);
	mmio_write(fh, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	mmio_write(fh, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mmio_write(fh, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	mmio_write(fh, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(fh, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	mmio_write(fh, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			   VIRTIO_CONFIG_S_FEATURES_OK);
	for (unsigned int q = 0; q < nq; q++) {
		mmio_write(fh, VIRTIO_MMIO_QUEUE_SEL, q);
		mmio_write(fh, VIRTIO_MMIO_QUEUE_NUM, qsize);
		mmio_write(fh, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)drv_desc(q));
		mmio_write(fh, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
		mmio_write(fh, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)drv_avail(q));
		mmio_write(fh, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
		mmio_write(fh, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)drv_used(q));
		mmio_write(fh, VIRTIO_MMIO_QUEUE_USED_HIGH, 0);
		mmio_write(fh, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	mmio_write(fh, VIRTIO_MMIO_STATUS,
		   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
			   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	return mmio_read(fh, VIRTIO_MMIO_STATUS);
}

uint64_t drv_alloc(struct fake_host *fh, uint32_t len)
{
	uint64_t a = fh->next_buf;

	fh->next_buf = (fh->next_buf + len + 15) & ~15ULL;
	memset(gpa(fh, a), 0, len);
	return a;
}

void drv_submit(struct fake_host *fh, unsigned int q, uint16_t qsize, uint16_t first,
		const struct drv_buf *bufs, unsigned int n)
{
	struct vring_desc *d = gpa(fh, drv_desc(q));
	struct vring_avail *av = gpa(fh, drv_avail(q));

	for (unsigned int i = 0; i < n; i++) {
		uint16_t k = (uint16_t)((first + i) % qsize);

		d[k].addr = bufs[i].addr;
		d[k].len = bufs[i].len;
		d[k].flags = (uint16_t)((bufs[i].write ? VRING_DESC_F_WRITE : 0) |
					(i + 1 < n ? VRING_DESC_F_NEXT : 0));
		d[k].next = (uint16_t)((first + i + 1) % qsize);
	}
	av->ring[av->idx % qsize] = first;
	av->idx++;
	mmio_write(fh, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

uint16_t drv_used_idx(struct fake_host *fh, unsigned int q)
{
	return ((struct vring_used *)gpa(fh, drv_used(q)))->idx;
}

void drv_used_elem(struct fake_host *fh, unsigned int q, uint16_t qsize, uint16_t i, uint32_t *id,
		   uint32_t *len)
{
	struct vring_used *u = gpa(fh, drv_used(q));

	*id = u->ring[i % qsize].id;
	*len = u->ring[i % qsize].len;
}
