/* fuzz-serial.c - libFuzzer target: the 16550A as a hostile guest drives it (any register, size and
 * value, DLAB and loopback on and off) mixed with host input, checking the UART's invariants. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "devices/serial.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int line = -1; /* the level the device last gave the interrupt controller */

static void set_irq(void *opaque, int level)
{
	if (level == line) /* only changes may reach KVM */
		abort();
	line = level;
}

static void check(const struct serial *s)
{
	if (s->rx_len > SERIAL_RX_SIZE || s->rx_head >= SERIAL_RX_SIZE)
		abort();
	if ((line == 1) != s->irq_level && !(line == -1 && !s->irq_level))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int out = -1;
	struct serial s;

	if (out < 0)
		out = open("/dev/null", O_WRONLY | O_CLOEXEC);
	line = -1;
	serial_init(&s, out, set_irq, NULL);
	for (size_t i = 0; i + 1 < size;) {
		uint8_t op = data[i++];
		/* op: bits 0-2 register, bit 3 write, bits 4-5 access size 1/2/4/1, bit 6 host input */
		if (op & 0x40) {
			unsigned n = data[i] % 64;
			i++;
			n = n < size - i ? n : (unsigned)(size - i);
			serial_receive(&s, data + i, n);
			i += n;
		} else {
			static const uint32_t sizes[] = { 1, 2, 4, 1 };
			uint32_t len = sizes[(op >> 4) & 3];
			uint8_t buf[4] = { 0 };
			for (uint32_t k = 0; k < len && i < size; k++)
				buf[k] = data[i++];
			serial_io(&s, op & 7, buf, len, op & 8);
		}
		check(&s);
	}
	pthread_mutex_destroy(&s.lock);
	return 0;
}
