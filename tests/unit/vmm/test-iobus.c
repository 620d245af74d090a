/* test-iobus.c - the PIO/MMIO interval lookup: ordering, overlap refusal, bounds, dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "iobus.h"

static int hits;
static uint64_t last_off;

static void handler(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	hits++;
	last_off = off;
	if (!is_write)
		memset(data, *(int *)opaque, len);
}

static void test_register_and_find(void **state)
{
	struct iobus bus = { 0 };
	int a = 0xa, b = 0xb;
	assert_int_equal(iobus_register(&bus, 0x3f8, 8, handler, &a, "serial", NULL), 0);
	assert_int_equal(iobus_register(&bus, 0x60, 1, handler, &b, "kbd", NULL), 0);
	assert_int_equal(iobus_register(&bus, 0x600, 3, handler, &b, "pm", NULL), 0);
	assert_int_equal(bus.n, 3);
	assert_true(bus.ranges[0].base < bus.ranges[1].base);
	assert_true(bus.ranges[1].base < bus.ranges[2].base);
	assert_string_equal(iobus_find(&bus, 0x3f8, 1)->name, "serial");
	assert_string_equal(iobus_find(&bus, 0x3ff, 1)->name, "serial");
	assert_null(iobus_find(&bus, 0x3ff, 2)); /* straddles the end */
	assert_null(iobus_find(&bus, 0x400, 1));
	assert_null(iobus_find(&bus, 0x3f7, 1));
	assert_null(iobus_find(&bus, UINT64_MAX, 4)); /* wraps */
	iobus_free(&bus);
}

static void test_overlap_refused(void **state)
{
	struct iobus bus = { 0 };
	struct cell_error *err = NULL;
	assert_int_equal(iobus_register(&bus, 0x1000, 0x200, handler, NULL, "a", NULL), 0);
	assert_int_equal(iobus_register(&bus, 0x11ff, 1, handler, NULL, "b", &err), -EBUSY);
	assert_non_null(strstr(err->msg, "overlaps a"));
	cell_error_free(err);
	assert_int_equal(iobus_register(&bus, 0xf00, 0x101, handler, NULL, "c", NULL), -EBUSY);
	assert_int_equal(iobus_register(&bus, 0xf00, 0x100, handler, NULL, "d", NULL), 0);
	assert_int_equal(iobus_register(&bus, 0x1200, 0x10, handler, NULL, "e", NULL), 0);
	assert_int_equal(iobus_register(&bus, 5, 0, handler, NULL, "empty", NULL), -EINVAL);
	assert_int_equal(iobus_register(&bus, UINT64_MAX - 1, 4, handler, NULL, "wrap", NULL),
			 -EINVAL);
	iobus_unregister(&bus, 0x1000);
	assert_null(iobus_find(&bus, 0x1000, 1));
	assert_int_equal(iobus_register(&bus, 0x1000, 0x200, handler, NULL, "a2", NULL), 0);
	iobus_free(&bus);
}

static void test_dispatch(void **state)
{
	struct iobus bus = { 0 };
	int fill = 0x5a;
	uint8_t buf[4];
	assert_int_equal(iobus_register(&bus, 0xd0000000, 0x200, handler, &fill, "v", NULL), 0);
	hits = 0;
	assert_true(iobus_access(&bus, 0xd0000070, buf, 4, false));
	assert_int_equal(hits, 1);
	assert_int_equal(last_off, 0x70);
	assert_int_equal(buf[3], 0x5a);
	/* Nothing there: reads float high, nothing is called. */
	assert_false(iobus_access(&bus, 0xd0000200, buf, 4, false));
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(hits, 1);
	iobus_free(&bus);
}

static void test_many_sorted(void **state)
{
	struct iobus bus = { 0 };
	/* Insert in a scrambled order; lookups must find every one. */
	for (unsigned i = 0; i < 64; i++) {
		unsigned k = (i * 37) % 64;
		assert_int_equal(iobus_register(&bus, k * 0x1000, 0x800, handler, NULL, "x", NULL),
				 0);
	}
	for (unsigned k = 0; k < 64; k++) {
		assert_non_null(iobus_find(&bus, k * 0x1000 + 0x7ff, 1));
		assert_null(iobus_find(&bus, k * 0x1000 + 0x800, 1));
	}
	iobus_free(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_find),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_many_sorted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
