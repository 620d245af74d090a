/* test-render.c - the renderers: given cgroup facts and host files, the exact file content. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "viewfs.h"

static const char host_meminfo[] = "MemTotal:       24683652 kB\n"
				   "MemFree:        23670572 kB\n"
				   "MemAvailable:   24328484 kB\n"
				   "Buffers:           16972 kB\n"
				   "Cached:           817956 kB\n"
				   "SwapCached:            0 kB\n"
				   "SwapTotal:       1048572 kB\n"
				   "SwapFree:        1048572 kB\n"
				   "Shmem:              8956 kB\n"
				   "VmallocTotal:   34359738367 kB\n"
				   "HugePages_Total:       0\n";

static void test_meminfo_limited(void **state)
{
	struct vbuf b = { 0 };
	struct mem_facts f = { .limit = 256 << 20,
			       .usage = 16 << 20,
			       .cache = 4 << 20,
			       .inactive_file = 2 << 20,
			       .shmem = 1 << 20,
			       .swap_limit = 64 << 20,
			       .swap_usage = 1 << 20,
			       .have_swap = true };
	assert_int_equal(render_meminfo(host_meminfo, &f, &b), 0);
	assert_string_equal(b.p, "MemTotal:         262144 kB\n"
				 "MemFree:          245760 kB\n"
				 "MemAvailable:     247808 kB\n"
				 "Buffers:               0 kB\n"
				 "Cached:             4096 kB\n"
				 "SwapCached:            0 kB\n"
				 "SwapTotal:         65536 kB\n"
				 "SwapFree:          64512 kB\n"
				 "Shmem:              1024 kB\n"
				 "VmallocTotal:   34359738367 kB\n"
				 "HugePages_Total:       0\n");
	vbuf_free(&b);
}

static void test_meminfo_unlimited(void **state)
{
	struct vbuf b = { 0 };
	/* no limit (max): the host's total; usage above it cannot make MemFree negative */
	struct mem_facts f = { .limit = VIEW_UNLIMITED,
			       .usage = UINT64_C(1) << 50,
			       .swap_limit = VIEW_UNLIMITED };
	assert_int_equal(render_meminfo(host_meminfo, &f, &b), 0);
	assert_non_null(strstr(b.p, "MemTotal:       24683652 kB\n"));
	assert_non_null(strstr(b.p, "MemFree:               0 kB\n"));
	assert_non_null(strstr(b.p, "SwapTotal:       1048572 kB\n"));
	vbuf_free(&b);
}

static const char host_cpuinfo[] = "processor\t: 0\nvendor_id\t: X\ncore id\t\t: 0\n\n"
				   "processor\t: 1\nvendor_id\t: X\ncore id\t\t: 1\n\n"
				   "processor\t: 2\nvendor_id\t: X\ncore id\t\t: 2\n\n";

static void test_cpuinfo(void **state)
{
	struct vbuf b = { 0 };
	unsigned cpus[] = { 2 };
	assert_int_equal(render_cpuinfo(host_cpuinfo, cpus, 1, &b), 0);
	assert_string_equal(b.p, "processor\t: 0\nvendor_id\t: X\ncore id\t\t: 2\n\n");
	vbuf_reset(&b);
	unsigned two[] = { 0, 2 };
	assert_int_equal(render_cpuinfo(host_cpuinfo, two, 2, &b), 0);
	assert_string_equal(b.p, "processor\t: 0\nvendor_id\t: X\ncore id\t\t: 0\n\n"
				 "processor\t: 1\nvendor_id\t: X\ncore id\t\t: 2\n\n");
	/* found by the fuzzer: a block with no newline after its number */
	vbuf_reset(&b);
	assert_int_equal(render_cpuinfo("processor:\305", cpus, 1, &b), 0);
	assert_int_equal(render_cpuinfo("processor\t: 2", cpus, 1, &b), 0);
	assert_string_equal(b.p, "processor\t: 0");
	vbuf_free(&b);
}

