/* test-virtio-queue.c - the split virtqueue walker against valid and hostile chains. */
#include <errno.h>
#include <linux/virtio_ring.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake-host.h"

#define QSIZE 8
#define RAM (1 << 20)

struct ctx {
	struct fake_host fh;
	struct virtqueue vq;
	struct virtq_req req;
	struct vring_desc *d;
	struct vring_avail *av;
	struct vring_used *u;
};

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	fake_host_init(&c->fh, RAM);
	c->vq.max_size = 256;
	virtq_reset(&c->vq);
	c->vq.size = QSIZE;
	c->vq.desc_gpa = drv_desc(0);
	c->vq.avail_gpa = drv_avail(0);
	c->vq.used_gpa = drv_used(0);
	assert_int_equal(virtq_setup(&c->vq, &c->fh.host), 0);
	c->vq.ready = true;
	c->d = gpa(&c->fh, drv_desc(0));
	c->av = gpa(&c->fh, drv_avail(0));
	c->u = gpa(&c->fh, drv_used(0));
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	fake_host_fini(&c->fh);
	free(c);
	return 0;
}

static void desc(struct ctx *c, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	c->d[i] = (struct vring_desc){ addr, len, flags, next };
}

static void avail(struct ctx *c, uint16_t head)
{
	c->av->ring[c->av->idx % QSIZE] = head;
	c->av->idx++;
}

static int pop(struct ctx *c)
{
	return virtq_pop(&c->vq, &c->fh.host, &c->req);
}

static void test_valid_chain(void **state)
{
	struct ctx *c = *state;
	uint64_t a = FAKE_RAM_BASE + 0x40000;

	assert_int_equal(pop(c), 0); /* empty */
	desc(c, 3, a, 16, VRING_DESC_F_NEXT, 5);
	desc(c, 5, a + 16, 100, VRING_DESC_F_NEXT, 1);
	desc(c, 1, a + 200, 1, VRING_DESC_F_WRITE, 0);
	avail(c, 3);
	assert_true(virtq_has_avail(&c->vq));
	assert_int_equal(pop(c), 1);
	assert_int_equal(c->req.head, 3);
	assert_int_equal(c->req.n_out, 2);
	assert_int_equal(c->req.n_in, 1);
	assert_int_equal(c->req.out_len, 116);
	assert_int_equal(c->req.in_len, 1);
	assert_ptr_equal(c->req.out[1].iov_base, gpa(&c->fh, a + 16));
	assert_ptr_equal(c->req.in[0].iov_base, gpa(&c->fh, a + 200));
	virtq_push(&c->vq, 3, 1);
	assert_int_equal(c->u->idx, 1);
	assert_int_equal(c->u->ring[0].id, 3);
	assert_int_equal(c->u->ring[0].len, 1);
	assert_int_equal(pop(c), 0);
	assert_false(virtq_has_avail(&c->vq));
}

static void test_wraparound(void **state)
{
	struct ctx *c = *state;

	/* Free-running 16-bit indices: start just below the wrap. */
	c->av->idx = 65534;
	c->vq.last_avail = 65534;
	c->vq.used_idx = 65534;
	for (int i = 0; i < 4; i++) {
		desc(c, 0, FAKE_RAM_BASE + 0x40000, 8, 0, 0);
		avail(c, 0);
		assert_int_equal(pop(c), 1);
		virtq_push(&c->vq, 0, 0);
	}
	assert_int_equal(c->u->idx, 2);
	assert_int_equal(pop(c), 0);
}

static void test_zero_length_skipped(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, 0, 0, VRING_DESC_F_NEXT, 1); /* address 0 is outside RAM, but len is 0 */
	desc(c, 1, FAKE_RAM_BASE, 4, 0, 0);
	avail(c, 0);
	assert_int_equal(pop(c), 1);
	assert_int_equal(c->req.n_out, 1);
	assert_int_equal(c->req.out_len, 4);
}

static void test_full_length_chain(void **state)
{
	struct ctx *c = *state;

	for (uint16_t i = 0; i < QSIZE; i++)
		desc(c, i, FAKE_RAM_BASE + 0x40000, 8, i + 1 < QSIZE ? VRING_DESC_F_NEXT : 0,
		     i + 1);
	avail(c, 0);
	assert_int_equal(pop(c), 1);
	assert_int_equal(c->req.n_out, QSIZE);
}

static void test_head_out_of_range(void **state)
{
	struct ctx *c = *state;

	avail(c, QSIZE);
	assert_int_equal(pop(c), -EINVAL);
}

static void test_next_out_of_range(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT, QSIZE);
	avail(c, 0);
	assert_int_equal(pop(c), -EINVAL);
}

