/* test-fs.c - RESOLVE_IN_ROOT keeps symlinks and ".." inside; atomic writes; rm -rf. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cleanup.h"
#include "error.h"
#include "fs.h"

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/cell-test-fs.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return fs_rm_rf(tmpdir, NULL);
}

static void test_symlink_to_slash_stays_inside(void **state)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/root", tmpdir);
	assert_int_equal(fs_mkdir_p(path, 0755, NULL), 0);
	snprintf(path, sizeof(path), "%s/root/proc", tmpdir);
	assert_int_equal(symlink("/", path), 0);
	snprintf(path, sizeof(path), "%s/root/up", tmpdir);
	assert_int_equal(symlink("../../../../..", path), 0);

	snprintf(path, sizeof(path), "%s/root", tmpdir);
	_cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	/* "proc" -> "/" must resolve to the rootfs itself, not the host's / */
	_cleanup_close_ int fd = fs_open_in_root(root, "/proc", O_PATH | O_DIRECTORY, 0, NULL);
	assert_true(fd >= 0);
	struct stat a, b;
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(root, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	/* a host path through ".." is not reachable */
	_cleanup_error_ struct cell_error *err = NULL;
	assert_true(fs_open_in_root(root, "up/etc/passwd", O_RDONLY, 0, &err) < 0);
	assert_non_null(err);
}

static void test_mkdir_p_in_root_through_symlink(void **state)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/r2", tmpdir);
	assert_int_equal(fs_mkdir_p(path, 0755, NULL), 0);
	snprintf(path, sizeof(path), "%s/r2/escape", tmpdir);
	assert_int_equal(symlink("/tmp", path), 0);
	snprintf(path, sizeof(path), "%s/r2", tmpdir);
	_cleanup_close_ int root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int fd = fs_mkdir_p_in_root(root, "escape/cell-x/y", 0755, NULL);
	assert_true(fd >= 0);
	/* created inside the root at /tmp/cell-x/y, not in the host's /tmp */
	snprintf(path, sizeof(path), "%s/r2/tmp/cell-x/y", tmpdir);
	assert_true(fs_exists(path));
	assert_false(fs_exists("/tmp/cell-x/y"));
}

static void test_write_atomic_and_read_back(void **state)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state.json", tmpdir);
	assert_int_equal(fs_write_file_atomic(path, "{}", 2, 0600, NULL), 0);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	assert_int_equal(fs_read_file(path, &text, &len, NULL), 0);
	assert_int_equal(len, 2);
	assert_string_equal(text, "{}");
}

static void test_read_missing_names_path(void **state)
{
	_cleanup_error_ struct cell_error *err = NULL;
	char *text = NULL;
	assert_int_equal(fs_read_file("/nonexistent/cell", &text, NULL, &err), -ENOENT);
	assert_non_null(strstr(err->msg, "/nonexistent/cell"));
}

static void test_rm_rf(void **state)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/tree/a/b", tmpdir);
	assert_int_equal(fs_mkdir_p(path, 0755, NULL), 0);
	snprintf(path, sizeof(path), "%s/tree", tmpdir);
	assert_int_equal(fs_rm_rf(path, NULL), 0);
	assert_false(fs_exists(path));
	assert_int_equal(fs_rm_rf(path, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symlink_to_slash_stays_inside),
		cmocka_unit_test(test_mkdir_p_in_root_through_symlink),
		cmocka_unit_test(test_write_atomic_and_read_back),
		cmocka_unit_test(test_read_missing_names_path),
		cmocka_unit_test(test_rm_rf),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
