/* devices.h - the default devices, linux.devices and the /dev symlinks inside the rootfs. */
#pragma once

#include <stdbool.h>

#include "error.h"
#include "spec.h"

/* Create (mknod, or bind from the host in a user namespace) the devices in the rootfs. */
int devices_create(int root_fd, const struct spec *s, bool userns, struct cell_error **err);
/* /dev/fd, /dev/std{in,out,err} and /dev/ptmx, as runc makes them. */
int devices_symlinks(int root_fd, struct cell_error **err);