static void test_avail_idx_runaway(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, FAKE_RAM_BASE, 8, 0, 0);
	c->av->idx = QSIZE + 1; /* more chains than the ring can hold */
	assert_int_equal(pop(c), -EINVAL);
}

static void test_address_outside_ram(void **state)
{
	struct ctx *c = *state;
	const uint64_t bad[][2] = {
		{ 0, 8 },			/* below RAM */
		{ FAKE_RAM_BASE - 4, 8 },	/* straddles the start */
		{ FAKE_RAM_BASE + RAM - 4, 8 }, /* straddles the end */
		{ FAKE_RAM_BASE + RAM, 1 },	/* just past the end */
		{ UINT64_MAX - 3, 8 },		/* wraps around */
		{ FAKE_RAM_BASE, 0xffffffffu }, /* huge length */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		desc(c, 0, bad[i][0], (uint32_t)bad[i][1], 0, 0);
		avail(c, 0);
		assert_int_equal(pop(c), -EINVAL);
		c->vq.last_avail = c->av->idx; /* skip it, as a reset device would */
	}
	/* The last byte of RAM is fine. */
	desc(c, 0, FAKE_RAM_BASE + RAM - 1, 1, VRING_DESC_F_WRITE, 0);
	avail(c, 0);
	assert_int_equal(pop(c), 1);
}

static void test_loop(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT, 1);
	desc(c, 1, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT, 0);
	avail(c, 0);
	assert_int_equal(pop(c), -EINVAL);
}

