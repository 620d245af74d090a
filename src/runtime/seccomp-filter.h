/* seccomp-filter.h - linux.seccomp compiled with libseccomp before the container starts, loaded last. */
#pragma once

#include <jansson.h>
#include <sys/types.h>

#include "error.h"

/* Build a filter from linux.seccomp; *ret is an scmp_filter_ctx. */
int seccomp_filter_build(json_t *seccomp, void **ret, struct cell_error **err);
/* Load it; with SCMP_ACT_NOTIFY rules, *ret_listener (if given) gets the notification fd, else
 * -1. */
int seccomp_filter_load(void *filter, int *ret_listener, struct cell_error **err);
/* linux.seccomp's listenerPath and listenerMetadata (NULL when absent), checked: SCMP_ACT_NOTIFY
 * needs a listenerPath. */
int seccomp_filter_listener(json_t *seccomp, char **ret_path, char **ret_metadata,
			    struct cell_error **err);
/* Hand the listener fd to the agent at path (SCM_RIGHTS), with the container process state
 * document (runtime-spec: ociVersion, fds ["seccompFd"], pid, metadata, state) as the message. */
int seccomp_listener_send(const char *path, const char *metadata, json_t *state, pid_t pid, int fd,
			  struct cell_error **err);
void seccomp_filter_free(void *filter);
