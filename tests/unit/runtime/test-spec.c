/* test-spec.c - config.json parsing: defaults, every table, errors that name the field, unknown
 * properties ignored. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "error.h"
#include "json.h"
#include "spec.h"
#include "state.h"

#define BASE                                                            \
	"\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"}, " \
	"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}, "           \
	"\"linux\": {\"namespaces\": [{\"type\": \"mount\"}, {\"type\": \"pid\"}]}"

/* Parse text; returns the result and leaves the message in *msg (static buffer). */
static int parse(const char *text, struct spec **ret, char *msg, size_t len)
{
	_cleanup_error_ struct cell_error *err = NULL;
	_cleanup_json_ json_t *doc = NULL;
	int r = json_load_object_string(text, "config.json", &doc, &err);
	if (r == 0)
		r = spec_parse(doc, "/bundle", ret, &err);
	snprintf(msg, len, "%s", err ? err->msg : "");
	return r;
}

static void expect_error(const char *text, const char *needle)
{
	struct spec *s = NULL;
	char msg[512];
	int r = parse(text, &s, msg, sizeof(msg));
	if (r == 0 || !strstr(msg, needle))
		fail_msg("parsing %s: got %d '%s', wanted an error with '%s'", text, r, msg,
			 needle);
	assert_null(s);
}

static void test_minimal_defaults(void **state)
{
	struct spec *s = NULL;
	char msg[512];
	assert_int_equal(parse("{" BASE "}", &s, msg, sizeof(msg)), 0);
	assert_string_equal(s->root_path, "/bundle/rootfs");
	assert_false(s->root_readonly);
	assert_string_equal(s->process.args[0], "sh");
	assert_int_equal(s->process.umask, -1);
	assert_false(s->process.caps.present);
	assert_true(s->ns[NS_MNT].enabled);
	assert_true(s->ns[NS_PID].enabled);
	assert_false(s->ns[NS_NET].enabled);
	assert_null(s->seccomp);
	spec_free(s);
}

static void test_unknown_properties_ignored(void **state)
{
	struct spec *s = NULL;
	char msg[512];
	assert_int_equal(parse("{" BASE ", \"future\": {\"x\": [1]}, \"hooks\": {}, \"vm\": 3}", &s,
			       msg, sizeof(msg)),
			 0);
	spec_free(s);
}

static void test_full_process(void **state)
{
	struct spec *s = NULL;
	char msg[512];
	const char *text =
		"{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"/abs\", \"readonly\": true},"
		"\"hostname\": \"h\", \"process\": {\"args\": [\"a\", \"b\"], \"env\": [\"A=1\"],"
		"\"cwd\": \"/tmp\", \"terminal\": true, \"noNewPrivileges\": true,"
		"\"oomScoreAdj\": -17, \"user\": {\"uid\": 5, \"gid\": 6, \"umask\": 18,"
		"\"additionalGids\": [7, 8]}, \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\","
		"\"soft\": 10, \"hard\": 20}], \"capabilities\": {\"bounding\": [\"CAP_KILL\"],"
		"\"effective\": [\"CAP_KILL\", \"CAP_NOT_A_THING\"], \"ambient\": []}},"
		"\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"mount\"},"
		"{\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}]}}";
	assert_int_equal(parse(text, &s, msg, sizeof(msg)), 0);
	assert_string_equal(s->root_path, "/abs");
	assert_true(s->root_readonly);
	assert_int_equal(s->process.uid, 5);
	assert_int_equal(s->process.gid, 6);
	assert_int_equal(s->process.umask, 18);
	assert_int_equal(s->process.ngids, 2);
	assert_int_equal(s->process.gids[1], 8);
	assert_int_equal(s->process.oom_score_adj, -17);
	assert_int_equal(s->process.nrlimits, 1);
	assert_int_equal(s->process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(s->process.caps.present);
	assert_int_equal(s->process.caps.bounding, 1ULL << 5);
	assert_int_equal(s->process.caps.effective, 1ULL << 5);
	assert_string_equal(s->ns[NS_NET].path, "/proc/1/ns/net");
	spec_free(s);
}

#define NOLINUX                                                         \
	"\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"}, " \
	"\"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}"

static void test_unsupported_refused(void **state)
{
	expect_error("{" NOLINUX ", \"linux\": {\"intelRdt\": {\"closID\": \"x\"}}}",
		     "linux.intelRdt: not supported");
	expect_error("{" NOLINUX ", \"linux\": {\"personality\": {\"domain\": \"X\"}}}",
		     "linux.personality.domain: X is neither LINUX nor LINUX32");
	expect_error("{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"r\"}, \"process\": "
		     "{\"args\": [\"sh\"], \"ioPriority\": {\"class\": \"IOPRIO_CLASS_BE\", "
		     "\"priority\": 8}}}",
		     "process.ioPriority.priority: 8 is not in 0..7");
	expect_error("{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"r\"}, \"process\": "
		     "{\"args\": [\"sh\"], \"scheduler\": {\"policy\": \"SCHED_OTHER\", "
		     "\"nice\": 40}}}",
		     "process.scheduler.nice: 40 is not in -20..19");
	(void)state;
}

