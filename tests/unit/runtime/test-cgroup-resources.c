/* test-cgroup-resources.c - linux.resources parsing, its errors naming the field, and the v1 to
 * v2 conversions (shares -> weight, memory+swap -> swap, blkio -> io weight). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json.h"

static int parse(const char *text, struct cgroup_resources **res, struct cell_error **err)
{
	json_t *j = NULL;
	assert_int_equal(json_load_object_string(text, "resources", &j, err), 0);
	int r = cgroup_resources_parse(j, res, err);
	json_decref(j);
	return r;
}

/* Parsing text must fail with code, and the message must contain want. */
static void expect_error(const char *text, int code, const char *want)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = NULL;
	assert_int_equal(parse(text, &res, &err), -code);
	assert_null(res);
	if (!strstr(err->msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err->msg, want);
}

static void test_full_spec(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = NULL;
	int r = parse(
		"{\"memory\":{\"limit\":1048576,\"reservation\":524288,\"swap\":2097152,"
		"\"swappiness\":10,\"disableOOMKiller\":true},"
		"\"cpu\":{\"shares\":1024,\"quota\":20000,\"period\":100000,\"cpus\":\"0-1,3\","
		"\"mems\":\"0\"},\"pids\":{\"limit\":-1},"
		"\"blockIO\":{\"weight\":500,\"weightDevice\":[{\"major\":8,\"minor\":0,\"weight\":"
		"100}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		"\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
		"\"major\":10,\"minor\":229,\"access\":\"mrw\"}],"
		"\"unified\":{\"memory.high\":\"1000000\"}}",
		&res, &err);
	if (r < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(res->mem_limit, 1048576);
	assert_int_equal(res->mem_swap, 2097152);
	assert_true(res->set & CG_MEM_NO_OOM_KILL);
	assert_int_equal(res->cpu_shares, 1024);
	assert_string_equal(res->cpus, "0-1,3");
	assert_true(res->set & CG_PIDS);
	assert_int_equal(res->pids_limit, -1);
	assert_int_equal(res->n_weight_devices, 1);
	assert_int_equal(res->n_throttle[CG_THROTTLE_READ_BPS], 1);
	assert_int_equal(res->throttle[CG_THROTTLE_READ_BPS][0].value, 1048576);
	assert_string_equal(res->hugetlb[0].page_size, "2MB");
	assert_string_equal(res->net_priorities[0].value, "5");
	/* The spec's two rules, then the defaults every container gets. */
	assert_true(res->n_devices > 2);
	assert_false(res->devices[0].allow);
	assert_int_equal(res->devices[0].type, 'a');
	assert_string_equal(res->devices[1].access, "rwm"); /* "mrw" kept in rwm order */
	assert_true(cg_devices_restrict(res));
	assert_string_equal(res->unified[0].key, "memory.high");
	cgroup_resources_free(res);
}

static void test_absent_and_zero_mean_unset(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = NULL;
	assert_int_equal(
		parse("{\"memory\":{\"limit\":0},\"cpu\":{\"shares\":0},\"pids\":{}}", &res, &err),
		0);
	assert_int_equal(res->set, 0);
	assert_false(cg_devices_restrict(res));
	cgroup_resources_free(res);
	assert_int_equal(cgroup_resources_parse(NULL, &res, &err), 0);
	assert_int_equal(res->set, 0);
	cgroup_resources_free(res);
}

static void test_errors_name_field_and_value(void **state)
{
	expect_error("{\"memory\":{\"limit\":\"1G\"}}", EINVAL,
		     "linux.resources.memory.limit: expected an integer");
	expect_error("{\"memory\":{\"limit\":-5}}", EINVAL, "linux.resources.memory.limit: -5");
	expect_error("{\"memory\":{\"limit\":2000,\"swap\":1000}}", EINVAL,
		     "linux.resources.memory.swap: 1000");
	expect_error("{\"memory\":{\"swappiness\":101}}", EINVAL,
		     "linux.resources.memory.swappiness: 101");
	expect_error("{\"cpu\":{\"shares\":1}}", EINVAL,
		     "linux.resources.cpu.shares: 1: out of range");
	expect_error("{\"cpu\":{\"shares\":262145}}", EINVAL, "linux.resources.cpu.shares: 262145");
	expect_error("{\"cpu\":{\"quota\":10}}", EINVAL, "linux.resources.cpu.quota: 10");
	expect_error("{\"cpu\":{\"period\":100}}", EINVAL, "linux.resources.cpu.period: 100");
	expect_error("{\"cpu\":{\"cpus\":\"0-\"}}", EINVAL, "linux.resources.cpu.cpus: \"0-\"");
	expect_error("{\"cpu\":{\"cpus\":\"3-1\"}}", EINVAL, "linux.resources.cpu.cpus: \"3-1\"");
	expect_error("{\"cpu\":{\"mems\":\"x\"}}", EINVAL, "linux.resources.cpu.mems: \"x\"");
	expect_error("{\"blockIO\":{\"weight\":5}}", EINVAL, "linux.resources.blockIO.weight: 5");
	expect_error("{\"blockIO\":{\"weightDevice\":[{\"major\":8,\"weight\":100}]}}", EINVAL,
		     "linux.resources.blockIO.weightDevice[0]: major and minor are required");
	expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2M\",\"limit\":1}]}", EINVAL,
		     "linux.resources.hugepageLimits[0].pageSize: \"2M\"");
	expect_error("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}", EINVAL,
		     "linux.resources.devices[0].type: \"x\"");
	expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}", EINVAL,
		     "linux.resources.devices[0].access: \"rwx\"");
	expect_error("{\"devices\":[{\"access\":\"r\"}]}", EINVAL,
		     "linux.resources.devices[0].allow: required");
	expect_error("{\"devices\":{}}", EINVAL, "linux.resources.devices: expected an array");
	expect_error("{\"unified\":{\"cgroup.procs\":\"1\"}}", EINVAL,
		     "linux.resources.unified: \"cgroup.procs\"");
	expect_error("{\"unified\":{\"../x.y\":\"1\"}}", EINVAL, "linux.resources.unified");
	expect_error("{\"unified\":{\"memory.max\":5}}", EINVAL,
		     "linux.resources.unified.memory.max: expected a string");
	expect_error("{\"memory\":[]}", EINVAL, "linux.resources.memory: expected an object");
	expect_error("{\"rdma\":{\"mlx\":{}}}", EOPNOTSUPP, "linux.resources.rdma");
}

