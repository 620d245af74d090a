/* rlimits.h - process.rlimits applied to the container's process. */
#pragma once

#include "error.h"
#include "spec.h"

int rlimits_apply(const struct spec_process *p, struct cell_error **err);
