/* viewfs-start.h - celld's side of cellfs: start one when none serves the views. */
#pragma once

/* Where the views are: $CELL_VIEWFS_MOUNT, else the runtime's default (/run/cellfs). */
const char *celld_viewfs_mount(void);
/* Start `cellfs` (a path; NULL or missing: warn) detached on that mountpoint unless one is
 * mounted there; its log and pid go to STATE_DIR/cellfs.{log,pid}. */
void celld_viewfs_start(const char *cellfs, const char *state_dir);
