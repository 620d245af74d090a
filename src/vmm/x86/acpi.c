/* acpi.c - RSDP, XSDT, hardware-reduced FADT, MADT and a hand-assembled DSDT describing the VM. */
#include <errno.h>
#include <string.h>

#include "vm.h"
#include "x86/x86.h"

#define ACPI_OEM_ID "CELLVM"
#define ACPI_OEM_TABLE "CELLVMTB"
#define ACPI_CREATOR 0x4c4c4543 /* "CELL" */

#define FADT_SIZE 276
#define FADT_F_RESET_REG_SUP (1U << 10)
#define FADT_F_HW_REDUCED (1U << 20)
#define FADT_BOOT_NO_VGA (1U << 2)
#define FADT_BOOT_NO_CMOS_RTC (1U << 5)

struct acpi_buf {
	uint8_t *p;
	size_t size;
	size_t len;
	bool overflow;
};

uint8_t acpi_checksum(const void *p, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)p)[i];
	return (uint8_t)(0 - sum);
}

static void put(struct acpi_buf *b, const void *data, size_t len)
{
	if (b->len + len > b->size) {
		b->overflow = true;
		return;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put8(struct acpi_buf *b, uint8_t v)
{
	put(b, &v, 1);
}

static void put16(struct acpi_buf *b, uint16_t v)
{
	put(b, &v, 2);
}

static void put32(struct acpi_buf *b, uint32_t v)
{
	put(b, &v, 4);
}

static void put64(struct acpi_buf *b, uint64_t v)
{
	put(b, &v, 8);
}

static void set32(struct acpi_buf *b, size_t at, uint32_t v)
{
	if (!b->overflow)
		memcpy(b->p + at, &v, 4);
}

/* Standard 36-byte header; length and checksum are patched by table_end(). */
static size_t table_begin(struct acpi_buf *b, const char *sig, uint8_t rev)
{
	size_t at = b->len;
	put(b, sig, 4);
	put32(b, 0);
	put8(b, rev);
	put8(b, 0);
	put(b, ACPI_OEM_ID, 6);
	put(b, ACPI_OEM_TABLE, 8);
	put32(b, 1);
	put32(b, ACPI_CREATOR);
	put32(b, 1);
	return at;
}

static void table_end(struct acpi_buf *b, size_t at)
{
	if (b->overflow)
		return;
	set32(b, at + 4, (uint32_t)(b->len - at));
	b->p[at + 9] = 0;
	b->p[at + 9] = acpi_checksum(b->p + at, b->len - at);
}

static void align(struct acpi_buf *b, size_t a)
{
	while (b->len % a && !b->overflow)
		put8(b, 0);
}

/* Generic Address Structure: a byte register in port I/O space. */
static void put_gas_io8(struct acpi_buf *b, uint16_t port)
{
	put8(b, 1); /* SystemIO */
	put8(b, 8);
	put8(b, 0);
	put8(b, 1); /* byte access */
	put64(b, port);
}

static void put_fadt(struct acpi_buf *b, uint64_t dsdt)
{
	size_t at = table_begin(b, "FACP", 6);
	uint8_t body[FADT_SIZE - 36] = { 0 };
	struct acpi_buf f = { body, sizeof(body), 0, false };
	/* Offsets below are from the start of the table, minus the 36-byte header. */
	f.len = 109 - 36;
	put16(&f, FADT_BOOT_NO_VGA | FADT_BOOT_NO_CMOS_RTC); /* IAPC_BOOT_ARCH; no 8042 bit */
	put8(&f, 0);
	put32(&f, FADT_F_HW_REDUCED | FADT_F_RESET_REG_SUP);
	put_gas_io8(&f, VM_ACPI_RESET); /* RESET_REG at 116 */
	put8(&f, VM_ACPI_RESET_VALUE);
	put16(&f, 0); /* ARM boot arch */
	put8(&f, 0);  /* FADT minor version */
	put64(&f, 0); /* X_FIRMWARE_CTRL */
	put64(&f, dsdt);
	f.len = 244 - 36;
	put_gas_io8(&f, VM_ACPI_SLEEP_CTL);
	put_gas_io8(&f, VM_ACPI_SLEEP_STS);
	put(&f, "CELLVM\0\0", 8); /* hypervisor vendor identity */
	put(b, body, sizeof(body));
	table_end(b, at);
}

static void put_madt(struct acpi_buf *b, unsigned ncpus)
{
	size_t at = table_begin(b, "APIC", 4);
	put32(b, (uint32_t)VM_LAPIC_ADDR);
	put32(b, 0); /* no dual 8259 setup to disable: the guest gets no legacy PIC */
	for (unsigned i = 0; i < ncpus; i++) {
		put8(b, 0); /* Processor Local APIC */
		put8(b, 8);
		put8(b, (uint8_t)i); /* processor UID */
		put8(b, (uint8_t)i); /* APIC ID */
		put32(b, 1);	     /* enabled */
	}
	put8(b, 1); /* I/O APIC */
	put8(b, 12);
	put8(b, (uint8_t)ncpus); /* its ID follows the CPUs' */
	put8(b, 0);
	put32(b, (uint32_t)VM_IOAPIC_ADDR);
	put32(b, 0); /* GSI base */
	table_end(b, at);
}

/* --- AML --- */

/* PkgLength counts itself; 1 byte up to 63, else a lead byte with the count and 4 low bits. */
static void aml_pkg_wrap(struct acpi_buf *b, size_t start)
{
	if (b->overflow)
		return;
	size_t body = b->len - start;
	size_t n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;
	size_t total = body + n;
	uint8_t hdr[4];
	if (n == 1) {
		hdr[0] = (uint8_t)total;
	} else {
		hdr[0] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			hdr[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	if (b->len + n > b->size) {
		b->overflow = true;
		return;
	}
	memmove(b->p + start + n, b->p + start, body);
	memcpy(b->p + start, hdr, n);
	b->len += n;
}

static void aml_int(struct acpi_buf *b, uint64_t v)
{
	if (v == 0) {
		put8(b, 0x00);
	} else if (v == 1) {
		put8(b, 0x01);
	} else if (v <= 0xff) {
		put8(b, 0x0a);
		put8(b, (uint8_t)v);
	} else if (v <= 0xffff) {
		put8(b, 0x0b);
		put16(b, (uint16_t)v);
	} else if (v <= 0xffffffff) {
		put8(b, 0x0c);
		put32(b, (uint32_t)v);
	} else {
		put8(b, 0x0e);
		put64(b, v);
	}
}

static void aml_name(struct acpi_buf *b, const char *seg)
{
	put8(b, 0x08); /* NameOp */
	put(b, seg, 4);
}

static void aml_string(struct acpi_buf *b, const char *s)
{
	put8(b, 0x0d);
	put(b, s, strlen(s) + 1);
}

/* EisaId("PNP0501"): three 5-bit letters and four hex digits, big-endian. */
static void aml_eisaid(struct acpi_buf *b, const char *id)
{
	uint16_t vendor = (uint16_t)(((id[0] - 0x40) & 0x1f) << 10 | ((id[1] - 0x40) & 0x1f) << 5 |
				     ((id[2] - 0x40) & 0x1f));
	unsigned product = 0;
	for (int i = 3; i < 7; i++)
		product = product * 16 + (id[i] <= '9' ? id[i] - '0' : (id[i] | 0x20) - 'a' + 10);
	uint8_t bytes[4] = { vendor >> 8, vendor & 0xff, product >> 8, product & 0xff };
	put8(b, 0x0c);
	put(b, bytes, 4);
}

/* Name(_CRS, ResourceTemplate() { ... }) around the descriptors put between begin and end. */
static size_t aml_crs_begin(struct acpi_buf *b)
{
	aml_name(b, "_CRS");
	put8(b, 0x11); /* BufferOp */
	return b->len;
}

static void aml_crs_end(struct acpi_buf *b, size_t pkg, size_t data)
{
	put8(b, 0x79); /* end tag */
	put8(b, 0);
	if (b->overflow)
		return;
	/* Insert the buffer size (an integer) before the descriptors, then the PkgLength. */
	uint8_t tmp[512];
	size_t n = b->len - data;
	if (n > sizeof(tmp)) {
		b->overflow = true;
		return;
	}
	memcpy(tmp, b->p + data, n);
	b->len = data;
	aml_int(b, n);
	put(b, tmp, n);
	aml_pkg_wrap(b, pkg);
}

static void aml_device_begin(struct acpi_buf *b, const char *name, size_t *pkg)
{
	put8(b, 0x5b); /* ExtOpPrefix */
	put8(b, 0x82); /* DeviceOp */
	*pkg = b->len;
	put(b, name, 4);
}

static void aml_serial(struct acpi_buf *b)
{
	size_t dev, crs;
	aml_device_begin(b, "COM1", &dev);
	aml_name(b, "_HID");
	aml_eisaid(b, "PNP0501");
	aml_name(b, "_UID");
	aml_int(b, 0);
	crs = aml_crs_begin(b);
	size_t data = b->len;
	/* IO(Decode16, 0x3f8, 0x3f8, 1, 8) */
	uint8_t io[] = { 0x47,
			 1,
			 VM_SERIAL_PORT & 0xff,
			 VM_SERIAL_PORT >> 8,
			 VM_SERIAL_PORT & 0xff,
			 VM_SERIAL_PORT >> 8,
			 1,
			 8 };
	put(b, io, sizeof(io));
	/* IRQNoFlags() { 4 } */
	put8(b, 0x22);
	put16(b, 1 << VM_SERIAL_IRQ);
	aml_crs_end(b, crs, data);
	aml_pkg_wrap(b, dev);
}

static void aml_mmio_device(struct acpi_buf *b, unsigned index, const struct vm_acpi_dev *d)
{
	char name[5] = { 'V', 'R', "0123456789ABCDEF"[(index >> 4) & 0xf],
			 "0123456789ABCDEF"[index & 0xf], 0 };
	size_t dev, crs;
	aml_device_begin(b, name, &dev);
	aml_name(b, "_HID");
	aml_string(b, d->hid);
	aml_name(b, "_UID");
	aml_int(b, index);
	crs = aml_crs_begin(b);
	size_t data = b->len;
	/* Memory32Fixed(ReadWrite, base, len) */
	put8(b, 0x86);
	put16(b, 9);
	put8(b, 1);
	put32(b, (uint32_t)d->mmio_base);
	put32(b, (uint32_t)d->mmio_len);
	/* Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) { irq } */
	put8(b, 0x89);
	put16(b, 6);
	put8(b, 0x03);
	put8(b, 1);
	put32(b, d->irq);
	aml_crs_end(b, crs, data);
	aml_pkg_wrap(b, dev);
}

static void put_dsdt(struct acpi_buf *b, const struct vm_acpi_dev *devs, unsigned ndevs)
{
	size_t at = table_begin(b, "DSDT", 2);
	/* Scope(\_SB) { COM1, VRxx... } */
	put8(b, 0x10);
	size_t scope = b->len;
	put(b, "\\_SB_", 5);
	aml_serial(b);
	for (unsigned i = 0; i < ndevs; i++)
		aml_mmio_device(b, i, &devs[i]);
	aml_pkg_wrap(b, scope);
	/* Name(_S5, Package() { 5, 0 }): the SLP_TYP the guest writes to power off. */
	aml_name(b, "_S5_");
	put8(b, 0x12);
	size_t pkg = b->len;
	put8(b, 2);
	aml_int(b, VM_ACPI_S5_TYPE);
	aml_int(b, 0);
	aml_pkg_wrap(b, pkg);
	table_end(b, at);
}

long acpi_build_tables(uint8_t *buf, size_t size, uint64_t base, unsigned ncpus,
		       const struct vm_acpi_dev *devs, unsigned ndevs)
{
	/* buf must be zeroed (fresh guest RAM is): the gaps between tables stay untouched. */
	struct acpi_buf b = { buf, size, 0, false };
	/* Layout: RSDP, XSDT (two entries), DSDT, FADT, MADT. */
	const size_t xsdt_at = 64, dsdt_at = 128;
	b.len = xsdt_at;
	size_t x = table_begin(&b, "XSDT", 1);
	size_t xsdt_entries = b.len;
	put64(&b, 0);
	put64(&b, 0);
	table_end(&b, x);
	b.len = dsdt_at;
	put_dsdt(&b, devs, ndevs);
	align(&b, 16);
	size_t fadt_at = b.len;
	put_fadt(&b, base + dsdt_at);
	align(&b, 16);
	size_t madt_at = b.len;
	put_madt(&b, ncpus);
	if (b.overflow)
		return -ENOSPC;
	uint64_t fadt = base + fadt_at, madt = base + madt_at;
	memcpy(buf + xsdt_entries, &fadt, 8);
	memcpy(buf + xsdt_entries + 8, &madt, 8);
	buf[x + 9] = 0;
	buf[x + 9] = acpi_checksum(buf + x, 36 + 16);

	/* RSDP (ACPI 2.0+): checksum over the first 20 bytes, extended checksum over all 36. */
	uint8_t *r = buf;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	r[15] = 2;
	uint32_t len = 36;
	memcpy(r + 20, &len, 4);
	uint64_t xsdt = base + xsdt_at;
	memcpy(r + 24, &xsdt, 8);
	r[8] = acpi_checksum(r, 20);
	r[32] = acpi_checksum(r, 36);
	return (long)b.len;
}

int acpi_build(struct vm *vm, struct cell_error **err)
{
	size_t size = VM_ACPI_END - VM_ACPI_ADDR;
	uint8_t *buf = vm_gpa_to_hva(vm, VM_ACPI_ADDR, size);
	if (!buf)
		return cell_error_set(err, ENOMEM, "ACPI tables: guest memory too small");
	long n = acpi_build_tables(buf, size, VM_ACPI_ADDR, vm->ncpus ? vm->ncpus : vm->cfg->cpus,
				   vm->acpi_devs, vm->nacpi_devs);
	if (n < 0)
		return cell_error_set(err, ENOSPC, "ACPI tables do not fit below 1 MiB");
	return 0;
}
