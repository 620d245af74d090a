/* test-error.c - the error convention: set, errno text, wrap, NULL-safety. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"

static void test_set_returns_negative_code(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	assert_int_equal(cell_error_set(&err, EINVAL, "bad %s", "key"), -EINVAL);
	assert_int_equal(err->code, EINVAL);
	assert_string_equal(err->msg, "bad key");
}

static void test_errno_appends_strerror(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	assert_int_equal(cell_error_errno(&err, -ENOENT, "open %s", "/x"), -ENOENT);
	assert_string_equal(err->msg, "open /x: No such file or directory");
}

static void test_wrap_prefixes_context(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	cell_error_set(&err, EEXIST, "state dir exists");
	assert_int_equal(cell_error_wrap(&err, "create %s", "c1"), -EEXIST);
	assert_string_equal(err->msg, "create c1: state dir exists");
}

static void test_null_err_only_returns(void **state)
{
	assert_int_equal(cell_error_set(NULL, EPERM, "ignored"), -EPERM);
	assert_int_equal(cell_error_set(NULL, 0, "zero becomes EIO"), -EIO);
}

static void test_set_replaces_previous(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	cell_error_set(&err, EPERM, "first");
	cell_error_set(&err, EBUSY, "second");
	assert_int_equal(err->code, EBUSY);
	assert_string_equal(err->msg, "second");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_negative_code),
		cmocka_unit_test(test_errno_appends_strerror),
		cmocka_unit_test(test_wrap_prefixes_context),
		cmocka_unit_test(test_null_err_only_returns),
		cmocka_unit_test(test_set_replaces_previous),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