static void test_field_errors(void **state)
{
	expect_error("{\"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"sh\"]}}",
		     "ociVersion");
	expect_error("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"sh\"]}}",
		     "root: required");
	expect_error(
		"{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": []}}",
		"process.args: must be a non-empty array");
	expect_error("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
		     "\"sh\"}}",
		     "process.args");
	expect_error("{" BASE ", \"mounts\": [{\"destination\": \"x\", \"type\": \"tmpfs\"}]}",
		     "mounts[0].destination: 'x' is not absolute");
	expect_error("{" BASE ", \"mounts\": [{\"type\": \"tmpfs\"}]}",
		     "mounts[0].destination: required");
	expect_error(
		"{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
		"[\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_NOPE\", \"soft\": 1, \"hard\": 1}]}}",
		"process.rlimits[0].type: unknown rlimit 'RLIMIT_NOPE'");
	expect_error(
		"{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
		"[\"sh\"], \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 9, \"hard\": 1}]}}",
		"soft limit above the hard limit");
	expect_error("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
		     "[\"sh\"], \"cwd\": \"rel\"}}",
		     "process.cwd: 'rel' is not an absolute path");
	expect_error("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": "
		     "[\"sh\"], \"oomScoreAdj\": 5000}}",
		     "process.oomScoreAdj");
}

static void test_namespace_errors(void **state)
{
	const char *head = "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, \"process\": "
			   "{\"args\": [\"sh\"]}, \"linux\": ";
	char text[1024];
	snprintf(text, sizeof(text),
		 "%s{\"namespaces\": [{\"type\": \"pid\"}, {\"type\": "
		 "\"bogus\"}]}}",
		 head);
	expect_error(text, "linux.namespaces[1].type: unknown namespace type 'bogus'");
	snprintf(text, sizeof(text),
		 "%s{\"namespaces\": [{\"type\": \"pid\"}, {\"type\": "
		 "\"pid\"}]}}",
		 head);
	expect_error(text, "listed twice");
	snprintf(text, sizeof(text), "%s{\"namespaces\": [{\"type\": \"user\"}]}}", head);
	expect_error(text, "linux.uidMappings");
	snprintf(text, sizeof(text),
		 "%s{\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, "
		 "\"size\": 1}], \"gidMappings\": []}}",
		 head);
	expect_error(text, "without a new user namespace");
	snprintf(text, sizeof(text),
		 "%s{\"namespaces\": [{\"type\": \"user\"}], \"uidMappings\": "
		 "[{\"containerID\": 0, \"hostID\": 1}], \"gidMappings\": []}}",
		 head);
	expect_error(text, "linux.uidMappings[0].size: required");
	snprintf(text, sizeof(text), "%s{\"timeOffsets\": {\"boottime\": {\"secs\": 1}}}}", head);
	expect_error(text, "linux.timeOffsets: needs a time namespace");
	snprintf(text, sizeof(text), "%s{\"rootfsPropagation\": \"sideways\"}}", head);
	expect_error(text, "linux.rootfsPropagation");
	snprintf(text, sizeof(text), "%s{\"devices\": [{\"path\": \"/dev/x\", \"type\": \"q\"}]}}",
		 head);
	expect_error(text, "linux.devices[0].type");
	snprintf(text, sizeof(text), "%s{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_NOPE\"}}}",
		 head);
	expect_error(text, "linux.seccomp.defaultAction: unknown action");
	/* a name no architecture has is refused; one of other architectures is not */
	snprintf(text, sizeof(text),
		 "%s{\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": "
		 "[{\"names\": [\"socketcall\", \"openatt\"], \"action\": \"SCMP_ACT_KILL\"}]}}}",
		 head);
	expect_error(text, "linux.seccomp.syscalls[0].names[1]: unknown syscall 'openatt'");
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\"}, "
		 "\"hostname\": \"h\", \"process\": {\"args\": [\"sh\"]}}");
	expect_error(text, "needs a uts namespace");
}

static void test_mount_options(void **state)
{
	struct spec_mount m = { 0 };
	char *opts[] = { "nosuid",  "ro",	"noexec", "rbind", "rslave",
			 "size=1m", "mode=700", "rw",	  "nodev", NULL };
	assert_int_equal(spec_mount_parse_options(&m, opts, "mounts[0].options", NULL), 0);
	assert_true(m.bind);
	assert_true(m.recursive);
	assert_int_equal(m.flags & (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY),
			 MS_NOSUID | MS_NOEXEC | MS_NODEV);
	assert_true(m.attr_clr & MOUNT_ATTR_RDONLY);
	assert_int_equal(m.propagation, MS_SLAVE | MS_REC);
	assert_string_equal(m.data, "size=1m,mode=700");
	free(m.data);
}

static void test_signal_names(void **state)
{
	assert_int_equal(spec_signal_from_name("KILL"), SIGKILL);
	assert_int_equal(spec_signal_from_name("SIGKILL"), SIGKILL);
	assert_int_equal(spec_signal_from_name("sigterm"), SIGTERM);
	assert_int_equal(spec_signal_from_name("9"), 9);
	assert_int_equal(spec_signal_from_name("RTMIN+1"), SIGRTMIN + 1);
	assert_int_equal(spec_signal_from_name("NOPE"), -1);
	assert_int_equal(spec_signal_from_name("0"), -1);
	assert_int_equal(spec_signal_from_name(""), -1);
}

static void test_container_ids(void **state)
{
	assert_int_equal(state_validate_id("c1", NULL), 0);
	assert_int_equal(state_validate_id("a.b-c_d", NULL), 0);
	assert_int_equal(state_validate_id("", NULL), -EINVAL);
	assert_int_equal(state_validate_id("a/b", NULL), -EINVAL);
	assert_int_equal(state_validate_id("..", NULL), -EINVAL);
	assert_int_equal(state_validate_id("a b", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_unknown_properties_ignored),
		cmocka_unit_test(test_full_process),
		cmocka_unit_test(test_field_errors),
		cmocka_unit_test(test_unsupported_refused),
		cmocka_unit_test(test_namespace_errors),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_container_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
