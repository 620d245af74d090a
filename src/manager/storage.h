/* storage.h - the dir pool: an instance is an overlayfs upper layer over its image's rootfs, shared
 * by every instance of that image (idmapped into the instance's id range, so it is never chowned);
 * snapshots and copies are copies of the upper layer (btrfs/reflink make them cheap). */
#pragma once

#include <stdbool.h>

#include "celld.h"
#include "error.h"

/* instances/NAME[/sub]; caller frees. */
char *storage_path(struct celld *d, const char *name, const char *sub);

int storage_instance_create(struct celld *d, const char *name, bool privileged,
			    struct cell_error **err);
/* Mount the instance's root at instances/NAME/rootfs (idempotent). */
int storage_instance_mount(struct celld *d, const char *name, const char *fingerprint,
			   bool privileged, struct cell_error **err);
int storage_instance_umount(struct celld *d, const char *name, struct cell_error **err);
/* Unmount and remove everything of the instance, snapshots included; missing is not an error. */
int storage_instance_delete(struct celld *d, const char *name, struct cell_error **err);
/* Move everything of the instance to the trash (one rename each), freeing its name at once; the
 * unmounts and removal are left to storage_trash_empty. Removes in place where it cannot move. */
int storage_instance_trash(struct celld *d, const char *name, struct cell_error **err);
/* Unmount and remove whatever is in the trash (leftovers of a crash included). */
int storage_trash_empty(struct celld *d, struct cell_error **err);
/* A new instance dst whose upper layer is a copy of src's (or of src's snapshot when snap). */
int storage_instance_copy(struct celld *d, const char *src, const char *snap, const char *dst,
			  struct cell_error **err);
int storage_snapshot_create(struct celld *d, const char *name, const char *snap,
			    struct cell_error **err);
int storage_snapshot_restore(struct celld *d, const char *name, const char *snap,
			     struct cell_error **err);
int storage_snapshot_delete(struct celld *d, const char *name, const char *snap,
			    struct cell_error **err);
bool storage_instance_exists(struct celld *d, const char *name);
/* limits.disk (NULL: none): a qgroup limit when the pool is on btrfs; elsewhere a value is refused
 * by name, as the dir pool cannot enforce it. */
int storage_instance_limit_disk(struct celld *d, const char *name, const char *value,
				struct cell_error **err);
