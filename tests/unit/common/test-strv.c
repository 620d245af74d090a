/* test-strv.c - string vectors and environment entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "strv.h"

static void test_append_and_length(void **state)
{
	_cleanup_strv_ char **v = NULL;
	assert_int_equal(strv_length(v), 0);
	assert_int_equal(strv_append(&v, "a"), 0);
	assert_int_equal(strv_append(&v, "b"), 0);
	assert_int_equal(strv_length(v), 2);
	assert_true(strv_contains(v, "b"));
	assert_false(strv_contains(v, "c"));
	assert_null(v[2]);
}

static void test_env_set_replaces(void **state)
{
	_cleanup_strv_ char **env = NULL;
	assert_int_equal(strv_env_set(&env, "PATH=/bin"), 0);
	assert_int_equal(strv_env_set(&env, "HOME=/root"), 0);
	assert_int_equal(strv_env_set(&env, "PATH=/usr/bin"), 0);
	assert_int_equal(strv_length(env), 2);
	assert_string_equal(strv_env_get(env, "PATH"), "/usr/bin");
	assert_null(strv_env_get(env, "PAT"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_length),
		cmocka_unit_test(test_env_set_replaces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
