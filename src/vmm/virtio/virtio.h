/* virtio.h - the contract between virtio devices, the virtio-mmio transport and the VMM core. */
#pragma once

/*
 * Three layers, each knowing only the one below it:
 *
 *   VMM core (vm.c, devices.c)   fills a struct virtio_host, creates devices from the command line
 *        |                       (virtio_blk_create(), ...), maps each with virtio_mmio_create().
 *   transport (mmio.c)           the virtio 1.x MMIO v2 register file; drives a struct virtio_dev.
 *   device (blk.c, net.c, ...)   supplies struct virtio_device_ops; never sees the transport.
 *
 * Nothing here calls KVM: the host ops are the only way out, so unit tests and fuzzers run every
 * line against a fake host whose guest RAM is a malloc'd buffer.
 *
 * Threads. MMIO register accesses arrive on vCPU threads; queue notifications (ioeventfd) and
 * backend readiness (tap, stdin) arrive on the core's one device-I/O loop thread. Each device has
 * one mutex (virtio_dev.lock) that every entry point takes, so device code is single-threaded.
 * The core must stop its vCPUs and the loop thread before it calls virtio_mmio_destroy().
 *
 * The guest is hostile: every index, length and address read from guest memory is checked
 * (queue.c); a malformed request fails that request or sets DEVICE_NEEDS_RESET on the device,
 * and never aborts the VMM or reaches host memory outside guest RAM.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "error.h"

/* ---- What a virtio device needs from the VMM core ------------------------------------------ */

/* Called for an access of len (1, 2, 4 or 8) bytes at offset inside a registered MMIO region;
 * data is little-endian guest data, filled by the handler on reads. Runs on a vCPU thread. */
typedef void (*virtio_mmio_fn)(void *dev, uint64_t offset, uint8_t *data, uint32_t len,
			       bool is_write);

/* Called on the device-I/O loop thread when fd is ready; events are EPOLL* bits. */
typedef void (*virtio_loop_fn)(void *data, int fd, uint32_t events);

struct virtio_host {
	void *opaque; /* first argument of every op */

	/* Host address of guest-physical [gpa, gpa + len), or NULL unless that range lies wholly
	 * inside one guest RAM region (overflowing ranges included). len 0 is never asked. */
	void *(*translate)(void *opaque, uint64_t gpa, uint64_t len);

	/* Route guest accesses to [base, base + len) to fn(dev, offset, ...). Required. */
	int (*mmio_register)(void *opaque, uint64_t base, uint64_t len, virtio_mmio_fn fn,
			     void *dev, struct cell_error **err);
	void (*mmio_unregister)(void *opaque, uint64_t base, uint64_t len);

	/* KVM_IRQFD: bind eventfd fd to interrupt line gsi, so that writing 1 to fd raises an edge
	 * on that line from any thread. Optional: without it the transport calls irq_raise(). */
	int (*irqfd_register)(void *opaque, int fd, uint32_t gsi, struct cell_error **err);
	void (*irqfd_unregister)(void *opaque, int fd, uint32_t gsi);
	void (*irq_raise)(void *opaque, uint32_t gsi);

	/* KVM_IOEVENTFD: signal fd when the guest writes the 4-byte value datamatch at gpa, instead
	 * of exiting to the vCPU thread. Optional: without it QueueNotify is handled in the MMIO
	 * handler on the vCPU thread. */
	int (*ioeventfd_register)(void *opaque, uint64_t gpa, uint32_t len, uint64_t datamatch,
				  int fd, struct cell_error **err);
	void (*ioeventfd_unregister)(void *opaque, uint64_t gpa, uint32_t len, uint64_t datamatch,
				     int fd);

	/* The device-I/O loop (one epoll thread). loop_add watches fd for events; loop_del stops
	 * watching. Required. Devices call loop_add only while they are created (before the VMM
	 * starts its threads and sandbox) and loop_del only when destroyed: backend fds are watched
	 * edge-triggered (EPOLLET) for the device's lifetime, so no vCPU or loop thread ever needs
	 * epoll_ctl. loop_mod is optional and unused by the current devices. */
	int (*loop_add)(void *opaque, int fd, uint32_t events, virtio_loop_fn fn, void *data,
			struct cell_error **err);
	int (*loop_mod)(void *opaque, int fd, uint32_t events);
	void (*loop_del)(void *opaque, int fd);
};

/* ---- Split virtqueues (queue.c) ------------------------------------------------------------ */

