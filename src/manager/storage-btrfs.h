/* storage-btrfs.h - btrfs subvolumes, snapshots and qgroup limits for the pool (ioctls, no
 * btrfs-progs at run time). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

bool btrfs_is(const char *path);
bool btrfs_is_subvolume(const char *path);
int btrfs_subvolume_create(const char *path, struct cell_error **err);
/* dst (which must not exist) becomes a snapshot of the subvolume src. */
int btrfs_snapshot(const char *src, const char *dst, bool readonly, struct cell_error **err);
/* Delete a subvolume (a plain directory is removed recursively); missing is not an error. */
int btrfs_subvolume_delete(const char *path, struct cell_error **err);
/* Limit the subvolume's referenced bytes (0: no limit), enabling quotas when needed. */
int btrfs_limit(const char *subvol, uint64_t bytes, struct cell_error **err);
