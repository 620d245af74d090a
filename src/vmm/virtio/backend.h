/* backend.h - host backends of the virtio devices: image files and tap devices. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* Open a raw disk image (regular file or block device) for a virtio-blk device, locked against
 * a second writer; *ret_size is its size in bytes. */
int blk_file_open(const char *path, bool ro, int *ret_fd, uint64_t *ret_size,
		  struct cell_error **err);

/* Attach to tap NAME (created if absent, gone again when the fd closes unless it was made
 * persistent by someone else): non-blocking, no packet info, 12-byte virtio_net_hdr_v1 in front
 * of each frame, every offload off. */
int net_tap_open(const char *name, int *ret_fd, struct cell_error **err);
