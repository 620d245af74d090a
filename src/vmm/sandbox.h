/* sandbox.h - what the VMM gives up after setup: seccomp per thread kind, capabilities, namespaces. */
#pragma once

#include "error.h"

enum sandbox_kind {
	SANDBOX_VMM,  /* the main thread: epoll loop, device back-ends */
	SANDBOX_VCPU, /* vCPU threads: KVM_RUN and device emulation */
};

/* Drop all capabilities and set no_new_privs (process-wide; call once before threads start). */
int sandbox_drop_privileges(struct cell_error **err);
/*
 * Compile both allow-lists to BPF up front (libseccomp takes a millisecond or more per filter),
 * so that a vCPU thread only has to load its program before its first KVM_RUN.
 */
int sandbox_prepare(struct cell_error **err);
/* Install the calling thread's seccomp allow-list (compiled by sandbox_prepare()). */
int sandbox_apply(enum sandbox_kind kind, struct cell_error **err);
void sandbox_free(void);
