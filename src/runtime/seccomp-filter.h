/* seccomp-filter.h - linux.seccomp compiled with libseccomp before the container starts, loaded last. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct sock_filter;

/* Build a filter from linux.seccomp; *ret is an scmp_filter_ctx. With ret NULL, only check it
 * (everything but what libseccomp itself may refuse when the rules are added). */
int seccomp_filter_build(json_t *seccomp, void **ret, struct cell_error **err);
/* Whether any action of linux.seccomp is SCMP_ACT_NOTIFY (then a listenerPath is needed). */
bool seccomp_filter_notifies(json_t *seccomp);

/* The filter as a BPF program for seccomp(2), with the flags it is loaded with. */
struct seccomp_prog {
	struct sock_filter *insns; /* NULL: no filter */
	unsigned short len;
	unsigned flags;
};
/* The program of linux.seccomp (NULL: none, an empty program): from the cache under cache_root
 * (the runtime's --root) where the same profile left it, else built with libseccomp and kept. */
int seccomp_prog_compile(json_t *seccomp, const char *cache_root, struct seccomp_prog *ret,
			 struct cell_error **err);
void seccomp_prog_clear(struct seccomp_prog *p);
/* Load it into the calling thread; with SCMP_ACT_NOTIFY rules, *ret_listener gets the
 * notification fd, else -1. */
int seccomp_prog_load(const struct seccomp_prog *p, int *ret_listener, struct cell_error **err);
/* linux.seccomp's listenerPath and listenerMetadata (NULL when absent), checked: SCMP_ACT_NOTIFY
 * needs a listenerPath. */
int seccomp_filter_listener(json_t *seccomp, char **ret_path, char **ret_metadata,
			    struct cell_error **err);
/* Hand the listener fd to the agent at path (SCM_RIGHTS), with the container process state
 * document (runtime-spec: ociVersion, fds ["seccompFd"], pid, metadata, state) as the message. */
int seccomp_listener_send(const char *path, const char *metadata, json_t *state, pid_t pid, int fd,
			  struct cell_error **err);
void seccomp_filter_free(void *filter);