static void test_allow_device(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = NULL;
	assert_int_equal(parse("{}", &res, &err), 0);
	assert_int_equal(cgroup_resources_allow_device(res, 'c', 10, 229), 0);
	assert_int_equal(res->n_devices, 0); /* nothing restricts devices: nothing to add */
	cgroup_resources_free(res);
	assert_int_equal(parse("{\"devices\":[{\"allow\":false}]}", &res, &err), 0);
	size_t n = res->n_devices;
	assert_int_equal(cgroup_resources_allow_device(res, 'b', 8, 1), 0);
	assert_int_equal(res->n_devices, n + 1);
	assert_int_equal(res->devices[n].major, 8);
	assert_string_equal(res->devices[n].access, "rwm");
	cgroup_resources_free(res);
}

static void test_conversions(void **state)
{
	/* 1 + ((shares - 2) * 9999) / 262142 */
	assert_int_equal(cg_shares_to_weight(2), 1);
	assert_int_equal(cg_shares_to_weight(1024), 39);
	assert_int_equal(cg_shares_to_weight(262144), 10000);
	assert_int_equal(cg_shares_to_weight(0), 0);
	/* blkio 10-1000 -> io 1-10000 */
	assert_int_equal(cg_blkio_to_io_weight(10), 1);
	assert_int_equal(cg_blkio_to_io_weight(1000), 10000);
	assert_int_equal(cg_blkio_to_io_weight(500), 4950);
	/* The spec's swap counts memory too. */
	assert_int_equal(cg_swap_v2(100, 300), 200);
	assert_int_equal(cg_swap_v2(100, 100), 0);
	assert_int_equal(cg_swap_v2(100, -1), -1);
	assert_int_equal(cg_swap_v2(-1, 300), 300);
}

static void test_cpulist(void **state)
{
	unsigned max = 0;
	assert_int_equal(cg_parse_cpulist("0", &max), 0);
	assert_int_equal(max, 0);
	assert_int_equal(cg_parse_cpulist("0-3,7,9-10", &max), 0);
	assert_int_equal(max, 10);
	assert_int_equal(cg_parse_cpulist("0-1\n", &max), 0);
	assert_int_equal(cg_parse_cpulist("", &max), -EINVAL);
	assert_int_equal(cg_parse_cpulist("1,,2", &max), -EINVAL);
	assert_int_equal(cg_parse_cpulist("-1", &max), -EINVAL);
	assert_int_equal(cg_parse_cpulist("99999", &max), -EINVAL);
	assert_int_equal(cg_parse_cpulist("1 2", &max), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_spec),
		cmocka_unit_test(test_absent_and_zero_mean_unset),
		cmocka_unit_test(test_errors_name_field_and_value),
		cmocka_unit_test(test_allow_device),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_cpulist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
