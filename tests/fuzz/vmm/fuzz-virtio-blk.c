/* fuzz-virtio-blk.c - libFuzzer target: virtio-blk request parsing, through the MMIO transport. */
#include <linux/virtio_mmio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-layout.h"

#define QS 16
#define DISK (64 * 1024)

static struct fake_host fh;
static struct virtio_mmio *mmio;

static void init(void)
{
	struct virtio_dev *vdev;
	int fd;

	fake_host_init(&fh, FUZZ_RAM);
	fd = memfd_create("fuzz-disk", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, DISK) < 0)
		abort();
	if (virtio_blk_create_fd(&fh.host, fd, DISK, false, "fuzz", &vdev, NULL) < 0 ||
	    virtio_mmio_create(vdev, 0xd0000000, 5, &mmio, NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t ctl;

	if (!mmio)
		init();
	ctl = fuzz_u8(&in);
	memset(fh.ram, 0, FUZZ_RAM);
	drv_start(&fh, 1, QS, 0);
	fuzz_fill_queue(&fh, &in, 0, QS, 0, ctl & 1);
	fuzz_fill_data(&fh, &in);
	mmio_write(&fh, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	/* A second kick after the guest "rewrote" the ring: the walker must not trust old state. */
	if (ctl & 2) {
		memset(gpa(&fh, drv_desc(0)), ctl, 16 * QS);
		mmio_write(&fh, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	}
	return 0;
}
