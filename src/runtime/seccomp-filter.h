/* seccomp-filter.h - linux.seccomp compiled with libseccomp before the container starts, loaded last. */
#pragma once

#include <jansson.h>

#include "error.h"

/* Build a filter from linux.seccomp; *ret is an scmp_filter_ctx. */
int seccomp_filter_build(json_t *seccomp, void **ret, struct cell_error **err);
int seccomp_filter_load(void *filter, struct cell_error **err);
void seccomp_filter_free(void *filter);
