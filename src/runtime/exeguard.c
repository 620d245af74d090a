/* exeguard.c - Landlock rule: execute only beneath the container's root. */
#include "exeguard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

bool exeguard_wanted(json_t *annotations)
{
	json_t *v =
		json_is_object(annotations) ? json_object_get(annotations, "cell.exeguard") : NULL;
	if (json_is_string(v) && strcmp(json_string_value(v), "false") == 0)
		return false;
	/* uid_map lines: "inside outside count"; host root is mapped when outside 0 is covered. */
	_cleanup_fclose_ FILE *f = fopen("/proc/self/uid_map", "re");
	unsigned long in, out, count;
	while (f && fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
		if (out == 0 && count > 0)
			return true;
	return !f;
}

int exeguard_confine_exec(struct cell_error **err)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE };
	_cleanup_close_ int ruleset =
		(int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP) {
			log_debug("Landlock is not available: exec confinement skipped");
			return 0;
		}
		return cell_error_errno(err, errno, "landlock: create a ruleset");
	}
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct landlock_path_beneath_attr beneath = {
		.allowed_access = LANDLOCK_ACCESS_FS_EXECUTE,
		.parent_fd = root,
	};
	if (root < 0 ||
	    syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) < 0)
		return cell_error_errno(err, errno, "landlock: allow execution beneath /");
	if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		return cell_error_errno(err, errno, "landlock: restrict execution");
	return 0;
}
