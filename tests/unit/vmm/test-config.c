/* test-config.c - cellvm's command line and JSON config: sizes, devices, and bad input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm-config.h"

static int parse(struct vmm_config *cfg, struct cell_error **err, ...)
{
	char *argv[32] = { "cellvm" };
	int argc = 1;
	va_list ap;
	va_start(ap, err);
	for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = a;
	va_end(ap);
	vmm_config_init(cfg);
	return vmm_config_parse_args(cfg, argc, argv, err);
}

static void test_sizes(void **state)
{
	uint64_t v;
	assert_int_equal(vmm_parse_size("512M", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(vmm_parse_size("2G", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(vmm_parse_size("4096", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(vmm_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(vmm_parse_size("-1M", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("12X", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("", &v), -EINVAL);
	assert_int_equal(vmm_parse_size("99999999999999999999T", &v), -EINVAL);
}

static void test_defaults(void **state)
{
	struct vmm_config cfg;
	assert_int_equal(parse(&cfg, NULL, "--kernel", "/k", NULL), 0);
	assert_int_equal(cfg.cpus, 1);
	assert_int_equal(cfg.memory, 512ULL << 20);
	assert_true(cfg.sandbox);
	/* cellvm unpacks what it can; --decompress guest asks for the kernel's own decompressor */
	assert_int_equal(cfg.decompress, VMM_DECOMPRESS_HOST);
	vmm_config_free(&cfg);
}

static void test_full_cli(void **state)
{
	struct vmm_config cfg;
	assert_int_equal(parse(&cfg, NULL, "--kernel", "/k", "--initrd", "/i", "--cmdline",
			       "console=ttyS0", "--cpus", "4", "--memory", "1G", "--disk",
			       "/a.img,ro", "--disk", "/b.img", "--net",
			       "tap=tap0,mac=52:54:00:00:00:01", "--console", "virtio", "--rng",
			       "--decompress", "guest", NULL),
			 0);
	assert_string_equal(cfg.kernel, "/k");
	assert_int_equal(cfg.cpus, 4);
	assert_int_equal(cfg.memory, 1ULL << 30);
	assert_int_equal(cfg.ndisks, 2);
	assert_true(cfg.disks[0].readonly);
	assert_false(cfg.disks[1].readonly);
	assert_string_equal(cfg.net_tap, "tap0");
	assert_int_equal(cfg.console, VMM_CONSOLE_VIRTIO);
	assert_true(cfg.rng);
	assert_true(cfg.sandbox);
	assert_int_equal(cfg.decompress, VMM_DECOMPRESS_GUEST);
	vmm_config_free(&cfg);
}

static void expect_bad(const char *needle, ...)
{
	struct vmm_config cfg;
	struct cell_error *err = NULL;
	char *argv[16] = { "cellvm" };
	int argc = 1;
	va_list ap;
	va_start(ap, needle);
	for (char *a; (a = va_arg(ap, char *)) && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	vmm_config_init(&cfg);
	assert_true(vmm_config_parse_args(&cfg, argc, argv, &err) < 0);
	assert_non_null(err);
	if (!strstr(err->msg, needle))
		fail_msg("'%s' does not mention '%s'", err->msg, needle);
	cell_error_free(err);
	vmm_config_free(&cfg);
}

static void test_bad_cli(void **state)
{
	expect_bad("no kernel", "--cpus", "1", NULL);
	expect_bad("--memory", "--kernel", "/k", "--memory", "0", NULL);
	expect_bad("--memory", "--kernel", "/k", "--memory", "lots", NULL);
	expect_bad("--cpus", "--kernel", "/k", "--cpus", "0", NULL);
	expect_bad("--cpus", "--kernel", "/k", "--cpus", "4096", NULL);
	expect_bad("unknown option 'x'", "--kernel", "/k", "--disk", "/a,x", NULL);
	expect_bad("tap=NAME", "--kernel", "/k", "--net", "bridge=br0", NULL);
	expect_bad("mac=zz", "--kernel", "/k", "--net", "tap=t,mac=zz", NULL);
	expect_bad("serial or virtio", "--kernel", "/k", "--console", "vga", NULL);
	expect_bad("host or guest", "--kernel", "/k", "--decompress", "both", NULL);
	expect_bad("--bogus", "--kernel", "/k", "--bogus", NULL);
	expect_bad("unexpected argument", "--kernel", "/k", "extra", NULL);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/cellvm-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_json(void **state)
{
	struct vmm_config cfg;
	struct cell_error *err = NULL;
	char *p = write_tmp("{\"kernel\": \"/k\", \"cpus\": 2, \"memory\": \"256M\", \"disks\": "
			    "[{\"path\": \"/d\", \"readonly\": true}], \"net\": {\"tap\": \"t0\"}, "
			    "\"console\": \"serial\", \"rng\": true, \"decompress\": \"guest\"}");
	assert_int_equal(parse(&cfg, &err, "--config", p, NULL), 0);
	assert_int_equal(cfg.decompress, VMM_DECOMPRESS_GUEST);
	assert_int_equal(cfg.cpus, 2);
	assert_int_equal(cfg.memory, 256ULL << 20);
	assert_int_equal(cfg.ndisks, 1);
	assert_true(cfg.disks[0].readonly);
	assert_string_equal(cfg.net_tap, "t0");
	assert_true(cfg.rng);
	vmm_config_free(&cfg);
	unlink(p);
	free(p);

	const char *bad[][2] = {
		{ "{\"kernel\": \"/k\", \"colour\": 1}", "unknown field 'colour'" },
		{ "{\"kernel\": 5}", "kernel" },
		{ "{\"kernel\": \"/k\", \"cpus\": 0}", "config.cpus" },
		{ "{\"kernel\": \"/k\", \"memory\": \"x\"}", "config.memory" },
		{ "{\"kernel\": \"/k\", \"disks\": [{}]}", "disks[0].path" },
		{ "{\"kernel\": \"/k\"", "" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = write_tmp(bad[i][0]);
		assert_true(parse(&cfg, &err, "--config", p, NULL) < 0);
		assert_non_null(err);
		if (!strstr(err->msg, bad[i][1]))
			fail_msg("'%s' does not mention '%s'", err->msg, bad[i][1]);
		cell_error_free(err);
		err = NULL;
		vmm_config_free(&cfg);
		unlink(p);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),	 cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full_cli), cmocka_unit_test(test_bad_cli),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
