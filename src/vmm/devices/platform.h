/* platform.h - small fixed devices on port I/O: i8042 reset and the ACPI power registers. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Port 0x64 (opaque: struct vm): a write of 0xfe reboots. */
void i8042_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Ports 0x600..0x602 (opaque: struct vm): SLP_TYP=S5|SLP_EN powers off, 1 to reset reboots. */
void acpi_pm_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
