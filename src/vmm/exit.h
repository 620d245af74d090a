/* exit.h - what a vCPU does with one KVM exit; a free function, testable without /dev/kvm. */
#pragma once

#include <linux/kvm.h>
#include <stddef.h>

#include "iobus.h"

enum exit_action {
	EXIT_CONTINUE,
	EXIT_STOP,
};

struct exit_ctx {
	const struct iobus *pio;
	const struct iobus *mmio;
	size_t run_size; /* bytes mapped at the kvm_run, to bound io.data_offset */
	/* Filled on EXIT_STOP: */
	int end; /* enum vm_end */
	char msg[160];
};

enum exit_action exit_handle(struct kvm_run *run, struct exit_ctx *ctx);
