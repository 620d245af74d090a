/* sandbox.h - what the VMM gives up after setup: seccomp per thread kind, capabilities, namespaces. */
#pragma once

#include "error.h"

enum sandbox_kind {
	SANDBOX_VMM,  /* the main thread: epoll loop, device back-ends */
	SANDBOX_VCPU, /* vCPU threads: KVM_RUN and device emulation */
};

/* Drop all capabilities and set no_new_privs (process-wide; call once before threads start). */
int sandbox_drop_privileges(struct cell_error **err);
/* Install the calling thread's seccomp allow-list. */
int sandbox_apply(enum sandbox_kind kind, struct cell_error **err);
