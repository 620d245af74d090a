/* namespaces.h - which namespaces a container creates and which it joins by path. */
#pragma once

#include <sys/types.h>

#include "error.h"
#include "spec.h"

/* Open every namespace the spec joins by path (fds[t] = -1 otherwise), checking that each path
 * is a namespace of the right kind. */
int ns_open_joined(const struct spec *s, int fds[NS__MAX], struct cell_error **err);
void ns_close_all(int fds[NS__MAX]);
/* CLONE_NEW* flags for the namespaces created at clone time. */
int ns_clone_flags(const struct spec *s);
/* In the child: join the namespaces opened by path, user first, mount last; create the ones that
 * must come after a joined user namespace; set up a new time namespace with its offsets. */
int ns_join_and_unshare(const struct spec *s, int fds[NS__MAX], struct cell_error **err);
/* Write uid_map and gid_map of pid from the parent. */
int userns_write_maps(const struct spec *s, pid_t pid, struct cell_error **err);
/* The host uid and gid the container's root maps to (0 and 0 without a user namespace or
 * without a mapping for it): the owner of what the init must open after it dropped to them. */
void userns_host_root(const struct spec *s, uid_t *uid, gid_t *gid);
