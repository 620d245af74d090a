/* exeguard.h - keep a container from rewriting the runtime's binary (the CVE-2019-5736 class)
 * without copying or re-executing it per run. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "error.h"

/*
 * Confine execution to files beneath the current root with Landlock: the runtime's own binary,
 * which a container can only reach through /proc/PID/exe or /proc/self/exe, then cannot be
 * executed by any process of the container, so it never runs there as a container process whose
 * exe link could be reopened for writing. Returns 0 when applied, or when Landlock is not
 * available (logged once at debug level).
 */
int exeguard_confine_exec(struct cell_error **err);

/*
 * Whether the confinement is needed: Landlock also forbids mount(2), so a system container's init
 * (systemd mounts its API filesystems) cannot run under it. It is left out when the annotation
 * "cell.exeguard" is "false" (celld's security.privileged system containers), and when the
 * process's user namespace does not map host uid 0: the runtime's binary is then owned by an
 * unmapped id, and the kernel's own permission checks keep the container from writing it.
 */
bool exeguard_wanted(json_t *annotations);
