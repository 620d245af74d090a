/* devices.h - the VM's devices, created in one explicit order from the configuration. */
#pragma once

#include "error.h"

struct vm;

/* Create and wire every device the config asks for (serial, i8042, ACPI PM, virtio...). */
int devices_create(struct vm *vm, struct cell_error **err);
/* Destroy them; vCPUs and the loop must be stopped first. */
void devices_destroy(struct vm *vm);
