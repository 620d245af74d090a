/* procfs.h - writes to /proc through descriptors checked to be the procfs file meant. */
#pragma once

#include "error.h"

/*
 * Open rel (e.g. "sys/kernel/shmmni", "1/oom_score_adj") under a procfs root that nothing in the
 * container can have tampered with: a private procfs instance (fsopen) where the kernel allows
 * one, else the current root's /proc checked to be a procfs mount root. The walk follows no
 * symlink and crosses no mount (so an overmount of the file is refused, not written through),
 * and the result is checked to be on procfs and on the root's mount (the CVE-2025-52881 class).
 * Returns the fd or -errno.
 */
int procfs_open(const char *rel, int flags, struct cell_error **err);

/* Write value to rel (opened as above, O_WRONLY|O_TRUNC) in one write. what names it in errors. */
int procfs_write(const char *rel, const char *value, const char *what, struct cell_error **err);
