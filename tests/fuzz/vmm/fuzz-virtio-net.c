/* fuzz-virtio-net.c - libFuzzer target: virtio-net tx parsing and rx delivery, via the MMIO
 * transport, over a socketpair standing in for the tap. */
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-layout.h"

#define QS 16

static struct fake_host fh;
static struct virtio_mmio *mmio;
static int peer = -1, devfd = -1; /* the host and device ends */
static uint8_t pkt[65536 + 64];	  /* more than any uint16_t frame length */

static void init(void)
{
	struct virtio_dev *vdev;
	int sv[2];

	fake_host_init(&fh, FUZZ_RAM);
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	peer = sv[1];
	devfd = sv[0];
	if (virtio_net_create_fd(&fh.host, sv[0], NULL, &vdev, NULL) < 0 ||
	    virtio_mmio_create(vdev, 0xd0000000, 5, &mmio, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t ctl;
	uint16_t plen;

	if (!mmio)
		init();
	ctl = fuzz_u8(&in);
	memset(fh.ram, 0, FUZZ_RAM);
	drv_start(&fh, 2, QS, 1ULL << VIRTIO_NET_F_MAC);
	if (ctl & 2) {
		/* rx: a frame arrives from the tap into guest buffers described by the input. */
		fuzz_bytes(&in, &plen, sizeof(plen));
		fuzz_fill_queue(&fh, &in, 0, QS, 0, ctl & 1);
		fuzz_fill_data(&fh, &in);
		memset(pkt, ctl, plen);
		(void)!send(peer, pkt, plen, 0);
		mmio_write(&fh, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		fake_host_dispatch(&fh);
		/* Frames the guest had no room for must not leak into the next run. */
		while (recv(devfd, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
			;
	} else {
		/* tx: the guest sends whatever chains the input describes. */
		fuzz_fill_queue(&fh, &in, 1, QS, 0, ctl & 1);
		fuzz_fill_data(&fh, &in);
		mmio_write(&fh, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
		while (recv(peer, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
			;
	}
	return 0;
}
