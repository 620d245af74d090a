/* sandbox.h - what the VMM gives up after setup: seccomp per thread kind, capabilities, namespaces. */
#pragma once

#include "error.h"

enum sandbox_kind {
	SANDBOX_VMM,  /* the loop thread: epoll loop, device back-ends */
	SANDBOX_VCPU, /* vCPU threads: KVM_RUN and device emulation */
};

/* Own mount, IPC and UTS namespaces; only while the process has a single thread. -errno if refused. */
int sandbox_unshare(void);
/*
 * no_new_privs, an empty bounding set and no capabilities, for the calling thread (capabilities
 * are per thread): call it on every thread that exists, or before creating the others.
 */
int sandbox_drop_privileges(struct cell_error **err);
/* Install the calling thread's seccomp allow-list (compiled at build time by sandbox-gen.c). */
int sandbox_apply(enum sandbox_kind kind, struct cell_error **err);
