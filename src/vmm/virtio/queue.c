/* queue.c - split virtqueues: ring setup and a chain walker that trusts nothing in guest memory. */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "virtio.h"

/*
 * Guest memory changes under our feet: another vCPU may rewrite a descriptor between two reads.
 * So every field is read exactly once into a local (with an atomic load, so the compiler cannot
 * re-read it either) and only the local is checked and used.
 */
static inline uint16_t load16(const void *p)
{
	return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

static void desc_read(const struct vring_desc *d, struct vring_desc *out)
{
	out->addr = __atomic_load_n(&d->addr, __ATOMIC_RELAXED);
	out->len = __atomic_load_n(&d->len, __ATOMIC_RELAXED);
	out->flags = __atomic_load_n(&d->flags, __ATOMIC_RELAXED);
	out->next = __atomic_load_n(&d->next, __ATOMIC_RELAXED);
}

void virtq_reset(struct virtqueue *vq)
{
	uint16_t index = vq->index, max = vq->max_size;

	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->max_size = max;
	vq->size = max;
}

int virtq_setup(struct virtqueue *vq, const struct virtio_host *host)
{
	uint64_t n = vq->size;

	/* Split rings index with free-running 16-bit counters modulo the size, which only works
	 * when the size divides 65536. */
	if (n == 0 || n > vq->max_size || (n & (n - 1)) != 0)
		return -EINVAL;
	/* The alignment the spec demands also keeps our atomic accesses naturally aligned. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	vq->desc = host->translate(host->opaque, vq->desc_gpa, 16 * n);
	vq->avail = host->translate(host->opaque, vq->avail_gpa, 6 + 2 * n);
	vq->used = host->translate(host->opaque, vq->used_gpa, 6 + 8 * n);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
		return -EINVAL;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	return 0;
}

/* Number of chains the driver made available and we have not taken; > size means a broken ring. */
static uint16_t avail_pending(struct virtqueue *vq)
{
	/* Acquire: the ring entries the driver wrote before bumping idx are visible after it. */
	uint16_t idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);

	return (uint16_t)(idx - vq->last_avail);
}

bool virtq_has_avail(struct virtqueue *vq)
{
	return vq->avail && avail_pending(vq) != 0;
}

void virtq_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
}

struct walk {
	struct virtq_req *req;
	const struct virtio_host *host;
	unsigned int count; /* buffers seen, direct and indirect */
	bool seen_in;	    /* a device-writable buffer came: no readable one may follow */
};

/* Add one buffer to the request after checking direction, size and that it lies in guest RAM. */
static int walk_add(struct walk *w, const struct vring_desc *d)
{
	struct virtq_req *req = w->req;
	bool in = d->flags & VRING_DESC_F_WRITE;
	void *p;

	if (++w->count > VIRTQ_MAX_CHAIN)
		return -EINVAL;
	if (!in && w->seen_in)
		return -EINVAL; /* readable after writable */
	w->seen_in |= in;
	if (d->len == 0)
		return 0; /* nothing to transfer; harmless */
	p = w->host->translate(w->host->opaque, d->addr, d->len);
	if (!p)
		return -EINVAL;
	if (in) {
		req->in_len += d->len;
		if (req->in_len > UINT32_MAX)
			return -EINVAL;
		req->in[req->n_in++] = (struct iovec){ p, d->len };
	} else {
		req->out_len += d->len;
		if (req->out_len > UINT32_MAX)
			return -EINVAL;
		req->out[req->n_out++] = (struct iovec){ p, d->len };
	}
	return 0;
}

/* Walk an indirect table: its own index space, no nesting, at most as many hops as entries. */
static int walk_indirect(struct walk *w, const struct vring_desc *d)
{
	const struct vring_desc *table;
	struct vring_desc cur;
	uint32_t n, i = 0, hops = 0;
	int r;

	if (d->len == 0 || d->len % sizeof(struct vring_desc) != 0 ||
	    (d->flags & VRING_DESC_F_NEXT))
		return -EINVAL;
	n = d->len / sizeof(struct vring_desc);
	if (n > VIRTQ_MAX_CHAIN || (d->addr & 15))
		return -EINVAL;
	table = w->host->translate(w->host->opaque, d->addr, d->len);
	if (!table)
		return -EINVAL;
	for (;;) {
		if (++hops > n)
			return -EINVAL; /* a loop inside the table */
		desc_read(&table[i], &cur);
		if (cur.flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		r = walk_add(w, &cur);
		if (r < 0)
			return r;
		if (!(cur.flags & VRING_DESC_F_NEXT))
			return 0;
		i = cur.next;
		if (i >= n)
			return -EINVAL;
	}
}

static int walk_chain(struct virtqueue *vq, struct walk *w, uint16_t head)
{
	struct vring_desc cur;
	uint32_t hops = 0;
	uint16_t i = head;
	int r;

	for (;;) {
		/* A chain never has more links than the ring has descriptors; more is a loop. */
		if (++hops > vq->size)
			return -EINVAL;
		desc_read(&vq->desc[i], &cur);
		if (cur.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return -EINVAL;
			/* The table must be the chain's only element. */
			if (hops != 1 || (cur.flags & VRING_DESC_F_WRITE))
				return -EINVAL;
			return walk_indirect(w, &cur);
		}
		r = walk_add(w, &cur);
		if (r < 0)
			return r;
		if (!(cur.flags & VRING_DESC_F_NEXT))
			return 0;
		i = cur.next;
		if (i >= vq->size)
			return -EINVAL;
	}
}

int virtq_pop(struct virtqueue *vq, const struct virtio_host *host, struct virtq_req *req)
{
	struct walk w = { .req = req, .host = host };
	uint16_t pending, head;

	if (!vq->ready || !vq->avail)
		return 0;
	pending = avail_pending(vq);
	if (pending == 0)
		return 0;
	if (pending > vq->size)
		return -EINVAL; /* the driver claims more chains than the ring holds */
	head = load16(&vq->avail->ring[vq->last_avail & (vq->size - 1)]);
	if (head >= vq->size)
		return -EINVAL;
	vq->last_avail++;
	req->head = head;
	req->n_out = req->n_in = 0;
	req->out_len = req->in_len = 0;
	return walk_chain(vq, &w, head) < 0 ? -EINVAL : 1;
}

void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];

	__atomic_store_n(&e->id, (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element (and the data written into the buffers) before the index. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool virtq_should_interrupt(struct virtqueue *vq)
{
	/* Order our used->idx store before reading the driver's flags, or we could read a stale
	 * NO_INTERRUPT while the driver, having seen an old idx, waits for an interrupt. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

/* Copies between a flat buffer and the bytes of an iovec from offset skip on; to_iov says which way. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip, char *buf, size_t len,
		       bool to_iov)
{
	size_t done = 0;

	for (unsigned int i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len - done)
			l = len - done;
		char *part = (char *)iov[i].iov_base + skip;
		if (to_iov)
			memcpy(part, buf + done, l);
		else
			memcpy(buf + done, part, l);
		done += l;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t skip, const void *buf,
		    size_t len)
{
	/* The buffer is only read on this path. */
	return iov_copy(iov, n, skip, (char *)buf, len, true);
}

unsigned int iov_slice(struct iovec *dst, const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len)
{
	unsigned int k = 0;

	for (unsigned int i = 0; i < n && len > 0; i++) {
		size_t l = iov[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		l -= skip;
		if (l > len)
			l = len;
		dst[k++] = (struct iovec){ (char *)iov[i].iov_base + skip, l };
		len -= l;
		skip = 0;
	}
	return k;
}
