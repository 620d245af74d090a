/* test-virtio-blk.c - virtio-blk requests against a temporary image file. */
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake-host.h"

#define SECTORS 64
#define QS 256

struct ctx {
	struct fake_host fh;
	struct virtio_mmio *mmio;
	char path[64];
	int fd; /* the test's own view of the image */
};

static int open_disk(void **state, bool ro)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct virtio_dev *vdev;
	char sector[512];

	fake_host_init(&c->fh, 1 << 20);
	strcpy(c->path, "/tmp/test-virtio-blk-XXXXXX");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	for (int i = 0; i < SECTORS; i++) {
		memset(sector, 'a' + i % 26, sizeof(sector));
		assert_int_equal(write(c->fd, sector, sizeof(sector)), sizeof(sector));
	}
	assert_int_equal(write(c->fd, "tail", 4), 4); /* a partial sector is not exposed */
	assert_int_equal(virtio_blk_create(&c->fh.host, c->path, ro, NULL, &vdev, NULL), 0);
	assert_int_equal(virtio_mmio_create(vdev, 0xd0000000, 5, &c->mmio, NULL), 0);
	assert_int_equal(drv_start(&c->fh, 1, QS, 0) & VIRTIO_CONFIG_S_DRIVER_OK,
			 VIRTIO_CONFIG_S_DRIVER_OK);
	*state = c;
	return 0;
}

static int setup_rw(void **state)
{
	return open_disk(state, false);
}

static int setup_ro(void **state)
{
	return open_disk(state, true);
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	virtio_mmio_destroy(c->mmio);
	close(c->fd);
	unlink(c->path);
	fake_host_fini(&c->fh);
	free(c);
	return 0;
}

static uint16_t next_desc;

/* Submit header + data + status as separate descriptors; returns the status byte and sets
 * *used_len. data may be 0 (no data descriptor). */
static uint8_t request(struct ctx *c, uint32_t type, uint64_t sector, uint64_t data,
		       uint32_t data_len, bool data_write, uint32_t *used_len)
{
	uint64_t h = drv_alloc(&c->fh, 16), st = drv_alloc(&c->fh, 1);
	struct virtio_blk_outhdr *hdr = gpa(&c->fh, h);
	struct drv_buf b[3];
	unsigned int n = 0;
	uint16_t before = drv_used_idx(&c->fh, 0);
	uint32_t id;

	hdr->type = type;
	hdr->sector = sector;
	*(uint8_t *)gpa(&c->fh, st) = 0xee;
	b[n++] = (struct drv_buf){ h, 16, false };
	if (data)
		b[n++] = (struct drv_buf){ data, data_len, data_write };
	b[n++] = (struct drv_buf){ st, 1, true };
	drv_submit(&c->fh, 0, QS, next_desc, b, n);
	next_desc = (uint16_t)((next_desc + n) % QS);
	assert_int_equal(drv_used_idx(&c->fh, 0), (uint16_t)(before + 1));
	drv_used_elem(&c->fh, 0, QS, before, &id, used_len);
	return *(uint8_t *)gpa(&c->fh, st);
}

static void test_config(void **state)
{
	struct ctx *c = *state;
	uint64_t cap = 0;
	uint32_t blk_size = 0, seg_max = 0;

	virtio_mmio_access(c->mmio, 0x100, (uint8_t *)&cap, 8, false);
	assert_int_equal(cap, SECTORS);
	virtio_mmio_access(c->mmio, 0x100 + 20, (uint8_t *)&blk_size, 4, false);
	assert_int_equal(blk_size, 512);
	virtio_mmio_access(c->mmio, 0x100 + 12, (uint8_t *)&seg_max, 4, false);
	assert_int_equal(seg_max, QS - 2);
	/* Past the end of config space: zeros. */
	virtio_mmio_access(c->mmio, 0x100 + 22, (uint8_t *)&seg_max, 4, false);
	assert_int_equal(seg_max, 0);
	mmio_write(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_FLUSH));
	assert_false(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_RO));
}

static void test_read(void **state)
{
	struct ctx *c = *state;
	uint64_t d = drv_alloc(&c->fh, 1024);
	uint32_t len;

	assert_int_equal(request(c, VIRTIO_BLK_T_IN, 2, d, 1024, true, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 1025);
	assert_int_equal(((char *)gpa(&c->fh, d))[0], 'c');
	assert_int_equal(((char *)gpa(&c->fh, d))[1023], 'd');
	/* The last sector is readable, one past it is not. */
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, SECTORS - 1, d, 512, true, &len),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, SECTORS - 1, d, 1024, true, &len),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(len, 1);
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, SECTORS, d, 512, true, &len),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, UINT64_MAX, d, 512, true, &len),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, UINT64_MAX / 512 + 1, d, 512, true, &len),
			 VIRTIO_BLK_S_IOERR);
	/* Not a whole number of sectors. */
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, 0, d, 100, true, &len), VIRTIO_BLK_S_IOERR);
}

