/* platform.c - the i8042 reset line and the ACPI sleep/reset registers: how the guest ends itself. */
#include <string.h>

#include "devices/platform.h"
#include "vm.h"

#define I8042_CMD_RESET 0xfe
#define ACPI_SLP_EN 0x20

void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	/* Status 0: output buffer empty, input buffer empty, so Linux's reset path proceeds. */
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (data[0] == I8042_CMD_RESET)
		vm_request_end(vm, VM_END_REBOOT, "guest rebooted (keyboard controller reset)");
}

void acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vm *vm = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	uint8_t v = data[0];
	if (offset == VM_ACPI_SLEEP_CTL - VM_ACPI_PM_PORT && (v & ACPI_SLP_EN) &&
	    ((v >> 2) & 7) == VM_ACPI_S5_TYPE)
		vm_request_end(vm, VM_END_POWEROFF, "guest powered off");
	else if (offset == VM_ACPI_RESET - VM_ACPI_PM_PORT && v == VM_ACPI_RESET_VALUE)
		vm_request_end(vm, VM_END_REBOOT, "guest rebooted");
}
