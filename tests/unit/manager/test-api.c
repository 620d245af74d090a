/* test-api.c - request routing and the LXD envelope, without a socket or a daemon. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api.h"
#include "fs.h"
#include "json.h"

static char dir[] = "/tmp/cell-test-api.XXXXXX";
static struct celld d;

static json_t *dispatch(const char *method, const char *path, const char *body, int *status)
{
	char *copy = strdup(path), *save = NULL;
	char *seg[16];
	size_t n = 0;
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save))
		seg[n++] = p;
	struct request req = { .d = &d, .method = method, .seg = seg, .nseg = n };
	struct response resp = { 0 };
	if (body)
		assert_int_equal(api_parse_body(body, strlen(body), &req.body, NULL), 0);
	api_dispatch(&req, &resp);
	json_decref(req.body);
	free(copy);
	free(resp.location);
	free(resp.raw);
	*status = resp.status;
	return resp.json;
}

static void test_server_info(void **state)
{
	int st;
	json_t *j = dispatch("GET", "", NULL, &st);
	assert_int_equal(st, 200);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "sync");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(j, "metadata"), "api_version")),
		"1.0");
	json_decref(j);
}

static void test_errors(void **state)
{
	int st;
	json_t *j = dispatch("GET", "nothing/here", NULL, &st);
	assert_int_equal(st, 404);
	assert_string_equal(json_string_value(json_object_get(j, "type")), "error");
	json_decref(j);
	j = dispatch("GET", "instances/nope", NULL, &st);
	assert_int_equal(st, 404);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "nope"));
	json_decref(j);
	j = dispatch("POST", "instances", "{\"name\":\"1x\",\"source\":{\"alias\":\"a\"}}", &st);
	assert_int_equal(st, 400);
	json_decref(j);
	j = dispatch("POST", "instances",
		     "{\"name\":\"ok\",\"config\":{\"limits.memory\":\"lots\"}}", &st);
	assert_int_equal(st, 400);
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")), "lots"));
	json_decref(j);
	j = dispatch("POST", "instances", "[]", &st);
	assert_int_equal(st, 400);
	json_decref(j);
	j = dispatch("PATCH", "operations", NULL, &st);
	assert_int_equal(st, 405);
	json_decref(j);
	json_t *body = NULL;
	struct cell_error *e = NULL;
	assert_int_equal(api_parse_body("{nope", 5, &body, &e), -EINVAL);
	assert_non_null(strstr(e->msg, "not JSON"));
	cell_error_free(e);
}

static void test_profiles(void **state)
{
	int st;
	json_t *j = dispatch("POST", "profiles",
			     "{\"name\":\"p1\",\"config\":{\"limits.cpu\":\"2\"}}", &st);
	assert_int_equal(st, 200);
	json_decref(j);
	j = dispatch("POST", "profiles", "{\"name\":\"p1\"}", &st);
	assert_int_equal(st, 409);
	json_decref(j);
	j = dispatch("GET", "profiles/p1", NULL, &st);
	assert_int_equal(st, 200);
	json_decref(j);
	j = dispatch("DELETE", "profiles/default", NULL, &st);
	assert_int_equal(st, 400);
	json_decref(j);
	j = dispatch("DELETE", "profiles/p1", NULL, &st);
	assert_int_equal(st, 200);
	json_decref(j);
}

static int setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	char path[256];
	snprintf(path, sizeof(path), "%s/cell.db", dir);
	d.state_dir = dir;
	d.instances_dir = dir;
	d.cgroup_parent = (char *)"cell";
	return db_open(path, &d.db, NULL);
}

static int teardown(void **state)
{
	db_close(d.db);
	return fs_rm_rf(dir, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_info),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_profiles),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
