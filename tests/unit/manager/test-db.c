/* test-db.c - the SQLite layer: migrations, the default profile, instances, aliases. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "db.h"
#include "fs.h"
#include "json.h"

static char dir[] = "/tmp/cell-test-db.XXXXXX";

static struct db *open_db(void)
{
	char path[256];
	struct db *db = NULL;
	snprintf(path, sizeof(path), "%s/cell.db", dir);
	assert_int_equal(db_open(path, &db, NULL), 0);
	return db;
}

static void test_migrations_and_default_profile(void **state)
{
	struct db *db = open_db();
	int v = db_schema_version(db);
	assert_true(v >= 1);
	json_t *p = NULL;
	assert_int_equal(db_profile_get(db, "default", &p, NULL), 0);
	assert_non_null(json_object_get(json_object_get(p, "devices"), "root"));
	json_decref(p);
	db_close(db);
	/* Reopening applies nothing twice. */
	db = open_db();
	assert_int_equal(db_schema_version(db), v);
	db_close(db);
}

static void test_instances(void **state)
{
	struct db *db = open_db();
	struct cell_error *e = NULL;
	json_t *inst = json_pack("{ss ss s{ss} s[s]}", "name", "c1", "image", "abc", "config",
				 "limits.memory", "1GiB", "profiles", "default");
	assert_int_equal(db_instance_insert(db, inst, NULL), 0);
	assert_int_equal(db_instance_insert(db, inst, &e), -EEXIST);
	assert_non_null(strstr(e->msg, "c1"));
	cell_error_free(e);
	json_t *got = NULL;
	assert_int_equal(db_instance_get(db, "c1", &got, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(got, "state")), "creating");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(got, "config"), "limits.memory")),
		"1GiB");
	json_decref(got);
	assert_int_equal(db_instance_set_state(db, "c1", "ready", NULL), 0);
	json_t *users = NULL;
	assert_int_equal(db_profile_users(db, "default", &users, NULL), 0);
	assert_int_equal(json_array_size(users), 1);
	json_decref(users);
	assert_int_equal(db_instance_delete(db, "c1", NULL), 0);
	assert_int_equal(db_instance_get(db, "c1", &got, NULL), -ENOENT);
	json_decref(inst);
	db_close(db);
}

static void test_images_aliases(void **state)
{
	struct db *db = open_db();
	const char *fp = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	json_t *img = json_pack("{ss ss}", "fingerprint", fp, "state", "ready");
	assert_int_equal(db_image_insert(db, img, NULL), 0);
	assert_int_equal(db_alias_put(db, "bb", fp, NULL, NULL), 0);
	assert_int_equal(db_alias_put(db, "bb", fp, NULL, NULL), -EEXIST);
	char *got = NULL;
	assert_int_equal(db_image_resolve(db, "bb", &got, NULL), 0);
	assert_string_equal(got, fp);
	free(got);
	assert_int_equal(db_image_resolve(db, "01234567", &got, NULL), 0);
	free(got);
	assert_int_equal(db_image_resolve(db, "0123", &got, NULL), -ENOENT);
	assert_int_equal(db_image_resolve(db, "nope", &got, NULL), -ENOENT);
	/* Deleting the image takes its aliases with it. */
	assert_int_equal(db_image_delete(db, fp, NULL), 0);
	assert_int_equal(db_image_resolve(db, "bb", &got, NULL), -ENOENT);
	json_decref(img);
	db_close(db);
}

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	return fs_rm_rf(dir, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_migrations_and_default_profile),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_images_aliases),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
