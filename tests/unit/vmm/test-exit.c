/* test-exit.c - the vCPU exit switch on hand-made kvm_run structures, without /dev/kvm. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exit.h"
#include "vm.h"

static uint8_t last[8];
static int calls;

static void dev(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	calls++;
	if (is_write)
		memcpy(last, data, len);
	else
		memset(data, 0x42, len);
}

struct fixture {
	struct iobus pio, mmio;
	struct kvm_run *run;
	size_t size;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->size = 4096;
	f->run = calloc(1, f->size);
	iobus_register(&f->pio, 0x3f8, 8, dev, NULL, "serial", NULL);
	iobus_register(&f->mmio, 0xd0000000, 0x200, dev, NULL, "virtio", NULL);
	calls = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	iobus_free(&f->pio);
	iobus_free(&f->mmio);
	free(f->run);
	free(f);
	return 0;
}

static enum exit_action handle(struct fixture *f, struct exit_ctx *ctx)
{
	*ctx = (struct exit_ctx){ .pio = &f->pio, .mmio = &f->mmio, .run_size = f->size };
	return exit_handle(f->run, ctx);
}

static void test_pio_out_string(void **state)
{
	struct fixture *f = *state;
	struct exit_ctx ctx;
	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = KVM_EXIT_IO_OUT;
	f->run->io.port = 0x3f8;
	f->run->io.size = 1;
	f->run->io.count = 3; /* rep outsb */
	f->run->io.data_offset = 1024;
	memcpy((uint8_t *)f->run + 1024, "abc", 3);
	assert_int_equal(handle(f, &ctx), EXIT_CONTINUE);
	assert_int_equal(calls, 3);
	assert_int_equal(last[0], 'c');
}

static void test_pio_in_unclaimed(void **state)
{
	struct fixture *f = *state;
	struct exit_ctx ctx;
	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.direction = KVM_EXIT_IO_IN;
	f->run->io.port = 0xcf8;
	f->run->io.size = 4;
	f->run->io.count = 1;
	f->run->io.data_offset = 1024;
	assert_int_equal(handle(f, &ctx), EXIT_CONTINUE);
	assert_int_equal(calls, 0);
	assert_int_equal(((uint8_t *)f->run)[1024 + 3], 0xff);
}

static void test_pio_bad_offset(void **state)
{
	struct fixture *f = *state;
	struct exit_ctx ctx;
	f->run->exit_reason = KVM_EXIT_IO;
	f->run->io.size = 4;
	f->run->io.count = 2;
	f->run->io.data_offset = 4096 - 4; /* second element would be past the mapping */
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_ERROR);
	assert_int_equal(calls, 0);
}

static void test_mmio(void **state)
{
	struct fixture *f = *state;
	struct exit_ctx ctx;
	f->run->exit_reason = KVM_EXIT_MMIO;
	f->run->mmio.phys_addr = 0xd0000050;
	f->run->mmio.len = 4;
	f->run->mmio.is_write = 0;
	assert_int_equal(handle(f, &ctx), EXIT_CONTINUE);
	assert_int_equal(f->run->mmio.data[0], 0x42);
	f->run->mmio.len = 9;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
}

static void test_endings(void **state)
{
	struct fixture *f = *state;
	struct exit_ctx ctx;
	f->run->exit_reason = KVM_EXIT_SHUTDOWN;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_TRIPLE_FAULT);
	assert_non_null(strstr(ctx.msg, "triple fault"));
	f->run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	f->run->system_event.type = KVM_SYSTEM_EVENT_RESET;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_REBOOT);
	f->run->system_event.type = KVM_SYSTEM_EVENT_SHUTDOWN;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_POWEROFF);
	f->run->exit_reason = KVM_EXIT_FAIL_ENTRY;
	f->run->fail_entry.hardware_entry_failure_reason = 0x21;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_CRASH);
	assert_non_null(strstr(ctx.msg, "0x21"));
	f->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_CRASH);
	f->run->exit_reason = 9999;
	assert_int_equal(handle(f, &ctx), EXIT_STOP);
	assert_int_equal(ctx.end, VM_END_CRASH);
	f->run->exit_reason = KVM_EXIT_INTR;
	assert_int_equal(handle(f, &ctx), EXIT_CONTINUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pio_out_string, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pio_in_unclaimed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pio_bad_offset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endings, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