static void test_stat(void **state)
{
	struct vbuf b = { 0 };
	const char *host = "cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1 1 1 1\n"
			   "cpu1 1 1 1 1 1 1 1 1 1 1\nintr 5 0\nctxt 9\nbtime 100\n";
	struct stat_facts f = {
		.ncpus = 1, .user_ticks = 30, .system_ticks = 10, .uptime_ticks = 100
	};
	assert_int_equal(render_stat(host, &f, &b), 0);
	assert_string_equal(b.p, "cpu  30 0 10 60 0 0 0 0 0 0\n"
				 "cpu0 30 0 10 60 0 0 0 0 0 0\n"
				 "intr 5 0\nctxt 9\nbtime 100\n");
	vbuf_reset(&b);
	f.ncpus = 2;
	f.user_ticks = 31;
	assert_int_equal(render_stat(host, &f, &b), 0);
	assert_string_equal(b.p, "cpu  31 0 10 159 0 0 0 0 0 0\n"
				 "cpu0 16 0 5 79 0 0 0 0 0 0\n"
				 "cpu1 15 0 5 80 0 0 0 0 0 0\n"
				 "intr 5 0\nctxt 9\nbtime 100\n");
	vbuf_free(&b);
}

static void test_uptime_loadavg_online(void **state)
{
	struct vbuf b = { 0 };
	assert_int_equal(render_uptime(12.345, -3, &b), 0);
	assert_string_equal(b.p, "12.35 0.00\n");
	vbuf_reset(&b);
	struct load_facts lf = {
		.avenrun = { 2048, 1024, 0 }, .running = 1, .total = 3, .last_pid = 77
	};
	assert_int_equal(render_loadavg(&lf, &b), 0);
	assert_string_equal(b.p, "1.00 0.50 0.00 1/3 77\n");
	vbuf_reset(&b);
	assert_int_equal(render_cpu_online(1, &b), 0);
	assert_string_equal(b.p, "0\n");
	vbuf_reset(&b);
	assert_int_equal(render_cpu_online(4, &b), 0);
	assert_string_equal(b.p, "0-3\n");
	vbuf_reset(&b);
	/* node0/cpumap keeps the host's shape: one group of 1 digit, or several of 32 bits */
	assert_int_equal(render_cpumap("3\n", 1, &b), 0);
	assert_string_equal(b.p, "1\n");
	vbuf_reset(&b);
	assert_int_equal(render_cpumap("ff,ffffffff\n", 36, &b), 0);
	assert_string_equal(b.p, "0f,ffffffff\n");
	vbuf_reset(&b);
	assert_int_equal(render_cpumap("00000000,00000000,0000ffff\n", 2, &b), 0);
	assert_string_equal(b.p, "00000000,00000000,00000003\n");
	vbuf_reset(&b);
	assert_int_equal(render_cpumap("3\n", 33, &b), -EINVAL); /* more cpus than the host */
	assert_int_equal(render_cpumap("\n", 1, &b), -EINVAL);
	vbuf_free(&b);
}

static void test_load_calc(void **state)
{
	/* one busy task for 12 samples (a minute): load1 reaches 1 - 1/e = 0.63 */
	unsigned long l = 0;
	for (int i = 0; i < 12; i++)
		l = load_calc(l, 1884, 2048);
	assert_in_range(l, 2048 * 62 / 100, 2048 * 65 / 100);
	for (int i = 0; i < 200; i++)
		l = load_calc(l, 1884, 0);
	assert_int_equal(l, 0);
}

/* A tracker over caller-kept memory (the state memfd): a second one, as after a server restart,
 * continues the first one's averages. */
static void test_load_tracker_kept(void **state)
{
	static struct load_entry mem[4];
	uint32_t n = 0;
	struct reader_cgroup cg = { .v2 = true };
	struct load_facts lf;
	snprintf(cg.cpu, sizeof(cg.cpu), "/nonexistent/cellfs-unit");
	struct load_tracker *a = load_tracker_new_in(mem, &n, 4);
	assert_non_null(a);
	load_tracker_get(a, &cg, &lf);
	assert_int_equal(n, 1);
	mem[0].avenrun[0] = 1024; /* as if sampled busy */
	load_tracker_free(a);
	struct load_tracker *b = load_tracker_new_in(mem, &n, 4);
	load_tracker_get(b, &cg, &lf);
	assert_int_equal(n, 1);
	assert_int_equal(lf.avenrun[0], 1024);
	/* a full table reports zeros rather than failing or growing */
	n = 4;
	snprintf(cg.cpu, sizeof(cg.cpu), "/nonexistent/other");
	load_tracker_get(b, &cg, &lf);
	assert_int_equal(n, 4);
	assert_int_equal(lf.avenrun[0], 0);
	load_tracker_free(b);
}

