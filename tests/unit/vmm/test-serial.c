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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_and_thre),
		cmocka_unit_test(test_fifo_and_divisor),
		cmocka_unit_test(test_rx_and_loopback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
