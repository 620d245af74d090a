/* test-config-keys.c - LXD units and key validation: sizes, percentages, allowances, CPU sets. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config-keys.h"
#include "json.h"

static void test_bytes(void **state)
{
	uint64_t v;
	assert_int_equal(config_parse_bytes("512MiB", 0, &v, NULL), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(config_parse_bytes("1GB", 0, &v, NULL), 0);
	assert_int_equal(v, 1000000000ULL);
	assert_int_equal(config_parse_bytes("4096", 0, &v, NULL), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(config_parse_bytes("50%", 8ULL << 30, &v, NULL), 0);
	assert_int_equal(v, 4ULL << 30);
	assert_int_equal(config_parse_bytes("2KiB", 0, &v, NULL), 0);
	assert_int_equal(v, 2048);
}

static void test_bytes_bad(void **state)
{
	uint64_t v;
	struct cell_error *e = NULL;
	assert_int_equal(config_parse_bytes("lots", 0, &v, &e), -EINVAL);
	assert_non_null(strstr(e->msg, "lots"));
	cell_error_free(e);
	assert_int_equal(config_parse_bytes("12XB", 0, &v, NULL), -EINVAL);
	assert_int_equal(config_parse_bytes("", 0, &v, NULL), -EINVAL);
	assert_int_equal(config_parse_bytes("150%", 1 << 30, &v, NULL), -EINVAL);
	assert_int_equal(config_parse_bytes("-1MiB", 0, &v, NULL), -EINVAL);
	assert_int_equal(config_parse_bytes("99999999999999999999TiB", 0, &v, NULL), -ERANGE);
	assert_int_equal(config_parse_bytes("20000000TiB", 0, &v, NULL), -ERANGE);
}

static void test_allowance(void **state)
{
	int64_t q;
	uint64_t p;
	assert_int_equal(config_parse_allowance("50%", &q, &p, NULL), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(p, 100000);
	assert_int_equal(config_parse_allowance("25ms/100ms", &q, &p, NULL), 0);
	assert_int_equal(q, 25000);
	assert_int_equal(p, 100000);
	assert_int_equal(config_parse_allowance("200%", &q, &p, NULL), 0);
	assert_int_equal(q, 200000);
	assert_int_equal(config_parse_allowance("25ms", &q, &p, NULL), -EINVAL);
	assert_int_equal(config_parse_allowance("0%", &q, &p, NULL), -EINVAL);
	assert_int_equal(config_parse_allowance("25ms/5s", &q, &p, NULL), -EINVAL);
	assert_int_equal(config_parse_allowance("/100ms", &q, &p, NULL), -EINVAL);
}

static void test_cpus(void **state)
{
	char *s = NULL;
	assert_int_equal(config_parse_cpus("2", 8, &s, NULL), 0);
	assert_string_equal(s, "0-1");
	free(s);
	assert_int_equal(config_parse_cpus("1", 8, &s, NULL), 0);
	assert_string_equal(s, "0");
	free(s);
	assert_int_equal(config_parse_cpus("16", 2, &s, NULL), 0);
	assert_string_equal(s, "0-1");
	free(s);
	assert_int_equal(config_parse_cpus("0-1,3", 8, &s, NULL), 0);
	assert_string_equal(s, "0-1,3");
	free(s);
	assert_int_equal(config_parse_cpus("3-1", 8, &s, NULL), -EINVAL);
	assert_int_equal(config_parse_cpus("0,", 8, &s, NULL), -EINVAL);
	assert_int_equal(config_parse_cpus("a", 8, &s, NULL), -EINVAL);
	assert_int_equal(config_parse_cpus("0", 8, &s, NULL), -EINVAL);
}

static void test_keys(void **state)
{
	struct cell_error *e = NULL;
	assert_int_equal(config_key_validate("limits.memory", "512MiB", NULL), 0);
	assert_int_equal(config_key_validate("limits.memory", "lots", &e), -EINVAL);
	assert_non_null(strstr(e->msg, "limits.memory"));
	assert_non_null(strstr(e->msg, "lots"));
	cell_error_free(e);
	e = NULL;
	assert_int_equal(config_key_validate("limits.bogus", "1", &e), -EINVAL);
	assert_non_null(strstr(e->msg, "limits.bogus"));
	cell_error_free(e);
	assert_int_equal(config_key_validate("environment.FOO", "bar", NULL), 0);
	assert_int_equal(config_key_validate("environment.", "bar", NULL), -EINVAL);
	assert_int_equal(config_key_validate("boot.autostart", "maybe", NULL), -EINVAL);
	assert_int_equal(config_key_validate("security.privileged", "true", NULL), 0);
	assert_int_equal(config_key_validate("limits.memory.swap", "false", NULL), 0);
	assert_int_equal(config_key_validate("limits.processes", "0", NULL), -EINVAL);
	assert_true(config_key_is_live("limits.memory"));
	assert_false(config_key_is_live("security.privileged"));
}

static void test_resources(void **state)
{
	json_t *cfg = json_pack("{ss ss ss ss ss}", "limits.memory", "1GiB", "limits.memory.swap",
				"false", "limits.cpu", "2", "limits.cpu.allowance", "25ms/100ms",
				"limits.processes", "100");
	json_t *res = NULL;
	assert_int_equal(config_to_resources(cfg, 8ULL << 30, 4, &res, NULL), 0);
	json_t *mem = json_object_get(res, "memory");
	assert_int_equal(json_integer_value(json_object_get(mem, "limit")), 1 << 30);
	assert_int_equal(json_integer_value(json_object_get(mem, "swap")), 1 << 30);
	json_t *cpu = json_object_get(res, "cpu");
	assert_string_equal(json_string_value(json_object_get(cpu, "cpus")), "0-1");
	assert_int_equal(json_integer_value(json_object_get(cpu, "quota")), 25000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")),
			 100);
	json_decref(res);
	json_decref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),	  cmocka_unit_test(test_bytes_bad),
		cmocka_unit_test(test_allowance), cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_keys),	  cmocka_unit_test(test_resources),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
