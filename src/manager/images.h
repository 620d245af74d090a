/* images.h - the image store: images/FP/rootfs, addressed by sha256 fingerprint, with aliases. */
#pragma once

#include <jansson.h>

#include "celld.h"
#include "error.h"

/* Import the built-in busybox image (d->builtin_image) under alias "busybox" unless present. */
int images_import_builtin(struct celld *d, struct cell_error **err);
/* Import a rootfs tarball (plain, or LXD-style with rootfs/ and metadata.yaml) or an OCI image
 * (an oci-layout archive). Returns the fingerprint (sha256 of the file). */
int images_import_file(struct celld *d, const char *path, char **ret_fp, struct cell_error **err);
/* Like images_import_file, with the image's properties given (NULL: the default ones). */
int images_import_file_props(struct celld *d, const char *path, json_t *props, char **ret_fp,
			     struct cell_error **err);
/* sha256 of a file, as 64 hex digits. */
int images_sha256_file(const char *path, char ret[65], struct cell_error **err);
