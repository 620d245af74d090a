/* device.c - transport-independent virtio device state: features, status, queues, failure. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <stdlib.h>

#include "log.h"
#include "virtio.h"

int virtio_dev_new(const struct virtio_device_ops *ops, const struct virtio_host *host, void *priv,
		   struct virtio_dev **ret, struct cell_error **err)
{
	struct virtio_dev *vdev = calloc(1, sizeof(*vdev));

	if (!vdev)
		goto oom;
	vdev->ops = ops;
	vdev->host = host;
	vdev->priv = priv;
	vdev->vqs = calloc(ops->num_queues, sizeof(*vdev->vqs));
	vdev->req = malloc(sizeof(*vdev->req));
	if (!vdev->vqs || !vdev->req) {
		free(vdev->vqs);
		free(vdev->req);
		free(vdev);
		goto oom;
	}
	pthread_mutex_init(&vdev->lock, NULL);
	for (uint16_t q = 0; q < ops->num_queues; q++) {
		vdev->vqs[q].index = q;
		vdev->vqs[q].max_size = ops->queue_max_size;
		virtq_reset(&vdev->vqs[q]);
	}
	*ret = vdev;
	return 0;
oom:
	if (ops->destroy) {
		struct virtio_dev tmp = { .ops = ops, .priv = priv };
		ops->destroy(&tmp);
	}
	return cell_error_set(err, ENOMEM, "%s: out of memory", ops->name);
}

void virtio_dev_free(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	if (vdev->ops->destroy)
		vdev->ops->destroy(vdev);
	pthread_mutex_destroy(&vdev->lock);
	free(vdev->vqs);
	free(vdev->req);
	free(vdev);
}

bool virtio_dev_has(const struct virtio_dev *vdev, unsigned int bit)
{
	return bit < 64 && (vdev->driver_features & (1ULL << bit));
}

bool virtio_dev_live(const struct virtio_dev *vdev)
{
	return (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

void virtio_dev_fail(struct virtio_dev *vdev, const char *why)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	/* The guest can only hurt its own device. Say so, but a guest that breaks and resets its
	 * device in a loop must not flood the VMM's log. */
	if (vdev->failures < 10)
		log_warn("%s: guest error, device needs reset: %s%s", vdev->ops->name, why,
			 vdev->failures == 9 ? " (further errors not logged)" : "");
	vdev->failures++;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) && vdev->transport)
		vdev->transport->interrupt(vdev, VIRTIO_ISR_CONFIG);
}

void virtio_dev_signal(struct virtio_dev *vdev, struct virtqueue *vq)
{
	if (vdev->transport && virtq_should_interrupt(vq))
		vdev->transport->interrupt(vdev, VIRTIO_ISR_QUEUE);
}

void virtio_dev_reset(struct virtio_dev *vdev)
{
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (uint16_t q = 0; q < vdev->ops->num_queues; q++)
		virtq_reset(&vdev->vqs[q]);
	vdev->status = 0;
	vdev->isr = 0;
	vdev->driver_features = 0;
}
