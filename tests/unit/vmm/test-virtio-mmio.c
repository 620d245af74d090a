/* test-virtio-mmio.c - the virtio-mmio register file: ids, negotiation, queues, reset, bounds. */
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-host.h"

struct ctx {
	struct fake_host fh;
	struct virtio_mmio *mmio;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct virtio_dev *vdev;

	fake_host_init(&c->fh, 1 << 20);
	assert_int_equal(virtio_rng_create(&c->fh.host, &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &c->mmio, NULL), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	virtio_mmio_destroy(c->mmio);
	fake_host_fini(&c->fh);
	free(c);
	return 0;
}

static void test_identity(void **state)
{
	struct ctx *c = *state;

	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	mmio_write(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 */
	mmio_write(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES),
			 1u << VIRTIO_RING_F_INDIRECT_DESC);
	mmio_write(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 7);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_SEL, 1); /* no such queue */
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_odd_accesses(void **state)
{
	struct ctx *c = *state;
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	/* Sub-word and misaligned register reads give zeros; writes are ignored. */
	virtio_mmio_access(c->mmio, VIRTIO_MMIO_MAGIC_VALUE, b, 2, false);
	assert_int_equal(b[0] | b[1], 0);
	virtio_mmio_access(c->mmio, 1, b, 4, false);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	virtio_mmio_access(c->mmio, VIRTIO_MMIO_STATUS, b, 1, true);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_STATUS), 0);
	/* Outside the window, or of silly sizes: nothing happens (and nothing is read). */
	memset(b, 0xaa, sizeof(b));
	virtio_mmio_access(c->mmio, VIRTIO_MMIO_SIZE - 2, b, 4, false);
	virtio_mmio_access(c->mmio, UINT64_MAX - 1, b, 4, false);
	virtio_mmio_access(c->mmio, 0, b, 0, false);
	virtio_mmio_access(c->mmio, 0, b, 9, false);
	assert_int_equal(b[0], 0xaa);
	/* rng has no config space: reads there are zero. */
	virtio_mmio_access(c->mmio, 0x100, b, 8, false);
	assert_int_equal(b[0] | b[7], 0);
}

static void test_negotiation(void **state)
{
	struct ctx *c = *state;
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	/* A legacy driver (no VERSION_1) is refused. */
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s);
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_STATUS), s);
	/* Features never offered are refused. */
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, 0);
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s);
	mmio_write(&c->fh, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mmio_write(&c->fh, VIRTIO_MMIO_DRIVER_FEATURES, 1 | 2);
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_STATUS), s);
	/* DRIVER_OK without FEATURES_OK breaks the device. */
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A full, proper start works and reset clears everything. */
	assert_int_equal(drv_start(&c->fh, 1, 64, 0),
			 s | VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_SEL, 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_QUEUE_READY), 1);
	/* Queue setup is frozen while ready. */
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_NUM, 2);
	assert_int_equal(virtio_mmio_dev(c->mmio)->vqs[0].size, 64);
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_QUEUE_READY), 0);
}

static void test_bad_queue_needs_reset(void **state)
{
	struct ctx *c = *state;
	uint32_t s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_SEL, 0);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_NUM, 64);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000); /* below RAM */
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_READY, 1);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* Only a reset clears NEEDS_RESET. */
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, s | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	mmio_write(&c->fh, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_STATUS), 0);
}

static void test_interrupt_and_ack(void **state)
{
	struct ctx *c = *state;
	uint64_t buf = drv_alloc(&c->fh, 64);
	struct drv_buf b = { buf, 64, true };
	uint32_t id, len;

	drv_start(&c->fh, 1, 64, 0);
	drv_submit(&c->fh, 0, 64, 0, &b, 1);
	assert_int_equal(drv_used_idx(&c->fh, 0), 1);
	drv_used_elem(&c->fh, 0, 64, 0, &id, &len);
	assert_int_equal(id, 0);
	assert_int_equal(len, 64);
	assert_int_equal(c->fh.irqs, 1);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_INTERRUPT_STATUS), 1);
	mmio_write(&c->fh, VIRTIO_MMIO_INTERRUPT_ACK, 1);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	/* Kicks of queues that do not exist are ignored. */
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_NOTIFY, 9);
	mmio_write(&c->fh, VIRTIO_MMIO_QUEUE_NOTIFY, UINT32_MAX);
	assert_int_equal(c->fh.irqs, 1);
}

static void test_broken_chain_needs_reset(void **state)
{
	struct ctx *c = *state;
	struct drv_buf b = { 0x10, 64, true }; /* outside RAM */

	drv_start(&c->fh, 1, 64, 0);
	drv_submit(&c->fh, 0, 64, 0, &b, 1);
	assert_int_equal(drv_used_idx(&c->fh, 0), 0);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(mmio_read(&c->fh, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_CONFIG);
	/* The device stops serving until reset; a reset and restart bring it back. */
	b.addr = drv_alloc(&c->fh, 64);
	drv_submit(&c->fh, 0, 64, 1, &b, 1);
	assert_int_equal(drv_used_idx(&c->fh, 0), 0);
	memset(gpa(&c->fh, drv_avail(0)), 0, 4);
	drv_start(&c->fh, 1, 64, 0);
	drv_submit(&c->fh, 0, 64, 0, &b, 1);
	assert_int_equal(drv_used_idx(&c->fh, 0), 1);
}

/* With ioeventfd and irqfd (as over KVM): kicks reach the device through the loop, interrupts
 * through the irqfd, and a kick of a queue no ioeventfd matches still falls to the handler. */
static void test_kvm_like_notify_and_irq(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev;
	struct virtio_mmio *mmio;
	uint64_t buf;
	uint32_t v = 0, id, len;

	fake_host_init(&fh, 1 << 20);
	fake_host_kvm_like(&fh);
	assert_int_equal(virtio_rng_create(&fh.host, &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &mmio, NULL), 0);
	assert_true(fh.irqfd >= 0);
	assert_true(fh.ioeventfd[0].fd >= 0);
	assert_int_equal(fh.ioeventfd[0].addr, 0xd0000000 + VIRTIO_MMIO_QUEUE_NOTIFY);
	drv_start(&fh, 1, 64, 0);
	buf = drv_alloc(&fh, 32);
	drv_submit(&fh, 0, 64, 0, (struct drv_buf[]){ { buf, 32, true } }, 1);
	assert_int_equal(drv_used_idx(&fh, 0), 1);
	drv_used_elem(&fh, 0, 64, 0, &id, &len);
	assert_int_equal(len, 32);
	assert_int_equal(fake_host_irqfd_count(&fh), 1);
	assert_int_equal(fh.irqs, 0);
	assert_int_equal(mmio_read(&fh, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_ISR_QUEUE);
	/* No shared memory regions. */
	mmio_write(&fh, VIRTIO_MMIO_SHM_SEL, 0);
	assert_int_equal(mmio_read(&fh, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(mmio_read(&fh, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	virtio_mmio_access(mmio, VIRTIO_MMIO_QUEUE_NOTIFY, (uint8_t *)&v, 4, true);
	virtio_mmio_destroy(mmio);
	fake_host_fini(&fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_identity),
		T(test_odd_accesses),
		T(test_negotiation),
		T(test_bad_queue_needs_reset),
		T(test_interrupt_and_ack),
		T(test_broken_chain_needs_reset),
		cmocka_unit_test(test_kvm_like_notify_and_irq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