#define VIRTQ_MAX_SIZE 1024  /* largest QueueNumMax any device offers */
#define VIRTQ_MAX_CHAIN 1024 /* most buffers in one chain, direct and indirect together */

struct vring_desc;
struct vring_avail;
struct vring_used;

struct virtqueue {
	uint16_t index;
	uint16_t max_size; /* QueueNumMax offered by the device */
	uint16_t size;	   /* QueueNum written by the driver */
	bool ready;
	bool indirect; /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the rings, resolved once when the driver sets QueueReady. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail; /* next avail ring slot the device reads */
	uint16_t used_idx;   /* shadow of used->idx */
};

/* One request popped from a queue: the chain flattened into device-readable (out) and
 * device-writable (in) host buffers, every one checked to lie inside guest RAM. */
struct virtq_req {
	uint16_t head;
	unsigned int n_out, n_in;
	uint64_t out_len, in_len; /* sums, each <= UINT32_MAX */
	struct iovec out[VIRTQ_MAX_CHAIN];
	struct iovec in[VIRTQ_MAX_CHAIN];
};

/* Resolve the rings after the driver set QueueReady; -EINVAL when size or addresses are bad. */
int virtq_setup(struct virtqueue *vq, const struct virtio_host *host);
void virtq_reset(struct virtqueue *vq);

/* Pop the next available chain into req: 1 when there was one, 0 when the ring is empty,
 * -EINVAL when the guest broke the queue (then the device must set DEVICE_NEEDS_RESET). */
int virtq_pop(struct virtqueue *vq, const struct virtio_host *host, struct virtq_req *req);
/* True when a chain is available (does not consume it). */
bool virtq_has_avail(struct virtqueue *vq);
/* Put back the chain virtq_pop() returned last (a device that cannot use it yet). */
void virtq_unpop(struct virtqueue *vq);
/* Return head to the driver with len bytes written into its device-writable buffers. */
void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* True unless the driver asked for no interrupt (VRING_AVAIL_F_NO_INTERRUPT). */
bool virtq_should_interrupt(struct virtqueue *vq);

/* Copy helpers over an iovec array, starting skip bytes in; return the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned int n, size_t skip, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned int n, size_t skip, const void *buf,
		    size_t len);
/* Point dst (room for n entries) at bytes [skip, skip + len) of iov; returns the entries used. */
unsigned int iov_slice(struct iovec *dst, const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len);

/* ---- Devices -------------------------------------------------------------------------------- */

struct virtio_dev;

struct virtio_device_ops {
	const char *name;   /* "virtio-blk", for messages */
	uint32_t device_id; /* VIRTIO_ID_* */
	uint16_t num_queues;
	uint16_t queue_max_size; /* power of two, <= VIRTQ_MAX_SIZE */
	uint32_t config_size;	 /* bytes of device config space */
	/* Device feature bits (VIRTIO_F_VERSION_1 is added by the transport). */
	uint64_t (*features)(struct virtio_dev *vdev);
	/* Config space access, bounds already checked against config_size. */
	void (*config_read)(struct virtio_dev *vdev, uint32_t offset, void *data, uint32_t len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t offset, const void *data,
			     uint32_t len);
	/* The driver set DRIVER_OK: start serving (may be NULL). */
	void (*activate)(struct virtio_dev *vdev);
	/* The driver kicked queue q (only called when DRIVER_OK and q is ready). */
	void (*notify)(struct virtio_dev *vdev, uint16_t q);
	/* The driver wrote 0 to Status: drop in-flight state, stop serving (may be NULL). */
	void (*reset)(struct virtio_dev *vdev);
	/* Release the device's own state and backend (may be NULL). */
	void (*destroy)(struct virtio_dev *vdev);
};

/* Transport side of a device: how a device signals the driver. Filled by mmio.c. */
struct virtio_transport {
	void (*interrupt)(struct virtio_dev *vdev, uint32_t isr_bits);
};

#define VIRTIO_ISR_QUEUE 0x1
#define VIRTIO_ISR_CONFIG 0x2

struct virtio_dev {
	const struct virtio_device_ops *ops;
	const struct virtio_host *host;
	const struct virtio_transport *transport;
	void *transport_data;
	void *priv;	      /* the device's own state */
	pthread_mutex_t lock; /* taken by every entry point: MMIO, notify, backend events */
	uint32_t status;      /* VIRTIO_CONFIG_S_* */
	uint32_t isr;
	uint32_t config_generation;
	uint64_t driver_features;
	unsigned int failures; /* times the guest broke the device, for log rate limiting */
	struct virtqueue *vqs; /* ops->num_queues of them */
	struct virtq_req *req; /* scratch request, used under lock */
};

