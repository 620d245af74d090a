/* exit.c - the vCPU exit switch: port and MMIO accesses go to the buses, the rest ends the VM. */
#include <stdarg.h>
#include <stdio.h>

#include "exit.h"
#include "vm.h"

__attribute__((format(printf, 3, 4))) static enum exit_action
exit_stop(struct exit_ctx *ctx, int end, const char *fmt, ...)
{
	va_list ap;
	ctx->end = end;
	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return EXIT_STOP;
}

static enum exit_action exit_io(struct kvm_run *run, struct exit_ctx *ctx)
{
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;

	/* KVM fills these, but a bad offset would make us touch memory past the mapping. */
	if (run->io.size == 0 || run->io.size > 4 || run->io.data_offset > ctx->run_size ||
	    bytes > ctx->run_size - run->io.data_offset)
		return exit_stop(ctx, VM_END_ERROR, "bad port I/O exit: offset %llu, %llu bytes",
				 (unsigned long long)run->io.data_offset,
				 (unsigned long long)bytes);
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		iobus_access(ctx->pio, run->io.port, data, run->io.size,
			     run->io.direction == KVM_EXIT_IO_OUT);
	return EXIT_CONTINUE;
}

static enum exit_action exit_system_event(struct kvm_run *run, struct exit_ctx *ctx)
{
	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		return exit_stop(ctx, VM_END_POWEROFF, "guest powered off");
	case KVM_SYSTEM_EVENT_RESET:
		return exit_stop(ctx, VM_END_REBOOT, "guest rebooted");
	case KVM_SYSTEM_EVENT_CRASH:
		return exit_stop(ctx, VM_END_CRASH, "guest crashed (system event)");
	default:
		return exit_stop(ctx, VM_END_CRASH, "guest system event %llu",
				 (unsigned long long)run->system_event.type);
	}
}

enum exit_action exit_handle(struct kvm_run *run, struct exit_ctx *ctx)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return exit_io(run, ctx);
	case KVM_EXIT_MMIO:
		if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data))
			return exit_stop(ctx, VM_END_ERROR, "bad MMIO exit: %u bytes at 0x%llx",
					 (unsigned)run->mmio.len,
					 (unsigned long long)run->mmio.phys_addr);
		iobus_access(ctx->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			     run->mmio.is_write);
		return EXIT_CONTINUE;
	case KVM_EXIT_INTR:
		return EXIT_CONTINUE;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; a halted tiny guest has nothing left to do. */
		return exit_stop(ctx, VM_END_POWEROFF, "guest halted");
	case KVM_EXIT_SHUTDOWN:
		return exit_stop(ctx, VM_END_TRIPLE_FAULT, "guest triple fault (shutdown)");
	case KVM_EXIT_SYSTEM_EVENT:
		return exit_system_event(run, ctx);
	case KVM_EXIT_FAIL_ENTRY:
		return exit_stop(ctx, VM_END_CRASH, "KVM entry failed: hardware reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_INTERNAL_ERROR:
		return exit_stop(ctx, VM_END_CRASH, "KVM internal error (suberror %u)",
				 run->internal.suberror);
	default:
		return exit_stop(ctx, VM_END_CRASH, "unhandled KVM exit reason %u",
				 run->exit_reason);
	}
}
