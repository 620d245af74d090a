/* test-lifecycle-hooks.c - config.json "hooks": accepted shapes, errors that name the field, unknown kinds
 * ignored, and hooks_run's exit status, timeout and stdin handling. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "error.h"
#include "hooks.h"
#include "json.h"
#include "spec.h"

#define BASE                                                            \
	"\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"}, " \
	"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "           \
	"\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}"

static int parse_hooks(const char *hooks, struct spec **ret, char *msg, size_t len)
{
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_json_ json_t *doc = NULL;
	char text[2048];
	snprintf(text, sizeof(text), "{" BASE ", \"hooks\": %s}", hooks);
	int r = json_load_object_string(text, "config.json", &doc, &err);
	if (r == 0)
		r = spec_parse(doc, "/bundle", ret, &err);
	snprintf(msg, len, "%s", err ? err->msg : "");
	return r;
}

static void expect_error(const char *hooks, const char *needle)
{
	struct spec *s = NULL;
	char msg[512];
	int r = parse_hooks(hooks, &s, msg, sizeof(msg));
	if (r == 0 || !strstr(msg, needle))
		fail_msg("hooks %s: got %d '%s', wanted an error with '%s'", hooks, r, msg, needle);
	assert_null(s);
}

static void test_accepted(void **state)
{
	struct spec *s = NULL;
	char msg[512];
	assert_int_equal(
		parse_hooks("{\"prestart\": [{\"path\": \"/bin/true\"}],"
			    " \"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\"],"
			    " \"env\": [\"A=1\"], \"timeout\": 5}],"
			    " \"poststart\": [], \"poststop\": [{\"path\": \"/bin/true\"}],"
			    " \"createContainer\": [], \"someFutureKind\": 7}",
			    &s, msg, sizeof(msg)),
		0);
	assert_true(hooks_has(s->hooks, "prestart"));
	assert_true(hooks_has(s->hooks, "createRuntime"));
	assert_false(hooks_has(s->hooks, "poststart"));
	assert_false(hooks_has(s->hooks, "startContainer"));
	assert_false(hooks_has(s->hooks, "createContainer"));
	spec_free(s);
	/* startContainer's path is in the container's root: not looked for on the host */
	assert_int_equal(parse_hooks("{\"startContainer\": [{\"path\": \"/only/in/rootfs\"}]}", &s,
				     msg, sizeof(msg)),
			 0);
	assert_true(hooks_has(s->hooks, "startContainer"));
	spec_free(s);
	/* no hooks at all */
	assert_int_equal(parse_hooks("null", &s, msg, sizeof(msg)), 0);
	assert_false(hooks_has(s->hooks, "prestart"));
	spec_free(s);
	(void)state;
}

static void test_errors(void **state)
{
	expect_error("[]", "hooks: expected an object");
	expect_error("{\"poststart\": {}}", "hooks.poststart: expected an array");
	expect_error("{\"poststart\": [{\"path\": \"/bin/true\"}, {\"path\": \"/bin/true\", "
		     "\"timeout\": 0}]}",
		     "hooks.poststart[1].timeout: must be greater than zero");
	expect_error("{\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": -3}]}",
		     "hooks.poststop[0].timeout: must be greater than zero");
	expect_error("{\"poststop\": [{\"path\": \"/bin/true\", \"timeout\": \"5\"}]}",
		     "hooks.poststop[0].timeout: expected an integer");
	expect_error("{\"prestart\": [{\"args\": []}]}", "hooks.prestart[0].path: required");
	expect_error("{\"prestart\": [{\"path\": \"true\"}]}",
		     "hooks.prestart[0].path: true is not absolute");
	expect_error("{\"createRuntime\": [{\"path\": \"/no/such/hook\"}]}",
		     "hooks.createRuntime[0].path: /no/such/hook");
	expect_error("{\"createRuntime\": [{\"path\": \"/bin/true\", \"args\": [1]}]}",
		     "hooks.createRuntime[0].args[0]: expected a string");
	expect_error("{\"createRuntime\": [{\"path\": \"/bin/true\", \"env\": [\"A=1\", null]}]}",
		     "hooks.createRuntime[0].env[1]: expected a string");
	expect_error("{\"createRuntime\": [\"/bin/true\"]}",
		     "hooks.createRuntime[0]: expected an object");
	expect_error("{\"startContainer\": [{\"path\": \"true\"}]}",
		     "hooks.startContainer[0].path: true is not absolute");
	(void)state;
}

static int run_hooks(const char *hooks, char *msg, size_t len)
{
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_json_ json_t *h = NULL, *st = json_pack("{s:s}", "id", "x");
	int r = json_load_object_string(hooks, "hooks", &h, &err);
	if (r == 0)
		r = hooks_run(h, "poststop", st, &err);
	snprintf(msg, len, "%s", err ? err->msg : "");
	return r;
}

static void test_run(void **state)
{
	char msg[512], path[] = "/tmp/cell-test-hooks-XXXXXX", hooks[1024];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* stdin carries the state; args and env as given */
	snprintf(hooks, sizeof(hooks),
		 "{\"poststop\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\","
		 " \"cat >%s; echo \\\" $0 $V\\\" >>%s\", \"arg0\"], \"env\": [\"V=v\"]}]}",
		 path, path);
	assert_int_equal(run_hooks(hooks, msg, sizeof(msg)), 0);
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	unlink(path);
	assert_string_equal(buf, "{\"id\":\"x\"} arg0 v\n");
	assert_int_not_equal(run_hooks("{\"poststop\": [{\"path\": \"/bin/true\"}, "
				       "{\"path\": \"/bin/false\"}]}",
				       msg, sizeof(msg)),
			     0);
	assert_string_equal(msg, "hooks.poststop[1]: /bin/false exited with status 1");
	assert_int_equal(run_hooks("{\"poststop\": [{\"path\": \"/bin/sleep\", \"args\": "
				   "[\"sleep\", \"30\"], \"timeout\": 1}]}",
				   msg, sizeof(msg)),
			 -ETIME);
	assert_string_equal(msg, "hooks.poststop[0]: timed out after 1 s");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