/* Allocate a device (priv is owned by the device from here on: ops->destroy frees it). */
int virtio_dev_new(const struct virtio_device_ops *ops, const struct virtio_host *host, void *priv,
		   struct virtio_dev **ret, struct cell_error **err);
void virtio_dev_free(struct virtio_dev *vdev);
/* Feature negotiated? */
bool virtio_dev_has(const struct virtio_dev *vdev, unsigned int bit);
/* Is the device serving (DRIVER_OK, not NEEDS_RESET)? */
bool virtio_dev_live(const struct virtio_dev *vdev);
/* Guest broke the device: set DEVICE_NEEDS_RESET and tell the driver. Never aborts. */
void virtio_dev_fail(struct virtio_dev *vdev, const char *why);
/* After virtq_push(): interrupt the driver unless it suppressed interrupts on vq. */
void virtio_dev_signal(struct virtio_dev *vdev, struct virtqueue *vq);
/* Reset device and queues to their power-on state (the driver wrote 0 to Status). */
void virtio_dev_reset(struct virtio_dev *vdev);

/* ---- virtio-mmio transport (mmio.c) -------------------------------------------------------- */

/*
 * virtio 1.x MMIO, register layout version 2, one device per 0x200-byte window. The core picks
 * base (page aligned) and gsi, and describes each window in the DSDT as a device with _HID
 * "LNRO0005", _CRS = Memory32Fixed(base, VIRTIO_MMIO_SIZE) + an edge-triggered, active-high
 * Interrupt(gsi). The transport registers the window (mmio_register), one ioeventfd per queue
 * on QueueNotify (base + 0x50, datamatch = queue index) and an irqfd on gsi.
 */
#define VIRTIO_MMIO_SIZE 0x200
#define VIRTIO_MMIO_VENDOR 0x4c4c4543 /* "CELL" */

struct virtio_mmio;

/* Map vdev at base/gsi. Takes ownership of vdev (also on failure). */
int virtio_mmio_create(struct virtio_dev *vdev, uint64_t base, uint32_t gsi,
		       struct virtio_mmio **ret, struct cell_error **err);
/* Unregister and free the window, its fds and the device; NULL is fine. */
void virtio_mmio_destroy(struct virtio_mmio *mmio);
/* The register handler (what mmio_register is given); exposed for tests and fuzzers. */
void virtio_mmio_access(void *mmio, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
struct virtio_dev *virtio_mmio_dev(struct virtio_mmio *mmio);

/* ---- Device constructors (what the core calls for each command-line option) ----------------- */

/* --disk PATH[,ro]: raw image (regular file or block device); serial may be NULL (then the
 * file name, cut to 20 bytes). Fails with one clear message when PATH cannot be opened. */
int virtio_blk_create(const struct virtio_host *host, const char *path, bool ro, const char *serial,
		      struct virtio_dev **ret, struct cell_error **err);
/* The same over an already open fd (tests, fuzzers); takes ownership of fd. */
int virtio_blk_create_fd(const struct virtio_host *host, int fd, uint64_t size, bool ro,
			 const char *serial, struct virtio_dev **ret, struct cell_error **err);

/* --net tap=NAME[,mac=..]: attach to (or create) tap NAME; mac NULL: a random local MAC. */
int virtio_net_create(const struct virtio_host *host, const char *tap, const uint8_t *mac,
		      struct virtio_dev **ret, struct cell_error **err);
/* The same over an open tap-like fd that carries 12-byte virtio_net_hdr_v1 frames. */
int virtio_net_create_fd(const struct virtio_host *host, int fd, const uint8_t *mac,
			 struct virtio_dev **ret, struct cell_error **err);
/* "52:54:00:12:34:56" -> 6 bytes; -EINVAL with a message naming the value otherwise. */
int virtio_net_parse_mac(const char *s, uint8_t mac[6], struct cell_error **err);

/* --console virtio: guest hvc0 reads in_fd (-1: none) and writes out_fd. fds stay the
 * caller's. in_fd is polled through the loop, so it should be non-blocking. */
int virtio_console_create(const struct virtio_host *host, int in_fd, int out_fd,
			  struct virtio_dev **ret, struct cell_error **err);

/* --rng: entropy from getrandom(). */
int virtio_rng_create(const struct virtio_host *host, struct virtio_dev **ret,
		      struct cell_error **err);
