/* test-json.c - parse errors name the spot; typed getters name the field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "json.h"
#include "strv.h"

static void test_malformed_names_line_and_column(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	json_t *j = NULL;
	assert_int_equal(json_load_object_string("{\n \"a\": ,}", "config.json", &j, &err),
			 -EINVAL);
	assert_non_null(strstr(err->msg, "config.json:2:"));
	assert_null(j);
}

static void test_top_level_must_be_object(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	json_t *j = NULL;
	assert_int_equal(json_load_object_string("[1]", "x.json", &j, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "object"));
}

static void test_duplicate_keys_rejected(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	json_t *j = NULL;
	assert_int_equal(json_load_object_string("{\"a\":1,\"a\":2}", "d.json", &j, &err), -EINVAL);
}

static void test_typed_getters(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_json_ json_t *j = NULL;
	assert_int_equal(json_load_object_string("{\"s\":\"v\",\"b\":true,\"i\":-3,\"u\":7,"
						 "\"l\":[\"x\",\"y\"]}",
						 "t", &j, &err),
			 0);
	const char *s = NULL;
	bool b = false;
	int64_t i = 0;
	uint64_t u = 0;
	_cleanup_strv_ char **l = NULL;
	assert_int_equal(json_get_string(j, "process", "s", &s, &err), 0);
	assert_string_equal(s, "v");
	assert_int_equal(json_get_bool(j, "process", "b", &b, &err), 0);
	assert_true(b);
	assert_int_equal(json_get_int64(j, "process", "i", &i, &err), 0);
	assert_int_equal(i, -3);
	assert_int_equal(json_get_uint64(j, "process", "u", &u, &err), 0);
	assert_int_equal(u, 7);
	assert_int_equal(json_get_strv(j, "process", "l", &l, &err), 0);
	assert_int_equal(strv_length(l), 2);
	/* absent is fine and leaves the default */
	s = "default";
	assert_int_equal(json_get_string(j, "process", "missing", &s, &err), 0);
	assert_string_equal(s, "default");
}

static void test_wrong_type_names_field(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_json_ json_t *j = NULL;
	assert_int_equal(json_load_object_string("{\"uid\":\"zero\",\"l\":[1]}", "t", &j, &err), 0);
	int64_t v;
	assert_int_equal(json_get_int64(j, "process.user", "uid", &v, &err), -EINVAL);
	assert_string_equal(err->msg, "process.user.uid: expected an integer");
	char **l = NULL;
	assert_int_equal(json_get_strv(j, "process", "l", &l, &err), -EINVAL);
	assert_string_equal(err->msg, "process.l[0]: expected a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_names_line_and_column),
		cmocka_unit_test(test_top_level_must_be_object),
		cmocka_unit_test(test_duplicate_keys_rejected),
		cmocka_unit_test(test_typed_getters),
		cmocka_unit_test(test_wrong_type_names_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
