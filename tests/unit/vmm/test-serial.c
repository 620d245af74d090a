/* test-serial.c - the 16550A as Linux's 8250 driver probes and drives it: FIFO, THRE, RX, loopback. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/serial.h"

static int irq_level, irq_changes;

static void set_irq(void *opaque, int level)
{
	irq_level = level;
	irq_changes++;
}

static uint8_t rd(struct serial *s, unsigned reg)
{
	uint8_t v;
	serial_io(s, reg, &v, 1, false);
	return v;
}

static void wr(struct serial *s, unsigned reg, uint8_t v)
{
	serial_io(s, reg, &v, 1, true);
}

static void test_output_and_thre(void **state)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct serial s;
	serial_init(&s, p[1], set_irq, NULL);
	irq_level = irq_changes = 0;
	assert_int_equal(rd(&s, 5) & 0x60, 0x60); /* THRE | TEMT */
	assert_int_equal(rd(&s, 2) & 0x0f, 0x01); /* no interrupt pending */
	wr(&s, 1, 0x02);			  /* enable THRE interrupt */
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x02); /* THRE, and reading it acknowledges */
	assert_int_equal(irq_level, 0);
	wr(&s, 0, 'x');
	assert_int_equal(irq_level, 1);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	close(p[0]);
	close(p[1]);
}

static void test_fifo_and_divisor(void **state)
{
	struct serial s;
	serial_init(&s, -1, set_irq, NULL);
	wr(&s, 2, 0x07); /* FIFO on: IIR reports 16550A FIFOs */
	assert_int_equal(rd(&s, 2) & 0xc0, 0xc0);
	wr(&s, 3, 0x80); /* DLAB */
	wr(&s, 0, 0x01);
	wr(&s, 1, 0x00);
	assert_int_equal(rd(&s, 0), 0x01);
	wr(&s, 3, 0x03);
	wr(&s, 7, 0x5a);
	assert_int_equal(rd(&s, 7), 0x5a);
}

static void test_rx_and_loopback(void **state)
{
	struct serial s;
	serial_init(&s, -1, set_irq, NULL);
	irq_level = 0;
	wr(&s, 1, 0x01); /* RX interrupt */
	assert_int_equal(serial_receive(&s, (const uint8_t *)"hi", 2), 2);
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 5) & 1, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x04);
	assert_int_equal(rd(&s, 0), 'h');
	assert_int_equal(rd(&s, 0), 'i');
	assert_int_equal(irq_level, 0);
	assert_int_equal(rd(&s, 0), 0); /* empty: reads 0, no crash */
	/* Loopback, as the 8250 probe checks it: MCR 0x1a -> MSR 0x90. */
	wr(&s, 4, 0x1a);
	assert_int_equal(rd(&s, 6) & 0xf0, 0x90);
	wr(&s, 0, 'z');
	assert_int_equal(rd(&s, 0), 'z');
	/* A full receive buffer drops input instead of overflowing. */
	uint8_t big[SERIAL_RX_SIZE + 10];
	memset(big, 'a', sizeof(big));
	assert_int_equal(serial_receive(&s, big, sizeof(big)), SERIAL_RX_SIZE);
	/* Wide or odd accesses stay inside the 8 registers. */
	uint8_t wide[8];
	serial_io(&s, 6, wide, 8, false);
}

/*
 * The 8250 driver's transmit paths interleaved, as a verbose boot runs them: every new THRE must be
 * a fresh rising edge (KVM's IOAPIC pin is edge-triggered), and nothing but an IIR read that
 * reports THRE (or disabling THRI) may consume one.
 */
static void test_thre_edges_across_driver_paths(void **state)
{
	struct serial s;
	serial_init(&s, -1, set_irq, NULL);
	irq_level = irq_changes = 0;
	wr(&s, 2, 0x07);
	wr(&s, 1, 0x05); /* startup: RLSI | RDI */
	assert_int_equal(irq_level, 0);
	/* start_tx: THRI on with THR empty raises at once. */
	wr(&s, 1, 0x07);
	assert_int_equal(irq_level, 1);
	/* printk's console write before the handler ran: IER saved, cleared, bytes, restored. */
	uint8_t ier = rd(&s, 1);
	wr(&s, 1, 0);
	assert_int_equal(irq_level, 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(rd(&s, 5) & 0x20, 0x20);
		wr(&s, 0, 'c');
	}
	assert_int_equal(irq_level, 0); /* masked while IER is 0 */
	wr(&s, 1, ier);
	assert_int_equal(irq_level, 1); /* a new edge for the interrupt still owed */
	/* The handler: IIR says THRE and acknowledges it, the FIFO is refilled: a new edge. */
	for (int pass = 0; pass < 3; pass++) {
		int before = irq_changes;
		assert_int_equal(rd(&s, 2) & 0x0f, 0x02);
		assert_int_equal(irq_level, 0);
		for (int i = 0; i < 16; i++)
			wr(&s, 0, 't');
		assert_int_equal(irq_level, 1);
		assert_int_equal(irq_changes, before + 2);
	}
	/* Input arriving meanwhile takes priority in IIR but leaves THRE owed. */
	assert_int_equal(serial_receive(&s, (const uint8_t *)"r", 1), 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x04);
	assert_int_equal(rd(&s, 0), 'r');
	assert_int_equal(irq_level, 1);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x02);
	/* Buffer empty: stop_tx turns THRI off; the next start_tx raises again. */
	wr(&s, 1, 0x05);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x01);
	assert_int_equal(irq_level, 0);
	wr(&s, 1, 0x07);
	assert_int_equal(irq_level, 1);
	/* LSR and MSR reads never acknowledge THRE. */
	rd(&s, 5);
	rd(&s, 6);
	assert_int_equal(rd(&s, 2) & 0x0f, 0x02);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_thre),
		cmocka_unit_test(test_fifo_and_divisor),
		cmocka_unit_test(test_rx_and_loopback),
		cmocka_unit_test(test_thre_edges_across_driver_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
