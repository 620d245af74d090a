/* exeguard.c - Landlock rule: execute only beneath the container's root. */
#include "exeguard.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

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
