/* test-cgroup-host.c - both backends on this host's real cgroups, in directories the test makes
 * and removes: v1 (or hybrid) limits read back from the kernel, and the v2 backend on a hybrid
 * host's cgroup2 mount, where freeze, kill and the eBPF device filter work without controllers. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup-internal.h"
#include "cleanup.h"
#include "json.h"

static char id[64];

static bool host_is(enum cgroup_layout want)
{
	enum cgroup_layout l;
	return getuid() == 0 && cgroup_detect_layout(&l, NULL) == 0 && l == want;
}

static bool host_has_v1(void)
{
	return host_is(CGROUP_LAYOUT_V1) || host_is(CGROUP_LAYOUT_HYBRID);
}

static struct cgroup_resources *parse(const char *text)
{
	json_t *j = NULL;
	struct cgroup_resources *res = NULL;
	_cleanup_error_ struct cell_error *err = NULL;
	assert_int_equal(json_load_object_string(text, "resources", &j, &err), 0);
	int r = cgroup_resources_parse(j, &res, &err);
	if (r < 0)
		fail_msg("%s", err->msg);
	json_decref(j);
	return res;
}

static char *slurp(const char *dir, const char *file)
{
	char *v = NULL;
	if (cg_read(dir, file, &v, NULL) < 0)
		return strdup("<missing>");
	return v;
}

/* A child that waits on a pipe, then tries what `action` says, and exits with the errno. */
static pid_t child_waiting(int *wfd, const char *open_path)
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		if (!open_path) {
			pause();
			_exit(0);
		}
		int fd = open(open_path, O_RDONLY);
		_exit(fd < 0 ? errno : 0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static int reap(pid_t pid)
{
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_v1_limits_read_back(void **state)
{
	if (!host_has_v1())
		skip();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse(
		"{\"memory\":{\"limit\":67108864,\"swap\":134217728,\"reservation\":33554432},"
		"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},"
		"\"pids\":{\"limit\":10},\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	char path[80];
	snprintf(path, sizeof(path), "/%s-v1", id);
	struct cgroup *cg = NULL;
	assert_int_equal(cgroup_new(id, path, &cg, &err), 0);
	assert_string_equal(cgroup_path(cg), path);
	if (cgroup_create(cg, res, &err) < 0)
		fail_msg("%s", err->msg);
	const char *mem = cg->dirs[CGH_MEMORY].abs, *cpu = cg->dirs[CGH_CPU].abs;
	_cleanup_free_ char *lim = slurp(mem, "memory.limit_in_bytes");
	_cleanup_free_ char *sw = slurp(mem, "memory.memsw.limit_in_bytes");
	_cleanup_free_ char *soft = slurp(mem, "memory.soft_limit_in_bytes");
	_cleanup_free_ char *shares = slurp(cpu, "cpu.shares");
	_cleanup_free_ char *quota = slurp(cpu, "cpu.cfs_quota_us");
	_cleanup_free_ char *pids = slurp(cg->dirs[CGH_PIDS].abs, "pids.max");
	_cleanup_free_ char *cpus = slurp(cg->dirs[CGH_CPUSET].abs, "cpuset.cpus");
	_cleanup_free_ char *devs = slurp(cg->dirs[CGH_DEVICES].abs, "devices.list");
	assert_string_equal(lim, "67108864");
	assert_string_equal(sw, "134217728");
	assert_string_equal(soft, "33554432");
	assert_string_equal(shares, "512");
	assert_string_equal(quota, "50000");
	assert_string_equal(pids, "10");
	assert_string_equal(cpus, "0");
	assert_non_null(strstr(devs, "c 1:3 rwm"));
	assert_null(strstr(devs, "a *:* rwm"));
	/* Frugal: no directory in hierarchies nothing asked for. */
	assert_false(cg->dirs[CGH_BLKIO].used);
	assert_false(cg->dirs[CGH_CPUACCT].used);
	assert_int_equal(access(cg->dirs[CGH_BLKIO].abs, F_OK), -1);

	int w;
	pid_t pid = child_waiting(&w, NULL);
	assert_int_equal(cgroup_attach(cg, pid, &err), 0);
	pid_t *list = NULL;
	size_t n = 0;
	assert_int_equal(cgroup_list_pids(cg, &list, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(list[0], pid);
	free(list);
	bool frozen = false;
	assert_int_equal(cgroup_freeze(cg, true, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_true(frozen);
	assert_int_equal(cgroup_freeze(cg, false, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_false(frozen);
	struct cgroup_stats st;
	assert_int_equal(cgroup_read_stats(cg, &st, &err), 0);
	assert_int_equal(st.pids_current, 1);
	assert_int_equal(st.pids_limit, 10);
	assert_int_equal(st.memory_limit, 67108864);
	assert_int_equal(cgroup_kill_all(cg, SIGKILL, &err), 0);
	int status = reap(pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(w);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	assert_int_equal(access(mem, F_OK), -1);
	assert_int_equal(access(cg->dirs[CGH_FREEZER].abs, F_OK), -1);
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v1_bad_cpuset_leaves_nothing(void **state)
{
	if (!host_has_v1())
		skip();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res =
		parse("{\"memory\":{\"limit\":67108864},\"cpu\":{\"cpus\":\"4000\"}}");
	char path[80];
	snprintf(path, sizeof(path), "/%s-bad/nested", id);
	struct cgroup *cg = NULL;
	assert_int_equal(cgroup_new(id, path, &cg, &err), 0);
	assert_int_equal(cgroup_create(cg, res, &err), -EINVAL);
	assert_non_null(strstr(err->msg, "linux.resources.cpu.cpus: \"4000\""));
	for (int h = 0; h < CGH_N; h++) {
		char parent[4096];
		snprintf(parent, sizeof(parent), "%s", cg->dirs[h].abs);
		*strrchr(parent, '/') = 0;
		assert_int_equal(access(cg->dirs[h].abs, F_OK), -1);
		assert_int_equal(access(parent, F_OK), -1);
	}
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v1_default_path_round_trips(void **state)
{
	if (!host_has_v1())
		skip();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup *a = NULL, *b = NULL;
	assert_int_equal(cgroup_new(id, NULL, &a, &err), 0);
	assert_int_equal(cgroup_new("other", cgroup_path(a), &b, &err), 0);
	for (int h = 0; h < CGH_N; h++)
		if (a->dirs[h].abs)
			assert_string_equal(a->dirs[h].abs, b->dirs[h].abs);
	cgroup_free(a);
	cgroup_free(b);
}

/* The v2 backend on the hybrid host's cgroup2 mount: no controllers there, so no limits, but
 * freezing, killing and the device filter are all core cgroup2. */
static int setup_v2_on_unified(void **state)
{
	struct statfs st;
	if (getuid() != 0 || statfs("/sys/fs/cgroup/unified", &st) < 0 ||
	    st.f_type != CGROUP2_SUPER_MAGIC)
		return 0;
	cgroup_set_root_for_tests("/sys/fs/cgroup/unified", CGROUP_LAYOUT_V2, "/");
	cg_v2_enable_controllers = false;
	*state = (void *)1;
	return 0;
}

static int teardown_v2(void **state)
{
	cgroup_set_root_for_tests(NULL, CGROUP_LAYOUT_V1, NULL);
	cg_v2_enable_controllers = true;
	return 0;
}

static void test_v2_devices_freeze_kill(void **state)
{
	if (!*state)
		skip();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res = parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
					     "{\"allow\":true,\"type\":\"c\",\"major\":1,"
					     "\"minor\":11,\"access\":\"w\"}]}");
	struct cgroup *cg = NULL;
	char name[80];
	snprintf(name, sizeof(name), "%s-v2", id);
	assert_int_equal(cgroup_new(name, NULL, &cg, &err), 0);
	if (cgroup_create(cg, res, &err) < 0)
		fail_msg("%s", err->msg);
	/* /dev/kmsg (1:11) for reading is denied, /dev/null allowed by the defaults. */
	int w;
	pid_t denied = child_waiting(&w, "/dev/kmsg");
	assert_int_equal(cgroup_attach(cg, denied, &err), 0);
	assert_int_equal(write(w, "x", 1), 1);
	close(w);
	int status = reap(denied);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EPERM);
	pid_t allowed = child_waiting(&w, "/dev/null");
	assert_int_equal(cgroup_attach(cg, allowed, &err), 0);
	assert_int_equal(write(w, "x", 1), 1);
	close(w);
	status = reap(allowed);
	assert_int_equal(WEXITSTATUS(status), 0);

	pid_t sleeper = child_waiting(&w, NULL);
	assert_int_equal(cgroup_attach(cg, sleeper, &err), 0);
	bool frozen = false;
	assert_int_equal(cgroup_freeze(cg, true, &err), 0);
	assert_int_equal(cgroup_is_frozen(cg, &frozen, &err), 0);
	assert_true(frozen);
	assert_int_equal(cgroup_freeze(cg, false, &err), 0);
	assert_int_equal(cgroup_kill_all(cg, SIGKILL, &err), 0);
	status = reap(sleeper);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	close(w);
	assert_int_equal(cgroup_destroy(cg, &err), 0);
	assert_int_equal(access(cg->dirs[0].abs, F_OK), -1);
	cgroup_free(cg);
	cgroup_resources_free(res);
}

static void test_v2_filter_too_big_is_refused_cleanly(void **state)
{
	if (!*state)
		skip();
	_cleanup_error_ struct cell_error *err = NULL;
	struct cgroup_resources *res =
		parse("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
	/* 200k rules: past the kernel's 1M-instruction limit for one program. */
	for (int i = 0; i < 200000; i++)
		assert_int_equal(cgroup_resources_allow_device(res, 'c', 7, i % 1000000), 0);
	struct cgroup *cg = NULL;
	char name[80];
	snprintf(name, sizeof(name), "%s-big", id);
	assert_int_equal(cgroup_new(name, NULL, &cg, &err), 0);
	assert_true(cgroup_create(cg, res, &err) < 0);
	assert_non_null(strstr(err->msg, "linux.resources.devices"));
	assert_int_equal(access(cg->dirs[0].abs, F_OK), -1);
	cgroup_free(cg);
	cgroup_resources_free(res);
}

int main(void)
{
	snprintf(id, sizeof(id), "cell-ut-%d", (int)getpid());
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_limits_read_back),
		cmocka_unit_test(test_v1_bad_cpuset_leaves_nothing),
		cmocka_unit_test(test_v1_default_path_round_trips),
		cmocka_unit_test_setup_teardown(test_v2_devices_freeze_kill, setup_v2_on_unified,
						teardown_v2),
		cmocka_unit_test_setup_teardown(test_v2_filter_too_big_is_refused_cleanly,
						setup_v2_on_unified, teardown_v2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