static void test_write(void **state)
{
	struct ctx *c = *state;
	uint64_t d = drv_alloc(&c->fh, 1024);
	char back[1024];
	uint32_t len;

	memset(gpa(&c->fh, d), 'Z', 1024);
	assert_int_equal(request(c, VIRTIO_BLK_T_OUT, 5, d, 1024, false, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 1);
	assert_int_equal(pread(c->fd, back, sizeof(back), 5 * 512), sizeof(back));
	assert_int_equal(back[0], 'Z');
	assert_int_equal(back[1023], 'Z');
	assert_int_equal(pread(c->fd, back, 1, 7 * 512), 1);
	assert_int_equal(back[0], 'h'); /* the next sector untouched */
	assert_int_equal(request(c, VIRTIO_BLK_T_OUT, SECTORS - 1, d, 1024, false, &len),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(c, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &len), VIRTIO_BLK_S_OK);
}

static void test_get_id_and_unsupported(void **state)
{
	struct ctx *c = *state;
	uint64_t d = drv_alloc(&c->fh, VIRTIO_BLK_ID_BYTES);
	const char *name = strrchr(c->path, '/') + 1;
	uint32_t len;

	assert_int_equal(request(c, VIRTIO_BLK_T_GET_ID, 0, d, VIRTIO_BLK_ID_BYTES, true, &len),
			 VIRTIO_BLK_S_OK);
	/* The 22-byte file name is cut to the spec's 20 bytes. */
	assert_int_equal(strlen(name), 22);
	assert_int_equal(len, VIRTIO_BLK_ID_BYTES + 1);
	assert_memory_equal(gpa(&c->fh, d), name, VIRTIO_BLK_ID_BYTES);
	/* A short id buffer gets a prefix. */
	assert_int_equal(request(c, VIRTIO_BLK_T_GET_ID, 0, d, 4, true, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(len, 5);
	assert_int_equal(request(c, 77, 0, 0, 0, false, &len), VIRTIO_BLK_S_UNSUPP);
}

static void test_malformed_requests(void **state)
{
	struct ctx *c = *state;
	uint64_t h = drv_alloc(&c->fh, 16), st = drv_alloc(&c->fh, 1);
	struct drv_buf b[2];
	uint32_t id, len;

	/* Header only, no status byte: answered with length 0, device still live. */
	b[0] = (struct drv_buf){ h, 16, false };
	drv_submit(&c->fh, 0, QS, 0, b, 1);
	drv_used_elem(&c->fh, 0, QS, 0, &id, &len);
	assert_int_equal(len, 0);
	/* Short header. */
	b[0] = (struct drv_buf){ h, 8, false };
	b[1] = (struct drv_buf){ st, 1, true };
	drv_submit(&c->fh, 0, QS, 2, b, 2);
	drv_used_elem(&c->fh, 0, QS, 1, &id, &len);
	assert_int_equal(len, 0);
	assert_false(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	/* A chain that leaves RAM breaks the device, not the VMM. */
	b[1] = (struct drv_buf){ FAKE_RAM_BASE + (1 << 20) - 1, 2, true };
	drv_submit(&c->fh, 0, QS, 4, b, 2);
	assert_int_equal(drv_used_idx(&c->fh, 0), 2);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_ro_refuses_writes(void **state)
{
	struct ctx *c = *state;
	uint64_t d = drv_alloc(&c->fh, 512);
	char back[512];
	uint32_t len;

	mmio_write(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(mmio_read(&c->fh, VIRTIO_MMIO_DEVICE_FEATURES) & (1u << VIRTIO_BLK_F_RO));
	memset(gpa(&c->fh, d), 'Z', 512);
	assert_int_equal(request(c, VIRTIO_BLK_T_OUT, 0, d, 512, false, &len), VIRTIO_BLK_S_IOERR);
	assert_int_equal(pread(c->fd, back, sizeof(back), 0), sizeof(back));
	assert_int_equal(back[0], 'a');
	assert_int_equal(request(c, VIRTIO_BLK_T_IN, 0, d, 512, true, &len), VIRTIO_BLK_S_OK);
	assert_int_equal(((char *)gpa(&c->fh, d))[0], 'a');
}

static void test_open_errors(void **state)
{
	struct fake_host fh;
	struct virtio_dev *vdev = NULL;
	struct cell_error *err = NULL;
	char path[] = "/tmp/test-virtio-blk-lock-XXXXXX";
	int fd;

	fake_host_init(&fh, 4096);
	assert_int_equal(
		virtio_blk_create(&fh.host, "/nonexistent/disk.img", false, NULL, &vdev, &err),
		-ENOENT);
	assert_non_null(strstr(err->msg, "/nonexistent/disk.img"));
	cell_error_free(err);
	err = NULL;
	assert_int_equal(virtio_blk_create(&fh.host, "/dev/null", false, NULL, &vdev, &err),
			 -EINVAL);
	cell_error_free(err);
	err = NULL;
	/* A second writer is refused while the first holds the image. */
	fd = mkstemp(path);
	assert_int_equal(virtio_blk_create(&fh.host, path, false, NULL, &vdev, NULL), 0);
	struct virtio_dev *second = NULL;
	assert_int_equal(virtio_blk_create(&fh.host, path, false, NULL, &second, &err), -EBUSY);
	assert_null(second);
	cell_error_free(err);
	virtio_dev_free(vdev);
	close(fd);
	unlink(path);
	fake_host_fini(&fh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_write, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_get_id_and_unsupported, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_requests, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_ro_refuses_writes, setup_ro, teardown),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
