/* bind-views.c - drive the runtime's viewfs hook (bind, then claim) without the runtime: ROOTFS ID
 * [MOUNT]. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "error.h"
#include "viewfs-mounts.h"

int main(int argc, char **argv)
{
	_cleanup_error_ struct cell_error *err = NULL;
	if (argc < 3) {
		fprintf(stderr, "usage: bind-views ROOTFS ID [MOUNT]\n");
		return 2;
	}
	json_t *ann = json_pack("{s:s}", VIEWFS_ANNOTATION, "true");
	if (!viewfs_requested(ann)) {
		fprintf(stderr, "bind-views: annotation not recognised\n");
		return 1;
	}
	json_decref(ann);
	int root = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = root < 0 ? -1 : viewfs_bind_views(root, argv[2], argc > 3 ? argv[3] : NULL, &err);
	if (r < 0) {
		if (err)
			cell_error_print(err, "bind-views", stderr);
		else
			perror(argv[1]);
		return 1;
	}
	close(root);
	/* As the runtime's init does, already in its cgroup (ROOTFS / is the caller's root). */
	if (r == 1)
		viewfs_claim_loadavg();
	return 0;
}
