/* test-virtio-console-rng.c - virtio-console over pipes and virtio-rng filling buffers. */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-host.h"

#define QS 64

static void test_console(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev;
	struct virtio_mmio *mmio;
	int in[2], out[2];
	uint64_t tx, rx;
	char got[64] = { 0 };
	uint32_t id, len;

	fake_host_init(&fh, 1 << 20);
	assert_int_equal(pipe2(in, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(virtio_console_create(&fh.host, in[0], out[1], &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &mmio, NULL), 0);
	assert_int_equal(mmio_read(&fh, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	assert_true(drv_start(&fh, 2, QS, 0) & VIRTIO_CONFIG_S_DRIVER_OK);

	/* Guest output goes to out_fd, split over two buffers. */
	tx = drv_alloc(&fh, 16);
	memcpy(gpa(&fh, tx), "hello, host\n", 12);
	drv_submit(&fh, 1, QS, 0, (struct drv_buf[]){ { tx, 7, false }, { tx + 7, 5, false } }, 2);
	assert_int_equal(drv_used_idx(&fh, 1), 1);
	assert_int_equal(read(out[0], got, sizeof(got)), 12);
	assert_string_equal(got, "hello, host\n");

	/* Host input reaches the guest's posted buffer. */
	rx = drv_alloc(&fh, 32);
	drv_submit(&fh, 0, QS, 0, (struct drv_buf[]){ { rx, 32, true } }, 1);
	assert_int_equal(write(in[1], "ls\n", 3), 3);
	assert_int_equal(fake_host_dispatch(&fh), 1);
	assert_int_equal(drv_used_idx(&fh, 0), 1);
	drv_used_elem(&fh, 0, QS, 0, &id, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(gpa(&fh, rx), "ls\n", 3);
	/* Input with no buffer posted waits, without waking the loop again (edge-triggered),
	 * until the guest posts a buffer: the kick itself delivers it. */
	assert_int_equal(write(in[1], "x", 1), 1);
	assert_int_equal(fake_host_dispatch(&fh), 1);
	assert_int_equal(fake_host_dispatch(&fh), 0);
	assert_int_equal(drv_used_idx(&fh, 0), 1);
	drv_submit(&fh, 0, QS, 1, (struct drv_buf[]){ { rx, 32, true } }, 1);
	assert_int_equal(drv_used_idx(&fh, 0), 2);
	assert_memory_equal(gpa(&fh, rx), "x", 1);
	/* A receive chain with nothing writable is returned empty and does not end the input. */
	drv_submit(&fh, 0, QS, 5, (struct drv_buf[]){ { rx, 32, false } }, 1);
	assert_int_equal(drv_used_idx(&fh, 0), 3);
	assert_int_equal(write(in[1], "y", 1), 1);
	assert_int_equal(fake_host_dispatch(&fh), 1);
	assert_int_equal(drv_used_idx(&fh, 0), 3); /* waits for a real buffer */
	drv_submit(&fh, 0, QS, 6, (struct drv_buf[]){ { rx, 32, true } }, 1);
	assert_int_equal(drv_used_idx(&fh, 0), 4);
	assert_memory_equal(gpa(&fh, rx), "y", 1);
	/* End of input: one wake-up, then none (no busy loop), and no more input. */
	drv_submit(&fh, 0, QS, 2, (struct drv_buf[]){ { rx, 32, true } }, 1);
	close(in[1]);
	assert_int_equal(fake_host_dispatch(&fh), 1);
	assert_int_equal(fake_host_dispatch(&fh), 0);
	assert_int_equal(drv_used_idx(&fh, 0), 4);

	virtio_mmio_destroy(mmio);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	fake_host_fini(&fh);
}

static void test_console_unpollable_input(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	fake_host_init(&fh, 4096);
	assert_int_equal(virtio_console_create(&fh.host, fd, 1, &vdev, NULL), 0);
	virtio_dev_free(vdev);
	close(fd);
	fake_host_fini(&fh);
}

static void test_rng(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev;
	struct virtio_mmio *mmio;
	uint64_t a, b;
	uint32_t id, len;
	static const uint8_t zero[64];

	fake_host_init(&fh, 1 << 20);
	assert_int_equal(virtio_rng_create(&fh.host, &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &mmio, NULL), 0);
	assert_true(drv_start(&fh, 1, QS, 0) & VIRTIO_CONFIG_S_DRIVER_OK);
	a = drv_alloc(&fh, 64);
	b = drv_alloc(&fh, 8192);
	drv_submit(&fh, 0, QS, 0, (struct drv_buf[]){ { a, 32, true }, { a + 32, 32, true } }, 2);
	drv_used_elem(&fh, 0, QS, 0, &id, &len);
	assert_int_equal(len, 64);
	assert_memory_not_equal(gpa(&fh, a), zero, 32);
	assert_memory_not_equal((uint8_t *)gpa(&fh, a) + 32, zero, 32);
	/* Large requests are served in 4 KiB bites. */
	drv_submit(&fh, 0, QS, 2, (struct drv_buf[]){ { b, 8192, true } }, 1);
	drv_used_elem(&fh, 0, QS, 1, &id, &len);
	assert_int_equal(len, 4096);
	/* A readable-only chain gets nothing. */
	drv_submit(&fh, 0, QS, 3, (struct drv_buf[]){ { a, 64, false } }, 1);
	drv_used_elem(&fh, 0, QS, 2, &id, &len);
	assert_int_equal(len, 0);
	virtio_mmio_destroy(mmio);
	fake_host_fini(&fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_console_unpollable_input),
		cmocka_unit_test(test_rng),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
