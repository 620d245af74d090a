/* test-cgroup-read.c - the cgroup-file parsers: limits, cpu lists, cpu.max, keyed stats, I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "viewfs.h"

static void test_limit(void **state)
{
	uint64_t v;
	assert_int_equal(cg_parse_limit("268435456\n", &v), 0);
	assert_int_equal(v, 268435456);
	assert_int_equal(cg_parse_limit("max\n", &v), 0);
	assert_true(v == VIEW_UNLIMITED);
	assert_int_equal(cg_parse_limit("-1\n", &v), 0);
	assert_true(v == VIEW_UNLIMITED);
	assert_int_equal(cg_parse_limit("9223372036854771712\n", &v), 0);
	assert_true(v == VIEW_UNLIMITED);
	assert_int_equal(cg_parse_limit("", &v), -EINVAL);
	assert_int_equal(cg_parse_limit("12x", &v), -EINVAL);
	assert_int_equal(cg_parse_limit("99999999999999999999999", &v), -EINVAL);
}

static void test_cpulist(void **state)
{
	struct cpumask *m = malloc(sizeof(*m));
	assert_int_equal(cg_parse_cpulist("0-1\n", m), 0);
	assert_int_equal(cpumask_count(m), 2);
	assert_int_equal(cg_parse_cpulist("0-3,8,10-11", m), 0);
	assert_int_equal(cpumask_count(m), 7);
	assert_true(cpumask_test(m, 8));
	assert_false(cpumask_test(m, 9));
	assert_int_equal(cg_parse_cpulist("0-1023\n", m), 0);
	assert_int_equal(cpumask_count(m), 1024);
	assert_int_equal(cg_parse_cpulist("\n", m), 0);
	assert_int_equal(cpumask_count(m), 0);
	assert_int_equal(cg_parse_cpulist("3-1", m), -EINVAL);
	assert_int_equal(cg_parse_cpulist("0-99999", m), -EINVAL);
	assert_int_equal(cg_parse_cpulist("1,,2", m), -EINVAL);
	assert_int_equal(cg_parse_cpulist("a", m), -EINVAL);
	free(m);
}

static void test_cpu_max(void **state)
{
	uint64_t q, p;
	assert_int_equal(cg_parse_cpu_max("max 100000\n", &q, &p), 0);
	assert_true(q == VIEW_UNLIMITED);
	assert_int_equal(p, 100000);
	assert_int_equal(cg_parse_cpu_max("50000 100000\n", &q, &p), 0);
	assert_int_equal(q, 50000);
	assert_int_equal(cg_parse_cpu_max("1000 0\n", &q, &p), -EINVAL);
	assert_int_equal(cg_parse_cpu_max("x 1\n", &q, &p), -EINVAL);
}

static void test_keyed(void **state)
{
	const char *st =
		"cache 4096\nrss 8192\ntotal_cache 12288\nhierarchical_memory_limit 268435456\n";
	uint64_t v;
	assert_int_equal(cg_parse_keyed(st, "cache", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(cg_parse_keyed(st, "total_cache", &v), 0);
	assert_int_equal(v, 12288);
	assert_int_equal(cg_parse_keyed(st, "hierarchical_memory_limit", &v), 0);
	assert_int_equal(v, 268435456);
	assert_int_equal(cg_parse_keyed(st, "total", &v), -ENOENT);
	assert_int_equal(cg_parse_keyed(st, "swap", &v), -ENOENT);
}

static void test_proc_cgroup(void **state)
{
	const char *v1 = "9:name=systemd:/\n4:memory:/a/b\n2:cpu,cpuacct:/c\n0::/\n";
	char p[64];
	assert_int_equal(cg_parse_proc_cgroup(v1, "memory", p, sizeof(p)), 0);
	assert_string_equal(p, "/a/b");
	assert_int_equal(cg_parse_proc_cgroup(v1, "cpuacct", p, sizeof(p)), 0);
	assert_string_equal(p, "/c");
	assert_int_equal(cg_parse_proc_cgroup(v1, "cpuset", p, sizeof(p)), -ENOENT);
	assert_int_equal(cg_parse_proc_cgroup(v1, "", p, sizeof(p)), 0);
	assert_string_equal(p, "/");
	assert_int_equal(cg_parse_proc_cgroup("0::/x/y\n", "", p, sizeof(p)), 0);
	assert_string_equal(p, "/x/y");
	assert_int_equal(cg_parse_proc_cgroup("0::relative\n", "", p, sizeof(p)), -EINVAL);
}

static void test_io(void **state)
{
	struct io_dev d[4];
	size_t n;
	assert_int_equal(cg_parse_blkio_v1("8:0 Read 10\n8:0 Write 5\n8:0 Sync 15\nTotal 15\n",
					   "8:0 Read 4096\n8:0 Write 1024\nTotal 5120\n", d, 4, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(d[0].rios, 10);
	assert_int_equal(d[0].wbytes, 1024);
	assert_int_equal(
		cg_parse_io_stat_v2("8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"
				    "253:1 rbytes=512 wbytes=512 rios=1 wios=1\n",
				    d, 4, &n),
		0);
	assert_int_equal(n, 2);
	assert_int_equal(d[1].major, 253);
	assert_int_equal(d[1].wios, 1);
	assert_int_equal(cg_parse_io_stat_v2("8:0 rbytes\n", d, 4, &n), -EINVAL);
}

static void test_visible_cpus(void **state)
{
	struct cpu_facts *f = calloc(1, sizeof(*f));
	unsigned cpus[8];
	assert_int_equal(cg_parse_cpulist("0-1", &f->cpuset), 0);
	f->quota = 50000;
	f->period = 100000;
	assert_int_equal(view_visible_cpus(f, NULL, cpus, 8), 1);
	assert_int_equal(cpus[0], 0);
	f->quota = 1000; /* smaller than one period: still one cpu */
	assert_int_equal(view_visible_cpus(f, NULL, cpus, 8), 1);
	f->quota = VIEW_UNLIMITED;
	assert_int_equal(view_visible_cpus(f, NULL, cpus, 8), 2);
	f->quota = 150000;
	assert_int_equal(cg_parse_cpulist("2-5", &f->cpuset), 0);
	assert_int_equal(view_visible_cpus(f, NULL, cpus, 8), 2);
	assert_int_equal(cpus[1], 3);
	memset(&f->cpuset, 0, sizeof(f->cpuset)); /* empty: one cpu, not none */
	assert_int_equal(view_visible_cpus(f, NULL, cpus, 8), 1);
	free(f);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* A fake v1 hierarchy on disk: the readers turn it into facts; a missing cgroup is EIO. */
