/* fuzz-virtio-mmio.c - libFuzzer target: arbitrary register accesses to the virtio-mmio transport
 * (of a block device and a net device) over guest RAM filled from the input. */
#include <linux/virtio_mmio.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-layout.h"

static struct fake_host fh;
static struct virtio_mmio *dev[2];

static void init(void)
{
	struct virtio_dev *blk, *net;
	int fd = memfd_create("fuzz-disk", MFD_CLOEXEC), sv[2];

	fake_host_init(&fh, FUZZ_RAM);
	if (fd < 0 || ftruncate(fd, 8192) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	close(sv[1]); /* tx frames fail to send and are dropped; rx never comes */
	if (virtio_blk_create_fd(&fh.host, fd, 8192, false, NULL, &blk, NULL) < 0 ||
	    virtio_mmio_create(blk, 0xd0000000, 5, &dev[0], NULL) < 0 ||
	    virtio_net_create_fd(&fh.host, sv[0], NULL, &net, NULL) < 0 ||
	    virtio_mmio_create(net, 0xd0001000, 6, &dev[1], NULL) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct virtio_mmio *m;
	uint8_t nops, op, buf[8];
	uint16_t off;

	if (!dev[0])
		init();
	/* Start each run from reset, with RAM from the tail of the input. */
	memset(fh.ram, 0, FUZZ_RAM);
	for (int i = 0; i < 2; i++) {
		uint32_t zero = 0;
		virtio_mmio_access(dev[i], VIRTIO_MMIO_STATUS, (uint8_t *)&zero, 4, true);
	}
	nops = fuzz_u8(&in);
	const uint8_t *ops = in.p;
	size_t opbytes = (size_t)nops * 12 < in.n ? (size_t)nops * 12 : in.n;
	in.p += opbytes;
	in.n -= opbytes;
	fuzz_bytes(&in, fh.ram, in.n < FUZZ_RAM ? in.n : FUZZ_RAM);
	for (size_t i = 0; i + 12 <= opbytes; i += 12) {
		op = ops[i];
		memcpy(&off, ops + i + 1, 2);
		memcpy(buf, ops + i + 3, 8);
		m = dev[op & 1];
		/* Mostly well-formed 4-byte register accesses, sometimes any size and offset. */
		uint32_t len = (op & 0x80) ? (uint32_t)((op >> 1) & 15) : 4;
		uint64_t o = (op & 0x80) ? off : (uint64_t)(off & 0x1fc);
		virtio_mmio_access(m, o, buf, len, op & 0x40);
	}
	return 0;
}
