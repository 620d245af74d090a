/* rng.c - virtio-rng: fills the guest's buffers from getrandom(). */
#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <sys/random.h>

#include "virtio.h"

#define RNG_QUEUE_SIZE 64
/* Bytes per request at most: the guest asks again when it wants more. */
#define RNG_CHUNK 4096

static uint64_t rng_features(struct virtio_dev *vdev)
{
	return 0;
}

/* Fill up to RNG_CHUNK bytes of the request's writable buffers; returns the bytes written. */
static uint32_t rng_fill(struct virtq_req *req)
{
	size_t want = req->in_len < RNG_CHUNK ? req->in_len : RNG_CHUNK, done = 0;

	unsigned int i = 0;

	while (i < req->n_in && done < want) {
		size_t l = req->in[i].iov_len < want - done ? req->in[i].iov_len : want - done;
		ssize_t r = getrandom(req->in[i].iov_base, l, 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
		if ((size_t)r < l)
			break; /* a short read: hand over what we have */
		i++;
	}
	return (uint32_t)done;
}

static void rng_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtqueue *vq = &vdev->vqs[q];
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, vdev->host, vdev->req)) > 0) {
		virtq_push(vq, vdev->req->head, rng_fill(vdev->req));
		pushed = true;
	}
	if (r < 0)
		virtio_dev_fail(vdev, "malformed descriptor chain on the request queue");
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = RNG_QUEUE_SIZE,
	.config_size = 0,
	.features = rng_features,
	.notify = rng_notify,
};

int virtio_rng_create(const struct virtio_host *host, struct virtio_dev **ret,
		      struct cell_error **err)
{
	return virtio_dev_new(&rng_ops, host, NULL, ret, err);
}