static void test_swaps_diskstats(void **state)
{
	struct vbuf b = { 0 };
	const char *hdr = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	struct mem_facts f = { .swap_limit = 64 << 20, .swap_usage = 1 << 20 };
	assert_int_equal(render_swaps(hdr, &f, 0, &b), 0);
	assert_string_equal(b.p, hdr); /* the host has no swap: none to show */
	vbuf_reset(&b);
	assert_int_equal(render_swaps(hdr, &f, 1048572, &b), 0);
	assert_non_null(strstr(b.p, "none\t\t\t\t\tvirtual\t\t65536\t\t1024\t\t0\n"));
	vbuf_reset(&b);
	const char *disks =
		"   8       0 sda 1 2 3 4 5 6 7 8 0 9 10\n   8       1 sda1 1 2 3 4 5 6 7 8 0 9 10\n";
	struct io_dev d[] = {
		{ .major = 8, .minor = 1, .rios = 3, .rbytes = 4096, .wios = 1, .wbytes = 512 }
	};
	assert_int_equal(render_diskstats(disks, d, 1, &b), 0);
	assert_string_equal(b.p, "   8       1 sda1 3 0 8 0 1 0 1 0 0 0 0 0 0 0 0 0 0\n");
	vbuf_free(&b);
}

/* The device-name table gives what parsing the host's file at every open gave, in its order. */
static void test_diskstats_table(void **state)
{
	const char *host = "   7       0 loop0 2176 0 88364 784 32730 146 11905152 103826 0 12888\n"
			   "   8       0 sda 1 2 3 4 5 6 7 8 0 9 10\n"
			   "garbage line\n"
			   " 259       0 nvme0n1 1 2 3 4 5 6 7 8 0 9 10\n"
			   "   8       1 sda1 1 2 3 4 5 6 7 8 0 9 10";
	struct io_dev d[] = {
		{ .major = 8, .minor = 1, .rios = 3, .rbytes = 4096, .wios = 1, .wbytes = 512 },
		{ .major = 259, .minor = 0, .rios = 0, .wios = 7, .wbytes = 1 << 20 },
		{ .major = 7, .minor = 0 }, /* no I/O: not shown */
		{ .major = 8, .minor = 0, .rios = 1, .rbytes = 512 },
	};
	const char *want = "   8       0 sda 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
			   " 259       0 nvme0n1 0 0 0 0 7 0 2048 0 0 0 0 0 0 0 0 0 0\n"
			   "   8       1 sda1 3 0 8 0 1 0 1 0 0 0 0 0 0 0 0 0 0\n";
	struct vbuf a = { 0 }, b = { 0 };
	struct disk_table t = { 0 };
	assert_int_equal(render_diskstats(host, d, 4, &a), 0);
	assert_string_equal(a.p, want);
	assert_int_equal(disk_table_parse(host, &t), 0);
	assert_int_equal(t.n, 4);
	assert_string_equal(t.d[2].name, "nvme0n1");
	assert_true(disk_table_covers(&t, d, 4));
	assert_int_equal(render_diskstats_table(&t, d, 4, &b), 0);
	assert_string_equal(b.p, want);
	/* a device with I/O the table does not name asks for a refresh; one without I/O does not */
	struct io_dev unknown[] = { { .major = 253, .minor = 0, .rios = 1 } };
	assert_false(disk_table_covers(&t, unknown, 1));
	unknown[0].rios = 0;
	assert_true(disk_table_covers(&t, unknown, 1));
	/* parsed again in place: the old names go */
	assert_int_equal(disk_table_parse("   8       0 sdb 0 0 0 0\n", &t), 0);
	assert_int_equal(t.n, 1);
	assert_string_equal(t.d[0].name, "sdb");
	vbuf_reset(&b);
	assert_int_equal(render_diskstats_table(&t, d, 4, &b), 0);
	assert_string_equal(b.p, "   8       0 sdb 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	disk_table_free(&t);
	vbuf_free(&a);
	vbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meminfo_limited),
		cmocka_unit_test(test_meminfo_unlimited),
		cmocka_unit_test(test_cpuinfo),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_uptime_loadavg_online),
		cmocka_unit_test(test_load_calc),
		cmocka_unit_test(test_load_tracker_kept),
		cmocka_unit_test(test_swaps_diskstats),
		cmocka_unit_test(test_diskstats_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
