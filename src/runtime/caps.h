/* caps.h - the five capability sets of process.capabilities, parsed and applied (libcap). */
#pragma once

#include <jansson.h>

#include "error.h"
#include "spec.h"

/* Parse process.capabilities; unknown names are skipped with a warning, as runc does. */
int caps_parse(json_t *caps, const char *where, struct spec_caps *ret, struct cell_error **err);
/* Drop every capability outside the bounding set (while still privileged). */
int caps_drop_bounding(const struct spec_caps *c, struct cell_error **err);
/* Set effective/permitted/inheritable, then raise the ambient ones (after setuid). */
int caps_apply(const struct spec_caps *c, struct cell_error **err);