static void test_reader_v1(void **state)
{
	char root[] = "/tmp/cellfs-unit-XXXXXX";
	assert_non_null(mkdtemp(root));
	char cmd[512];
	snprintf(
		cmd, sizeof(cmd),
		"set -e; cd %s; mkdir -p memory/c cpu/c cpuacct/c cpuset/c blkio/c;"
		"printf 'total_cache 4096\\ntotal_rss 1048576\\nhierarchical_memory_limit 268435456\\n'"
		" > memory/c/memory.stat; echo 2097152 > memory/c/memory.usage_in_bytes;"
		"echo 50000 > cpu/c/cpu.cfs_quota_us; echo 100000 > cpu/c/cpu.cfs_period_us;"
		"printf 'user 10\\nsystem 5\\n' > cpuacct/c/cpuacct.stat;"
		"echo 0-1 > cpuset/c/cpuset.effective_cpus",
		root);
	assert_int_equal(system(cmd), 0);
	cgroup_read_set_root(root);
	struct reader_cgroup cg = { .v2 = false };
	snprintf(cg.memory, sizeof(cg.memory), "%s/memory/c", root);
	snprintf(cg.cpu, sizeof(cg.cpu), "%s/cpu/c", root);
	snprintf(cg.cpuacct, sizeof(cg.cpuacct), "%s/cpuacct/c", root);
	snprintf(cg.cpuset, sizeof(cg.cpuset), "%s/cpuset/c", root);
	struct mem_facts mf;
	assert_int_equal(reader_mem_facts(&cg, true, &mf), 0);
	assert_int_equal(mf.limit, 268435456);
	assert_int_equal(mf.usage, 2097152);
	assert_int_equal(mf.anon, 1048576);
	assert_false(mf.have_swap);
	struct cpu_facts *cf = malloc(sizeof(*cf));
	assert_int_equal(reader_cpu_facts(&cg, true, cf), 0);
	assert_int_equal(cf->quota, 50000);
	assert_int_equal(cpumask_count(&cf->cpuset), 2);
	assert_true(cf->user_ns > 0);
	/* The limits are kept for 100 ms (the usage is not); forgetting drops them at once. The
	 * files are rewritten in-process: a shell in between could outlast the 100 ms under load. */
	char path[600];
	snprintf(path, sizeof(path), "%s/cpu/c/cpu.cfs_quota_us", root);
	write_file(path, "200000\n");
	snprintf(path, sizeof(path), "%s/cpuacct/c/cpuacct.stat", root);
	write_file(path, "user 20\nsystem 5\n");
	uint64_t used = cf->user_ns;
	assert_int_equal(reader_cpu_facts(&cg, true, cf), 0);
	assert_int_equal(cf->quota, 50000);
	assert_true(cf->user_ns > used);
	read_text_forget();
	assert_int_equal(reader_cpu_facts(&cg, false, cf), 0);
	assert_int_equal(cf->quota, 200000);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	/* the cgroup vanished under the reader */
	read_text_forget();
	assert_int_equal(reader_mem_facts(&cg, true, &mf), -EIO);
	assert_int_equal(reader_cpu_facts(&cg, true, cf), -EIO);
	free(cf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit),	     cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_cpu_max),	     cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_proc_cgroup),  cmocka_unit_test(test_io),
		cmocka_unit_test(test_visible_cpus), cmocka_unit_test(test_reader_v1),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