static void test_self_loop(void **state)
{
	struct ctx *c = *state;

	desc(c, 2, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
	avail(c, 2);
	assert_int_equal(pop(c), -EINVAL);
}

static void test_readable_after_writable(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	desc(c, 1, FAKE_RAM_BASE, 8, 0, 0);
	avail(c, 0);
	assert_int_equal(pop(c), -EINVAL);
}

/* An indirect table at gpa t with n entries, in RAM at offset 0x20000. */
static struct vring_desc *itable(struct ctx *c, uint64_t *t)
{
	*t = FAKE_RAM_BASE + 0x20000;
	return gpa(&c->fh, *t);
}

static void test_indirect_valid(void **state)
{
	struct ctx *c = *state;
	uint64_t t;
	struct vring_desc *it = itable(c, &t);

	c->vq.indirect = true;
	it[0] = (struct vring_desc){ FAKE_RAM_BASE, 16, VRING_DESC_F_NEXT, 2 };
	it[2] = (struct vring_desc){ FAKE_RAM_BASE + 64, 512,
				     VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1 };
	it[1] = (struct vring_desc){ FAKE_RAM_BASE + 1024, 1, VRING_DESC_F_WRITE, 0 };
	desc(c, 4, t, 3 * 16, VRING_DESC_F_INDIRECT, 0);
	avail(c, 4);
	assert_int_equal(pop(c), 1);
	assert_int_equal(c->req.head, 4);
	assert_int_equal(c->req.n_out, 1);
	assert_int_equal(c->req.n_in, 2);
	assert_int_equal(c->req.in_len, 513);
}

static void expect_indirect_fails(struct ctx *c, uint64_t t, uint32_t len, uint16_t flags)
{
	desc(c, 0, t, len, VRING_DESC_F_INDIRECT | flags, 1);
	desc(c, 1, FAKE_RAM_BASE, 8, VRING_DESC_F_WRITE, 0);
	avail(c, 0);
	assert_int_equal(pop(c), -EINVAL);
	c->vq.last_avail = c->av->idx;
}

static void test_indirect_tricks(void **state)
{
	struct ctx *c = *state;
	uint64_t t;
	struct vring_desc *it = itable(c, &t);

	it[0] = (struct vring_desc){ FAKE_RAM_BASE, 16, 0, 0 };
	/* Not negotiated. */
	expect_indirect_fails(c, t, 16, 0);
	c->vq.indirect = true;
	/* INDIRECT together with NEXT. */
	expect_indirect_fails(c, t, 16, VRING_DESC_F_NEXT);
	/* Length not a multiple of a descriptor, zero, too many entries. */
	expect_indirect_fails(c, t, 17, 0);
	expect_indirect_fails(c, t, 0, 0);
	expect_indirect_fails(c, t, (VIRTQ_MAX_CHAIN + 1) * 16, 0);
	/* Table outside RAM, misaligned. */
	expect_indirect_fails(c, FAKE_RAM_BASE + RAM - 8, 16, 0);
	expect_indirect_fails(c, t + 8, 16, 0);
	/* Nested table. */
	it[0] = (struct vring_desc){ t, 16, VRING_DESC_F_INDIRECT, 0 };
	expect_indirect_fails(c, t, 16, 0);
	/* A loop inside the table. */
	it[0] = (struct vring_desc){ FAKE_RAM_BASE, 16, VRING_DESC_F_NEXT, 1 };
	it[1] = (struct vring_desc){ FAKE_RAM_BASE, 16, VRING_DESC_F_NEXT, 0 };
	expect_indirect_fails(c, t, 32, 0);
	/* next beyond the table's end (but inside the ring size). */
	it[1] = (struct vring_desc){ FAKE_RAM_BASE, 16, VRING_DESC_F_NEXT, 2 };
	expect_indirect_fails(c, t, 32, 0);
	/* Readable after writable inside the table. */
	it[0] = (struct vring_desc){ FAKE_RAM_BASE, 16, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1 };
	it[1] = (struct vring_desc){ FAKE_RAM_BASE, 16, 0, 0 };
	expect_indirect_fails(c, t, 32, 0);
	/* Buffer in the table outside RAM. */
	it[0] = (struct vring_desc){ 0x1000, 16, 0, 0 };
	expect_indirect_fails(c, t, 16, 0);
	/* An indirect descriptor that is not the chain's first. */
	it[0] = (struct vring_desc){ FAKE_RAM_BASE, 16, 0, 0 };
	desc(c, 0, FAKE_RAM_BASE, 8, VRING_DESC_F_NEXT, 1);
	desc(c, 1, t, 16, VRING_DESC_F_INDIRECT, 0);
	avail(c, 0);
	assert_int_equal(pop(c), -EINVAL);
}

static void test_setup_checks(void **state)
{
	struct ctx *c = *state;
	struct virtqueue vq = { .max_size = 256 };

	virtq_reset(&vq);
	vq.desc_gpa = drv_desc(0);
	vq.avail_gpa = drv_avail(0);
	vq.used_gpa = drv_used(0);
	vq.size = 6; /* not a power of two */
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.size = 512; /* above the maximum */
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.size = 0;
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.size = 256;
	vq.desc_gpa += 8; /* misaligned */
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.desc_gpa = FAKE_RAM_BASE + RAM - 16; /* ring runs past RAM */
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.desc_gpa = drv_desc(0);
	vq.used_gpa = UINT64_MAX - 3;
	assert_int_equal(virtq_setup(&vq, &c->fh.host), -EINVAL);
	vq.used_gpa = drv_used(0);
	assert_int_equal(virtq_setup(&vq, &c->fh.host), 0);
}

static void test_no_interrupt_flag(void **state)
{
	struct ctx *c = *state;

	assert_true(virtq_should_interrupt(&c->vq));
	c->av->flags = VRING_AVAIL_F_NO_INTERRUPT;
	assert_false(virtq_should_interrupt(&c->vq));
}

static void test_unpop(void **state)
{
	struct ctx *c = *state;

	desc(c, 0, FAKE_RAM_BASE, 8, 0, 0);
	avail(c, 0);
	assert_int_equal(pop(c), 1);
	virtq_unpop(&c->vq);
	assert_int_equal(pop(c), 1);
	assert_int_equal(pop(c), 0);
}

static void test_iov_helpers(void **state)
{
	char a[3], b[5], out[8] = { 0 }, in[8] = "abcdefgh";
	struct iovec iov[2] = { { a, 3 }, { b, 5 } }, dst[2];

	assert_int_equal(iov_from_buf(iov, 2, 0, in, 8), 8);
	assert_int_equal(iov_to_buf(iov, 2, 2, out, 8), 6);
	assert_memory_equal(out, "cdefgh", 6);
	assert_int_equal(iov_from_buf(iov, 2, 7, "X", 1), 1);
	assert_int_equal(b[4], 'X');
	assert_int_equal(iov_to_buf(iov, 2, 9, out, 8), 0);
	assert_int_equal(iov_slice(dst, iov, 2, 1, 4), 2);
	assert_ptr_equal(dst[0].iov_base, a + 1);
	assert_int_equal(dst[0].iov_len, 2);
	assert_int_equal(dst[1].iov_len, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_valid_chain),
		T(test_wraparound),
		T(test_zero_length_skipped),
		T(test_full_length_chain),
		T(test_head_out_of_range),
		T(test_next_out_of_range),
		T(test_avail_idx_runaway),
		T(test_address_outside_ram),
		T(test_loop),
		T(test_self_loop),
		T(test_readable_after_writable),
		T(test_indirect_valid),
		T(test_indirect_tricks),
		T(test_setup_checks),
		T(test_no_interrupt_flag),
		T(test_unpop),
		T(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
