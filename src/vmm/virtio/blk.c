/* blk.c - virtio-blk: a raw image behind read, write, flush and get-id requests. */
#include <endian.h>
#include <errno.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cleanup.h"
#include "virtio.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SECTOR 512ULL
#define BLK_CONFIG_SIZE 24 /* capacity .. blk_size: all the fields we offer */

struct blk {
	int fd;
	bool ro;
	uint64_t capacity; /* in 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config config;   /* little-endian, as the guest reads it */
	struct iovec iov[VIRTQ_MAX_CHAIN]; /* the data part of the current request */
};

static uint64_t blk_features(struct virtio_dev *vdev)
{
	struct blk *b = vdev->priv;

	return (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
	       (1ULL << VIRTIO_BLK_F_BLK_SIZE) | (b->ro ? 1ULL << VIRTIO_BLK_F_RO : 0);
}

static void blk_config_read(struct virtio_dev *vdev, uint32_t off, void *data, uint32_t len)
{
	struct blk *b = vdev->priv;

	memcpy(data, (uint8_t *)&b->config + off, len);
}

/* preadv/pwritev until all of b->iov[0..n) moved; short transfers advance the iovecs. */
static int blk_io(struct blk *b, unsigned int n, uint64_t off, bool write)
{
	struct iovec *iov = b->iov;

	while (n > 0) {
		ssize_t r = write ? pwritev(b->fd, iov, (int)n, (off_t)off) :
				    preadv(b->fd, iov, (int)n, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EIO;
		off += (uint64_t)r;
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/* Sector range check that cannot overflow. */
static bool blk_in_range(struct blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % BLK_SECTOR == 0 && sector <= b->capacity &&
	       bytes / BLK_SECTOR <= b->capacity - sector;
}

static uint8_t blk_rw(struct blk *b, struct virtq_req *req, uint64_t sector, bool write,
		      uint32_t *written)
{
	uint64_t len = write ? req->out_len - sizeof(struct virtio_blk_outhdr) : req->in_len - 1;
	unsigned int n;

	if (write && b->ro)
		return VIRTIO_BLK_S_IOERR;
	if (!blk_in_range(b, sector, len))
		return VIRTIO_BLK_S_IOERR;
	if (write)
		n = iov_slice(b->iov, req->out, req->n_out, sizeof(struct virtio_blk_outhdr), len);
	else
		n = iov_slice(b->iov, req->in, req->n_in, 0, len);
	if (blk_io(b, n, sector * BLK_SECTOR, write) < 0)
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		*written = (uint32_t)len;
	return VIRTIO_BLK_S_OK;
}

/* Serve one request; returns the bytes written into the driver's buffers (status included). */
static uint32_t blk_request(struct blk *b, struct virtq_req *req)
{
	struct virtio_blk_outhdr hdr;
	uint32_t written = 0;
	uint8_t status;

	/* Without a header to read and a status byte to write there is no request to answer. */
	if (req->out_len < sizeof(hdr) || req->in_len < 1)
		return 0;
	iov_to_buf(req->out, req->n_out, 0, &hdr, sizeof(hdr));
	switch (le32toh(hdr.type)) {
	case VIRTIO_BLK_T_IN:
		status = blk_rw(b, req, le64toh(hdr.sector), false, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_rw(b, req, le64toh(hdr.sector), true, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = b->ro || fdatasync(b->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n =
			req->in_len - 1 < sizeof(b->serial) ? req->in_len - 1 : sizeof(b->serial);

		written = (uint32_t)iov_from_buf(req->in, req->n_in, 0, b->serial, n);
		status = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	iov_from_buf(req->in, req->n_in, req->in_len - 1, &status, 1);
	return written + 1;
}

static void blk_notify(struct virtio_dev *vdev, uint16_t q)
{
	struct virtqueue *vq = &vdev->vqs[q];
	bool pushed = false;
	int r;

	while ((r = virtq_pop(vq, vdev->host, vdev->req)) > 0) {
		virtq_push(vq, vdev->req->head, blk_request(vdev->priv, vdev->req));
		pushed = true;
	}
	if (r < 0)
		virtio_dev_fail(vdev, "malformed descriptor chain on the request queue");
	if (pushed)
		virtio_dev_signal(vdev, vq);
}

static void blk_destroy(struct virtio_dev *vdev)
{
	struct blk *b = vdev->priv;

	if (!b)
		return;
	cleanup_closep(&b->fd);
	free(b);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max_size = BLK_QUEUE_SIZE,
	.config_size = BLK_CONFIG_SIZE,
	.features = blk_features,
	.config_read = blk_config_read,
	.notify = blk_notify,
	.destroy = blk_destroy,
};

int virtio_blk_create_fd(const struct virtio_host *host, int fd, uint64_t size, bool ro,
			 const char *serial, struct virtio_dev **ret, struct cell_error **err)
{
	struct blk *b = calloc(1, sizeof(*b));

	if (!b) {
		close(fd);
		return cell_error_set(err, ENOMEM, "virtio-blk: out of memory");
	}
	b->fd = fd;
	b->ro = ro;
	b->capacity = size / BLK_SECTOR;
	if (serial)
		/* The spec's 20-byte id is NUL-padded, not NUL-terminated. */
		memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	b->config.capacity = htole64(b->capacity);
	/* Two descriptors of each request carry the header and the status byte. */
	b->config.seg_max = htole32(BLK_QUEUE_SIZE - 2);
	b->config.blk_size = htole32(BLK_SECTOR);
	return virtio_dev_new(&blk_ops, host, b, ret, err);
}

int virtio_blk_create(const struct virtio_host *host, const char *path, bool ro, const char *serial,
		      struct virtio_dev **ret, struct cell_error **err)
{
	uint64_t size;
	int fd, r;

	r = blk_file_open(path, ro, &fd, &size, err);
	if (r < 0)
		return r;
	if (!serial) {
		serial = strrchr(path, '/');
		serial = serial ? serial + 1 : path;
	}
	return virtio_blk_create_fd(host, fd, size, ro, serial, ret, err);
}
