/* net.c - virtio-net over a tap: rx when the tap is readable and the guest posted buffers. */
#include <errno.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <unistd.h>

#include "backend.h"
#include "cleanup.h"
#include "log.h"
#include "virtio.h"

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_HDR_LEN sizeof(struct virtio_net_hdr_v1)
/* Without segmentation offload a frame is at most a 65535-byte MTU plus Ethernet and VLAN. */
#define NET_MAX_FRAME (65535 + 18)

struct net {
	int fd;
	bool polled; /* fd is in the device loop */
	bool dead;   /* the tap failed; stop touching it */
	struct virtio_net_config config;
	struct iovec iov[VIRTQ_MAX_CHAIN + 1];
	uint8_t buf[NET_HDR_LEN + NET_MAX_FRAME];
};

static uint64_t net_features(struct virtio_dev *vdev)
{
	return 1ULL << VIRTIO_NET_F_MAC;
}

static void net_config_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	struct net *n = vdev->priv;

	memcpy(data, (uint8_t *)&n->config + off, len);
}

/* Deliver one frame read from the tap into the next rx chain; false when none could be taken. */
static bool net_rx_one(struct virtio_dev *vdev, size_t len)
{
	struct virtqueue *vq = &vdev->vqs[NET_RXQ];
	struct virtq_req *req = vdev->req;
	struct virtio_net_hdr_v1 hdr = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	int r = virtq_pop(vq, vdev->host, req);

	if (r < 0) {
		virtio_dev_fail(vdev, "malformed descriptor chain on the rx queue");
		return false;
	}
	if (r == 0)
		return false;
	if (req->in_len < len) {
		/* The guest's buffer is too small for this frame: drop the frame, keep the buffer. */
		virtq_unpop(vq);
		return true;
	}
	/* We negotiated no offloads, so the guest gets a plain header whatever the tap said. */
	hdr.num_buffers = htole16(1);
	memcpy(((struct net *)vdev->priv)->buf, &hdr, NET_HDR_LEN);
	iov_from_buf(req->in, req->n_in, 0, ((struct net *)vdev->priv)->buf, len);
	virtq_push(vq, req->head, (uint32_t)len);
	return true;
}

static void net_rx(struct virtio_dev *vdev)
{
	struct net *n = vdev->priv;
	struct virtqueue *vq = &vdev->vqs[NET_RXQ];
	bool pushed = false;

	while (virtio_dev_live(vdev) && vq->ready && !n->dead) {
		ssize_t len;

		if (!virtq_has_avail(vq))
			break; /* the frames wait in the tap until the next rx kick */
		len = read(n->fd, n->buf, sizeof(n->buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			if (errno != EAGAIN)
				log_warn("virtio-net: tap read: %m");
			break;
		}
		if ((size_t)len < NET_HDR_LEN)
			continue;
		if (!net_rx_one(vdev, (size_t)len))
			break;
		pushed = true;
	}
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

/*
 * The tap is watched edge-triggered, from creation to destruction: the device never changes its
 * epoll registration, so neither vCPU threads (reset, DRIVER_OK) nor the loop thread need
 * epoll_ctl, and an unreadable frame (no rx buffer yet) cannot make the loop spin. Each new frame
 * is an edge; frames left behind for lack of buffers are read on the next rx kick.
 */
static void net_fd_ready(void *data, int fd, uint32_t events)
{
	struct virtio_dev *vdev = data;
	struct net *n = vdev->priv;

	pthread_mutex_lock(&vdev->lock);
	if (events & (EPOLLERR | EPOLLHUP)) {
		if (!n->dead)
			log_warn("virtio-net: tap failed; the guest's link is down");
		n->dead = true;
	} else {
		net_rx(vdev);
	}
	pthread_mutex_unlock(&vdev->lock);
}

/* Send one tx chain: a header we do not trust (replaced by a zero one), then the frame. */
static void net_tx_one(struct net *n, struct virtq_req *req)
{
	static const struct virtio_net_hdr_v1 zero = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	unsigned int k;
	ssize_t r;

	if (req->n_in > 0 || req->out_len < NET_HDR_LEN || req->out_len > sizeof(n->buf))
		return; /* not a frame we can send: drop it, as a NIC drops a bad one */
	n->iov[0] = (struct iovec){ (void *)&zero, NET_HDR_LEN };
	k = iov_slice(n->iov + 1, req->out, req->n_out, NET_HDR_LEN, req->out_len - NET_HDR_LEN);
	do
		r = writev(n->fd, n->iov, (int)k + 1);
	while (r < 0 && errno == EINTR);
	/* EAGAIN: the tap's queue is full and the frame is dropped, like on a congested wire. */
}

static void net_tx(struct virtio_dev *vdev)
{
	struct net *n = vdev->priv;
	struct virtqueue *vq = &vdev->vqs[NET_TXQ];
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, vdev->host, vdev->req)) > 0) {
		if (!n->dead)
			net_tx_one(n, vdev->req);
		virtq_push(vq, vdev->req->head, 0);
		pushed = true;
	}
	if (r < 0)
		virtio_dev_fail(vdev, "malformed descriptor chain on the tx queue");
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

