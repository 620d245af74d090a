/* test-cgroup-fake.c - cgroup path rules and both backends against a fake cgroupfs tree in a temp
 * directory: which files get which values, errors that name the field, rollback. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "fs.h"
#include "json.h"

static char root[256];

static void put(const char *rel, const char *content)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	char *slash = strrchr(path, '/');
	*slash = 0;
	assert_int_equal(fs_mkdir_p(path, 0755, NULL), 0);
	*slash = '/';
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static char *get(const char *rel)
{
	char path[512], *v = NULL;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (fs_read_file(path, &v, NULL, NULL) < 0)
		return strdup("<missing>");
	return v;
}

static void assert_file(const char *rel, const char *want)
{
	_cleanup_free_ char *v = get(rel);
	if (strcmp(v, want))
		fail_msg("%s: \"%s\", want \"%s\"", rel, v, want);
}

static bool exists(const char *rel)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static struct cgroup_resources *parse(const char *text)
{
	json_t *j = NULL;
	struct cgroup_resources *res = NULL;
	_cleanup_error_ struct cell_error *err = NULL;
	assert_int_equal(json_load_object_string(text, "resources", &j, &err), 0);
	if (cgroup_resources_parse(j, &res, &err) < 0)
		fail_msg("%s", err->msg);
	json_decref(j);
	return res;
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/cell-cgfake-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	fs_rm_rf(root, NULL);
	cgroup_set_root_for_tests(NULL, CGROUP_LAYOUT_V1, NULL);
	return 0;
}

static struct cgroup *new_cg(enum cgroup_layout layout, const char *own, const char *id,
			     const char *path)
{
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup *cg = NULL;
	cgroup_set_root_for_tests(root, layout, own);
	if (cgroup_new(id, path, &cg, &err) < 0)
		fail_msg("%s", err->msg);
	return cg;
}

static void test_paths_runc_rules(void **state)
{
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V1, "/user.slice/s1", "c1", NULL);
	assert_string_equal(cgroup_path(cg), "/user.slice/s1/c1");
	assert_non_null(strstr(cg->dirs[CGH_MEMORY].abs, "/memory/user.slice/s1/c1"));
	assert_null(cg->dirs[CGH_UNIFIED].abs); /* pure v1: no cgroup2 side */
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_V1, "/own", "c1", "rel/../../x");
	assert_string_equal(cgroup_path(cg), "/own/x"); /* cannot climb out */
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_HYBRID, "/own", "c1", "/a/./b//c/");
	assert_string_equal(cgroup_path(cg), "/a/b/c");
	assert_non_null(strstr(cg->dirs[CGH_UNIFIED].abs, "/unified/a/b/c"));
	cgroup_free(cg);
	/* v2: beside the own cgroup, which has processes and so no controllers below it. */
	cg = new_cg(CGROUP_LAYOUT_V2, "/user.slice/s1", "c1", NULL);
	assert_string_equal(cgroup_path(cg), "/user.slice/c1");
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "");
	assert_string_equal(cgroup_path(cg), "/c1");
	cgroup_free(cg);
}

static void test_paths_systemd_form(void **state)
{
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "system.slice:cell:c1");
	assert_string_equal(cgroup_path(cg), "/system.slice/cell-c1.scope");
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "a-b.slice:p:n");
	assert_string_equal(cgroup_path(cg), "/a.slice/a-b.slice/p-n.scope");
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", ":p:n");
	assert_string_equal(cgroup_path(cg), "/system.slice/p-n.scope");
	cgroup_free(cg);
	cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "-.slice::sub.slice");
	assert_string_equal(cgroup_path(cg), "/sub.slice");
	cgroup_free(cg);
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup *bad = NULL;
	assert_int_equal(cgroup_new("c1", "notaslice:p:n", &bad, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "linux.cgroupsPath: \"notaslice:p:n\""));
	assert_int_equal(cgroup_new("c1", "/", &bad, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "linux.cgroupsPath"));
}

static void test_paths_saved_map_round_trips(void **state)
{
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_HYBRID, "/", "c1", "memory=/m/c1,*=/c1");
	assert_string_equal(cg->dirs[CGH_FREEZER].path, "/c1");
	assert_string_equal(cg->dirs[CGH_MEMORY].path, "/m/c1");
	assert_string_equal(cg->dirs[CGH_UNIFIED].path, "/c1");
	assert_string_equal(cgroup_path(cg), "memory=/m/c1,*=/c1");
	cgroup_free(cg);
}

