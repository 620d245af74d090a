/* mmio.c - the virtio-mmio transport (virtio 1.x, register layout version 2). */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "cleanup.h"
#include "virtio.h"

#define MMIO_MAGIC 0x74726976 /* "virt" */
#define MMIO_VERSION 2
#define MMIO_CONFIG 0x100

struct mmio_notify {
	struct virtio_mmio *mmio;
	uint16_t q;
	int fd;
	bool ioeventfd, polled;
};

struct virtio_mmio {
	struct virtio_dev *vdev;
	uint64_t base;
	uint32_t gsi;
	int irq_fd; /* irqfd, or -1 when the host raises interrupts by call */
	bool registered;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	struct mmio_notify *notify; /* one per queue */
};

static void mmio_interrupt(struct virtio_dev *vdev, uint32_t isr_bits)
{
	struct virtio_mmio *mmio = vdev->transport_data;
	uint64_t one = 1;

	vdev->isr |= isr_bits;
	if (mmio->irq_fd >= 0) {
		/* EAGAIN means the counter is already pending: the edge will fire anyway. */
		(void)!write(mmio->irq_fd, &one, sizeof(one));
	} else if (vdev->host->irq_raise) {
		vdev->host->irq_raise(vdev->host->opaque, mmio->gsi);
	}
}

static const struct virtio_transport mmio_transport = {
	.interrupt = mmio_interrupt,
};

static uint64_t device_features(struct virtio_dev *vdev)
{
	return vdev->ops->features(vdev) | (1ULL << VIRTIO_F_VERSION_1) |
	       (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
}

static void queue_notify(struct virtio_dev *vdev, uint32_t q)
{
	if (q < vdev->ops->num_queues && vdev->vqs[q].ready && virtio_dev_live(vdev))
		vdev->ops->notify(vdev, (uint16_t)q);
}

static void notify_fd_ready(void *data, int fd, uint32_t events)
{
	struct mmio_notify *n = data;
	struct virtio_dev *vdev = n->mmio->vdev;
	uint64_t count;

	if (read(fd, &count, sizeof(count)) != sizeof(count))
		return;
	pthread_mutex_lock(&vdev->lock);
	queue_notify(vdev, n->q);
	pthread_mutex_unlock(&vdev->lock);
}

static void status_write(struct virtio_mmio *mmio, uint32_t val)
{
	struct virtio_dev *vdev = mmio->vdev;
	uint32_t old = vdev->status;

	if (val == 0) {
		virtio_dev_reset(vdev);
		return;
	}
	val &= VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK |
	       VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_FAILED;
	val |= old & VIRTIO_CONFIG_S_NEEDS_RESET; /* only a reset clears it */
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		uint64_t f = vdev->driver_features;

		/* Refuse (leave FEATURES_OK clear, which the driver reads back) features we never
		 * offered, and legacy drivers: this transport speaks 1.x only. */
		if ((f & ~device_features(vdev)) || !(f & (1ULL << VIRTIO_F_VERSION_1)))
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		for (uint16_t q = 0; q < vdev->ops->num_queues; q++)
			vdev->vqs[q].indirect = f & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	}
	vdev->status = val;
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		if (!(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
			virtio_dev_fail(vdev, "DRIVER_OK without FEATURES_OK");
			return;
		}
		if (vdev->ops->activate)
			vdev->ops->activate(vdev);
	}
}