static void net_notify(struct virtio_dev *vdev, uint16_t q)
{
	if (q == NET_TXQ)
		net_tx(vdev);
	else if (q == NET_RXQ)
		net_rx(vdev); /* new buffers: take the frames that waited for them */
}

static void net_destroy(struct virtio_dev *vdev)
{
	struct net *n = vdev->priv;

	if (!n)
		return;
	if (n->polled)
		vdev->host->loop_del(vdev->host->opaque, n->fd);
	cleanup_closep(&n->fd);
	free(n);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.num_queues = 2,
	.queue_max_size = NET_QUEUE_SIZE,
	.config_size = 8, /* mac, status */
	.features = net_features,
	.config_read = net_config_read,
	.notify = net_notify,
	.destroy = net_destroy,
};

static int net_watch(const struct virtio_host *host, struct net *n, struct virtio_dev **ret,
		     struct cell_error **err)
{
	struct virtio_dev *vdev;
	int r = virtio_dev_new(&net_ops, host, n, &vdev, err);

	if (r < 0)
		return r;
	r = host->loop_add(host->opaque, n->fd, EPOLLIN | EPOLLET, net_fd_ready, vdev, err);
	if (r < 0) {
		virtio_dev_free(vdev);
		return cell_error_wrap(err, "virtio-net");
	}
	n->polled = true;
	*ret = vdev;
	return 0;
}

int virtio_net_create_fd(const struct virtio_host *host, int fd, const uint8_t *mac,
			 struct virtio_dev **ret, struct cell_error **err)
{
	struct net *n = calloc(1, sizeof(*n));

	if (!n) {
		close(fd);
		return cell_error_set(err, ENOMEM, "virtio-net: out of memory");
	}
	n->fd = fd;
	if (mac) {
		memcpy(n->config.mac, mac, 6);
	} else {
		if (getrandom(n->config.mac, 6, 0) != 6)
			memset(n->config.mac, 0x5a, 6);
		n->config.mac[0] = (n->config.mac[0] & 0xfe) | 0x02; /* unicast, locally assigned */
	}
	return net_watch(host, n, ret, err);
}

int virtio_net_create(const struct virtio_host *host, const char *tap, const uint8_t *mac,
		      struct virtio_dev **ret, struct cell_error **err)
{
	int fd, r;

	r = net_tap_open(tap, &fd, err);
	if (r < 0)
		return r;
	return virtio_net_create_fd(host, fd, mac, ret, err);
}

int virtio_net_parse_mac(const char *s, uint8_t mac[6], struct cell_error **err)
{
	unsigned int b[6];
	int end = -1;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    end < 0 || s[end] != '\0' || end != 17)
		return cell_error_set(err, EINVAL,
				      "mac %s: expected six hex bytes like 52:54:00:12:34:56", s);
	if (b[0] & 1)
		return cell_error_set(err, EINVAL, "mac %s: a multicast address", s);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}