static void fake_v1(void)
{
	static const char *const files[] = {
		"freezer/c1/cgroup.procs",
		"memory/c1/memory.limit_in_bytes",
		"memory/c1/memory.memsw.limit_in_bytes",
		"memory/c1/memory.soft_limit_in_bytes",
		"cpu/c1/cpu.shares",
		"cpu/c1/cpu.cfs_quota_us",
		"cpu/c1/cpu.cfs_period_us",
		"cpuset/c1/cpuset.cpus",
		"cpuset/c1/cpuset.mems",
		"pids/c1/pids.max",
		"devices/c1/devices.allow",
		"devices/c1/devices.deny",
		"blkio/c1/blkio.bfq.weight",
		"blkio/c1/blkio.throttle.read_bps_device",
	};
	static const char *const hiers[] = {
		"memory", "cpu", "cpuset", "pids", "devices", "blkio"
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		put(files[i], "");
	for (size_t i = 0; i < ARRAY_SIZE(hiers); i++) {
		char procs[64];
		snprintf(procs, sizeof(procs), "%s/c1/cgroup.procs", hiers[i]);
		put(procs, "");
	}
	put("cpuset/cpuset.mems", "0\n");
}

static void test_v1_writes_only_what_is_set(void **state)
{
	fake_v1();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse(
		"{\"memory\":{\"limit\":1000000,\"swap\":3000000,\"reservation\":500000},"
		"\"cpu\":{\"shares\":100,\"quota\":30000,\"period\":60000,\"cpus\":\"0-1\"},"
		"\"pids\":{\"limit\":-1},\"blockIO\":{\"weight\":300,\"throttleReadBpsDevice\":"
		"[{\"major\":8,\"minor\":0,\"rate\":99}]},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":false,\"type\":\"c\","
		"\"major\":1,\"minor\":3,\"access\":\"w\"}]}");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/c1");
	if (cgroup_create(cg, res, &err) < 0)
		fail_msg("%s", err->msg);
	assert_file("memory/c1/memory.limit_in_bytes", "1000000");
	assert_file("memory/c1/memory.memsw.limit_in_bytes", "3000000");
	assert_file("memory/c1/memory.soft_limit_in_bytes", "500000");
	assert_file("cpu/c1/cpu.shares", "100");
	assert_file("cpu/c1/cpu.cfs_period_us", "60000");
	assert_file("cpu/c1/cpu.cfs_quota_us", "30000");
	assert_file("cpuset/c1/cpuset.cpus", "0-1");
	assert_file("cpuset/c1/cpuset.mems", "0"); /* copied from the parent */
	assert_file("pids/c1/pids.max", "max");
	assert_file("blkio/c1/blkio.bfq.weight", "300"); /* no blkio.weight: BFQ's file */
	assert_file("blkio/c1/blkio.throttle.read_bps_device", "8:0 99");
	/* Rules in order through one open file each: deny-all, deny w, then the defaults. */
	_cleanup_free_ char *deny = get("devices/c1/devices.deny");
	_cleanup_free_ char *allow = get("devices/c1/devices.allow");
	assert_string_equal(deny, "a *:* rwmc 1:3 w");
	assert_non_null(strstr(allow, "c *:* mb *:* mc 1:3 rwm"));
	assert_non_null(strstr(allow, "c 136:* rwm"));
	assert_false(exists("hugetlb"));
	assert_int_equal(cgroup_attach(cg, 4242, &err), 0);
	assert_file("freezer/c1/cgroup.procs", "4242");
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v1_failure_rolls_back(void **state)
{
	/* Hierarchies exist but the new directory lacks the files: the first write fails. */
	put("freezer/cgroup.procs", "");
	put("memory/cgroup.procs", "");
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse("{\"memory\":{\"limit\":1000000}}");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/deep/er/c1");
	assert_int_equal(cgroup_create(cg, res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err->msg, "linux.resources.memory.limit: \"1000000\""));
	assert_false(exists("memory/deep"));
	assert_false(exists("freezer/deep"));
	cgroup_free(cg);
	cgroup_resources_free(res);
	/* A hierarchy that is not mounted: named, nothing made (not even in the others). */
	res = parse("{\"pids\":{\"limit\":5}}");
	cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/c2");
	assert_int_equal(cgroup_create(cg, res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err->msg, "linux.resources.pids: the pids cgroup hierarchy is not "
					 "mounted"));
	assert_false(exists("freezer/c2"));
	assert_false(exists("pids"));
	cgroup_free(cg);
	cgroup_resources_free(res);
	/* unified keys need cgroup v2. */
	res = parse("{\"unified\":{\"memory.high\":\"5\"}}");
	cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/c3");
	assert_int_equal(cgroup_create(cg, res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err->msg, "linux.resources.unified.memory.high"));
	assert_false(exists("freezer/c3"));
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v1_joins_name_systemd(void **state)
{
	/* A host with a name=systemd hierarchy: the container gets its own cgroup there (a systemd
	 * inside needs it), joined like the others; without one, nothing is made for it. */
	put("freezer/cgroup.procs", "");
	put("systemd/cgroup.procs", "");
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/p/c1");
	if (cgroup_create(cg, NULL, &err) < 0)
		fail_msg("%s", err->msg);
	assert_true(exists("systemd/p/c1"));
	assert_true(cg->dirs[CGH_SYSTEMD].used);
	put("systemd/p/c1/cgroup.procs", "");
	put("freezer/p/c1/cgroup.procs", "");
	assert_int_equal(cgroup_attach(cg, 4242, &err), 0);
	assert_file("systemd/p/c1/cgroup.procs", "4242");
	assert_file("freezer/p/c1/cgroup.procs", "4242");
	cgroup_free(cg);
	fs_rm_rf(root, NULL);
	assert_int_equal(mkdir(root, 0700), 0);
	put("freezer/cgroup.procs", "");
	cg = new_cg(CGROUP_LAYOUT_V1, "/", "c1", "/p/c1");
	assert_int_equal(cgroup_create(cg, NULL, &err), 0);
	assert_false(cg->dirs[CGH_SYSTEMD].used);
	assert_false(exists("systemd"));
	cgroup_free(cg);
}

/* Hybrid: the cgroup2 directory is made for clone3(CLONE_INTO_CGROUP) before the rest, and the
 * init joins the v1 hierarchies itself through their tasks files, in order and named. */
static void test_hybrid_clone_leaf_then_self_join(void **state)
{
	put("freezer/c1/tasks", "");
	put("devices/c1/tasks", "");
	put("devices/c1/devices.deny", "");
	put("devices/c1/devices.allow", "");
	put("unified/cgroup.procs", "");
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res =
		parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_HYBRID, "/", "c1", "/c1");
	int fd = cgroup_open_leaf(cg, &err);
	if (fd < 0)
		fail_msg("%s", err->msg);
	close(fd);
	assert_true(exists("unified/c1"));
	assert_false(exists("memory/c1"));
	if (cgroup_create(cg, res, &err) < 0)
		fail_msg("%s", err->msg);
	struct cgroup_join j;
	if (cgroup_open_join(cg, &j, &err) < 0)
		fail_msg("%s", err->msg);
	assert_int_equal(j.n, 2);
	assert_string_equal(j.names, "freezer,devices");
	assert_int_equal(cgroup_join_self(j.fds, j.n, j.names, &err), 0);
	assert_file("freezer/c1/tasks", "0");
	assert_file("devices/c1/tasks", "0");
	/* A failed write names its hierarchy. */
	int bad[2] = { j.fds[0], open("/dev/null", O_RDONLY | O_CLOEXEC) };
	assert_int_equal(cgroup_join_self(bad, 2, j.names, &err), -EBADF);
	assert_string_equal(err->msg, "join the container's cgroup (devices): Bad file descriptor");
	close(bad[1]);
	cgroup_join_close(&j);
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void fake_v2(const char *controllers)
{
	static const char *const files[] = {
		"c1/cpu.weight",      "c1/cpu.max",	"c1/memory.max",      "c1/memory.low",
		"c1/memory.swap.max", "c1/pids.max",	"c1/io.weight",	      "c1/io.max",
		"c1/cpuset.cpus",     "c1/memory.high", "c1/hugetlb.2MB.max",
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		put(files[i], "");
	put("cgroup.controllers", controllers);
	put("cgroup.subtree_control", "");
}

static void test_v2_conversions_written(void **state)
{
	fake_v2("cpuset cpu io memory hugetlb pids\n");
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse(
		"{\"memory\":{\"limit\":1000000,\"swap\":3000000,\"reservation\":500000},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"cpus\":\"0\"},\"pids\":{\"limit\":7},"
		"\"blockIO\":{\"weight\":500,\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0,"
		"\"rate\":10}]},\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}],"
		"\"unified\":{\"memory.high\":\"900000\"}}");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/c1");
	if (cgroup_create(cg, res, &err) < 0)
		fail_msg("%s", err->msg);
	assert_file("c1/cpu.weight", "39");
	assert_file("c1/cpu.max", "50000 100000");
	assert_file("c1/cpuset.cpus", "0");
	assert_file("c1/memory.max", "1000000");
	assert_file("c1/memory.low", "500000");
	assert_file("c1/memory.swap.max", "2000000");
	assert_file("c1/pids.max", "7");
	assert_file("c1/io.weight", "default 4950");
	assert_file("c1/io.max", "8:0 wiops=10");
	assert_file("c1/hugetlb.2MB.max", "2097152");
	assert_file("c1/memory.high", "900000");
	/* Every controller the root offers, so the container can delegate them on. */
	assert_file("cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids");
	int fd = cgroup_open_leaf(cg, &err);
	assert_true(fd >= 0);
	close(fd);
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v2_bad_input_leaves_nothing(void **state)
{
	put("cgroup.controllers", "cpu memory pids\n");
	put("cgroup.subtree_control", "");
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse("{\"unified\":{\"foo.bar\":\"1\"}}");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/p/c1");
	assert_int_equal(cgroup_create(cg, res, &err), -EINVAL);
	assert_string_equal(err->msg, "linux.resources.unified: unknown key \"foo.bar\"");
	assert_false(exists("p"));
	cgroup_free(cg);
	cgroup_resources_free(res);
	/* A controller the host lacks is refused before anything is made. */
	res = parse("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":1}]}");
	cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/c1");
	assert_int_equal(cgroup_create(cg, res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err->msg, "linux.resources.hugepageLimits: the hugetlb controller "
					 "is not available"));
	assert_false(exists("c1"));
	cgroup_free(cg);
	cgroup_resources_free(res);
	res = parse("{\"cpu\":{\"realtimeRuntime\":1000}}");
	cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/c1");
	assert_int_equal(cgroup_create(cg, res, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err->msg, "linux.resources.cpu.realtimeRuntime"));
	assert_false(exists("c1"));
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v2_delegate_chowns(void **state)
{
	put("cgroup.controllers", "pids\n");
	put("cgroup.subtree_control", "");
	put("c1/cgroup.procs", "");
	put("c1/cgroup.subtree_control", "");
	put("c1/pids.max", "");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/c1");
	_cleanup_error_ struct cell_error *err = NULL;
	assert_int_equal(cgroup_create(cg, NULL, &err), 0);
	if (getuid() != 0) {
		cgroup_free(cg);
		skip();
	}
	assert_int_equal(cgroup_delegate(cg, 12345, 23456, &err), 0);
	struct stat st;
	char path[512];
	snprintf(path, sizeof(path), "%s/c1/cgroup.procs", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 12345);
	snprintf(path, sizeof(path), "%s/c1", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_gid, 23456);
	/* Limits stay the delegator's. */
	snprintf(path, sizeof(path), "%s/c1/pids.max", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, 0);
	cgroup_free(cg);
}

static void test_v2_pids_walk_subtree(void **state)
{
	put("c1/cgroup.procs", "12\n5\n");
	put("c1/sub/cgroup.procs", "7\n");
	struct cgroup *cg = new_cg(CGROUP_LAYOUT_V2, "/", "c1", "/c1");
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_list_pids(cg, &pids, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 5);
	assert_int_equal(pids[1], 7);
	assert_int_equal(pids[2], 12);
	cgroup_free(cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_paths_runc_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_systemd_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_saved_map_round_trips, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_writes_only_what_is_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_joins_name_systemd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hybrid_clone_leaf_then_self_join, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v2_conversions_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_bad_input_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_delegate_chowns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_pids_walk_subtree, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