static uint32_t reg_read(struct virtio_mmio *mmio, uint64_t off)
{
	struct virtio_dev *vdev = mmio->vdev;
	struct virtqueue *vq =
		mmio->queue_sel < vdev->ops->num_queues ? &vdev->vqs[mmio->queue_sel] : NULL;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return MMIO_VERSION;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (mmio->dev_features_sel > 1)
			return 0;
		return (uint32_t)(device_features(vdev) >> (32 * mmio->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return vq ? vq->max_size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return vdev->isr;
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff; /* no shared memory regions: length and base read as -1 */
	default:
		return 0; /* write-only or reserved */
	}
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	*v = high ? (*v & 0xffffffffULL) | ((uint64_t)val << 32) : (*v & ~0xffffffffULL) | val;
}

/* Queue registers: a queue's setup is frozen once it is ready. */
static void queue_reg_write(struct virtio_mmio *mmio, uint64_t off, uint32_t val)
{
	struct virtio_dev *vdev = mmio->vdev;
	struct virtqueue *vq;

	if (mmio->queue_sel >= vdev->ops->num_queues)
		return;
	vq = &vdev->vqs[mmio->queue_sel];
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (!val) {
			vq->ready = false;
		} else if (!vq->ready) {
			if (virtq_setup(vq, vdev->host) < 0)
				virtio_dev_fail(vdev, "queue size or ring address invalid");
			else
				vq->ready = true;
		}
		return;
	}
	if (vq->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		vq->size = val > 0xffff ? 0 : (uint16_t)val; /* checked at QueueReady */
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&vq->desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_half(&vq->avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_half(&vq->used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	}
}

static void reg_write(struct virtio_mmio *mmio, uint64_t off, uint32_t val)
{
	struct virtio_dev *vdev = mmio->vdev;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		mmio->dev_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Features are fixed once FEATURES_OK is set. */
		if (mmio->drv_features_sel <= 1 && !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&vdev->driver_features, mmio->drv_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		mmio->drv_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		mmio->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		queue_notify(vdev, val);
		break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		vdev->isr &= ~val;
		break;
	case VIRTIO_MMIO_STATUS:
		status_write(mmio, val);
		break;
	default:
		queue_reg_write(mmio, off, val);
		break;
	}
}

static void config_access(struct virtio_dev *vdev, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	if (off > vdev->ops->config_size || len > vdev->ops->config_size - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		if (vdev->ops->config_write)
			vdev->ops->config_write(vdev, (uint32_t)off, data, len);
	} else {
		memset(data, 0, len);
		if (vdev->ops->config_read)
			vdev->ops->config_read(vdev, (uint32_t)off, data, len);
	}
}

void virtio_mmio_access(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_mmio *mmio = opaque;
	struct virtio_dev *vdev = mmio->vdev;
	uint32_t val;

	if (len == 0 || len > 8 || off >= VIRTIO_MMIO_SIZE || len > VIRTIO_MMIO_SIZE - off)
		return;
	pthread_mutex_lock(&vdev->lock);
	if (off >= MMIO_CONFIG) {
		config_access(vdev, off - MMIO_CONFIG, data, len, is_write);
	} else if (len != 4 || (off & 3)) {
		/* The register file is 32-bit only; anything else reads 0 and writes nothing. */
		if (!is_write)
			memset(data, 0, len);
	} else if (is_write) {
		memcpy(&val, data, 4);
		reg_write(mmio, off, le32toh(val));
	} else {
		val = htole32(reg_read(mmio, off));
		memcpy(data, &val, 4);
	}
	pthread_mutex_unlock(&vdev->lock);
}

struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *mmio)
{
	return mmio->vdev;
}

/* One eventfd per queue: KVM signals it on QueueNotify (ioeventfd), the loop thread serves it. */
static int notify_setup(struct virtio_mmio *mmio, struct cell_error **err)
{
	const struct virtio_host *h = mmio->vdev->host;
	uint16_t nq = mmio->vdev->ops->num_queues;
	int r;

	mmio->notify = calloc(nq, sizeof(*mmio->notify));
	if (!mmio->notify)
		return cell_error_set(err, ENOMEM, "virtio-mmio: out of memory");
	for (uint16_t q = 0; q < nq; q++)
		mmio->notify[q] = (struct mmio_notify){ .mmio = mmio, .q = q, .fd = -1 };
	if (!h->ioeventfd_register)
		return 0;
	for (uint16_t q = 0; q < nq; q++) {
		struct mmio_notify *n = &mmio->notify[q];

		n->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (n->fd < 0)
			return cell_error_errno(err, errno, "virtio-mmio: eventfd");
		r = h->ioeventfd_register(h->opaque, mmio->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4, q,
					  n->fd, err);
		if (r < 0)
			return r;
		n->ioeventfd = true;
		r = h->loop_add(h->opaque, n->fd, EPOLLIN, notify_fd_ready, n, err);
		if (r < 0)
			return r;
		n->polled = true;
	}
	return 0;
}

int virtio_mmio_create(struct virtio_dev *vdev, uint64_t base, uint32_t gsi,
		       struct virtio_mmio **ret, struct cell_error **err)
{
	const struct virtio_host *h = vdev->host;
	struct virtio_mmio *mmio = calloc(1, sizeof(*mmio));
	int r;

	if (!mmio) {
		virtio_dev_free(vdev);
		return cell_error_set(err, ENOMEM, "virtio-mmio: out of memory");
	}
	mmio->vdev = vdev;
	mmio->base = base;
	mmio->gsi = gsi;
	mmio->irq_fd = -1;
	vdev->transport = &mmio_transport;
	vdev->transport_data = mmio;
	if (h->irqfd_register) {
		mmio->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (mmio->irq_fd < 0) {
			r = cell_error_errno(err, errno, "virtio-mmio: eventfd");
			goto fail;
		}
		r = h->irqfd_register(h->opaque, mmio->irq_fd, gsi, err);
		if (r < 0) {
			cleanup_closep(&mmio->irq_fd);
			goto fail;
		}
	}
	r = notify_setup(mmio, err);
	if (r < 0)
		goto fail;
	r = h->mmio_register(h->opaque, base, VIRTIO_MMIO_SIZE, virtio_mmio_access, mmio, err);
	if (r < 0)
		goto fail;
	mmio->registered = true;
	*ret = mmio;
	return 0;
fail:
	cell_error_wrap(err, "%s at 0x%llx", vdev->ops->name, (unsigned long long)base);
	virtio_mmio_destroy(mmio);
	return r;
}

void virtio_mmio_destroy(struct virtio_mmio *mmio)
{
	const struct virtio_host *h;

	if (!mmio)
		return;
	h = mmio->vdev->host;
	if (mmio->registered && h->mmio_unregister)
		h->mmio_unregister(h->opaque, mmio->base, VIRTIO_MMIO_SIZE);
	for (uint16_t q = 0; mmio->notify && q < mmio->vdev->ops->num_queues; q++) {
		struct mmio_notify *n = &mmio->notify[q];

		if (n->polled)
			h->loop_del(h->opaque, n->fd);
		if (n->ioeventfd && h->ioeventfd_unregister)
			h->ioeventfd_unregister(h->opaque, mmio->base + VIRTIO_MMIO_QUEUE_NOTIFY, 4,
						q, n->fd);
		cleanup_closep(&n->fd);
	}
	if (mmio->irq_fd >= 0) {
		if (h->irqfd_unregister)
			h->irqfd_unregister(h->opaque, mmio->irq_fd, mmio->gsi);
		cleanup_closep(&mmio->irq_fd);
	}
	free(mmio->notify);
	virtio_dev_free(mmio->vdev);
	free(mmio);
}
