/* copyup.h - the tmpcopyup mount option (crun's and runc's extension that podman uses for
 * --read-only): a tmpfs starts with a copy of what the directory under it held. */
#pragma once

#include "error.h"

/* Copy the tree under src_dir (an fd of the directory as it was before the tmpfs went on top)
 * into dst_dir (the new tmpfs): files, directories, symlinks and special files with their owner,
 * mode and times. */
int copyup_tree(int src_dir, int dst_dir, struct cell_error **err);
