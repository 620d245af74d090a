/* serial.h - a 16550A UART on the guest's port I/O, output to a host fd, input from the loop. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define SERIAL_RX_SIZE 256

struct serial {
	pthread_mutex_t lock;
	int out_fd;
	uint8_t ier, lcr, mcr, lsr_extra, msr, scr, dll, dlm, fcr;
	bool thr_ipending;
	bool irq_level;
	uint8_t rx[SERIAL_RX_SIZE];
	unsigned rx_head, rx_len;
	/* Raise or lower the interrupt line. */
	void (*set_irq)(void *opaque, int level);
	void *irq_opaque;
};

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, int), void *opaque);
/* The iobus handler for the 8 registers at 0x3f8. */
void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);
/* Host input: queue bytes for the guest; returns how many fitted. */
unsigned serial_receive(struct serial *s, const uint8_t *buf, unsigned len);
