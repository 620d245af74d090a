/* console.c - virtio-console with one port (the guest's hvc0) over the VMM's stdin and stdout. */
#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "virtio.h"

#define CONS_QUEUE_SIZE 64
#define CONS_RXQ 0
#define CONS_TXQ 1
#define CONS_CONFIG_SIZE 12 /* cols, rows, max_nr_ports, emerg_wr: all zero, no features */

struct console {
	int in_fd, out_fd;
	bool polled, in_eof;
	char buf[4096];
};

static uint64_t cons_features(struct virtio_dev *vdev)
{
	return 0;
}

/* Write all of buf; out_fd may share a non-blocking file description with stdin. */
static void cons_write(struct console *c, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t r = write(c->out_fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

			if (poll(&p, 1, 1000) > 0)
				continue;
		}
		if (r <= 0)
			return; /* the reader is gone or stuck: the guest's output is dropped */
		buf += r;
		len -= (size_t)r;
	}
}

static void cons_rx(struct virtio_dev *vdev)
{
	struct console *c = vdev->priv;
	struct virtqueue *vq = &vdev->vqs[CONS_RXQ];
	struct virtq_req *req = vdev->req;
	bool pushed = false;
	int r;

	while (virtio_dev_live(vdev) && vq->ready && !c->in_eof) {
		ssize_t len;

		r = virtq_pop(vq, vdev->host, req);
		if (r < 0) {
			virtio_dev_fail(vdev, "malformed descriptor chain on the receive queue");
			break;
		}
		if (r == 0)
			break; /* input waits until the next rx kick */
		if (req->in_len == 0) {
			/* Nothing writable: a read of 0 bytes would look like end of input. */
			virtq_push(vq, req->head, 0);
			pushed = true;
			continue;
		}
		do
			len = read(c->in_fd, c->buf,
				   req->in_len < sizeof(c->buf) ? req->in_len : sizeof(c->buf));
		while (len < 0 && errno == EINTR);
		if (len <= 0) {
			virtq_unpop(vq);
			if (len == 0 || errno != EAGAIN)
				c->in_eof = true; /* the guest just gets no more input */
			break;
		}
		iov_from_buf(req->in, req->n_in, 0, c->buf, (size_t)len);
		virtq_push(vq, req->head, (uint32_t)len);
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

/* in_fd is watched edge-triggered for the device's lifetime, as net.c explains for the tap. */
static void cons_fd_ready(void *data, int fd, uint32_t events)
{
	struct virtio_dev *vdev = data;

	pthread_mutex_lock(&vdev->lock);
	cons_rx(vdev);
	pthread_mutex_unlock(&vdev->lock);
}

static void cons_tx(struct virtio_dev *vdev)
{
	struct console *c = vdev->priv;
	struct virtqueue *vq = &vdev->vqs[CONS_TXQ];
	struct virtq_req *req = vdev->req;
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, vdev->host, req)) > 0) {
		for (unsigned int i = 0; i < req->n_out; i++)
			cons_write(c, req->out[i].iov_base, req->out[i].iov_len);
		virtq_push(vq, req->head, 0);
		pushed = true;
	}
	if (r < 0)
		virtio_dev_fail(vdev, "malformed descriptor chain on the transmit queue");
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

static void cons_notify(struct virtio_dev *vdev, uint16_t q)
{
	if (q == CONS_TXQ)
		cons_tx(vdev);
	else if (q == CONS_RXQ)
		cons_rx(vdev); /* new buffers: take the input that waited for them */
}

static void cons_destroy(struct virtio_dev *vdev)
{
	struct console *c = vdev->priv;

	if (c && c->polled)
		vdev->host->loop_del(vdev->host->opaque, c->in_fd);
	free(c);
}

static const struct virtio_device_ops cons_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = CONS_QUEUE_SIZE,
	.config_size = CONS_CONFIG_SIZE,
	.features = cons_features,
	.notify = cons_notify,
	.destroy = cons_destroy,
};

int virtio_console_create(const struct virtio_host *host, int in_fd, int out_fd,
			  struct virtio_dev **ret, struct cell_error **err)
{
	struct console *c = calloc(1, sizeof(*c));
	struct virtio_dev *vdev;
	int r;

	if (!c)
		return cell_error_set(err, ENOMEM, "virtio-console: out of memory");
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->in_eof = in_fd < 0;
	r = virtio_dev_new(&cons_ops, host, c, &vdev, err);
	if (r < 0)
		return r;
	if (in_fd >= 0) {
		r = host->loop_add(host->opaque, in_fd, EPOLLIN | EPOLLET, cons_fd_ready, vdev,
				   err);
		if (r == -EPERM) {
			/* A regular file or /dev/null cannot be polled: no input, as with -1. */
			if (err)
				cell_error_freep(err);
			c->in_eof = true;
		} else if (r < 0) {
			virtio_dev_free(vdev);
			return cell_error_wrap(err, "virtio-console: input");
		} else {
			c->polled = true;
		}
	}
	*ret = vdev;
	return 0;
}
