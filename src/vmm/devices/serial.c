/* serial.c - 16550A UART emulation: enough for Linux's 8250 driver (probe, THRE/RX interrupts). */
#include <string.h>
#include <unistd.h>

#include "devices/serial.h"

#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_FIFO 0xc0
#define UART_LCR_DLAB 0x80
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_MSR_DCD_DSR_CTS 0xb0

void serial_init(struct serial *s, int out_fd, void (*set_irq)(void *, int), void *opaque)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->set_irq = set_irq;
	s->irq_opaque = opaque;
	s->msr = UART_MSR_DCD_DSR_CTS;
	s->lcr = 0x03;
	s->dll = 0x0c; /* 9600 baud, the reset value */
}

static uint8_t serial_iir(const struct serial *s)
{
	uint8_t iir = UART_IIR_NO_INT;
	if ((s->ier & UART_IER_RDI) && s->rx_len)
		iir = UART_IIR_RDI;
	else if ((s->ier & UART_IER_THRI) && s->thr_ipending)
		iir = UART_IIR_THRI;
	if (s->fcr & UART_FCR_ENABLE)
		iir |= UART_IIR_FIFO;
	return iir;
}

/* Called with the lock held; only a change of level reaches KVM. */
static void serial_update_irq(struct serial *s)
{
	bool level = !(serial_iir(s) & UART_IIR_NO_INT);
	if (level != s->irq_level) {
		s->irq_level = level;
		if (s->set_irq)
			s->set_irq(s->irq_opaque, level);
	}
}

static void serial_push_rx(struct serial *s, uint8_t c)
{
	if (s->rx_len < SERIAL_RX_SIZE) {
		s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_SIZE] = c;
		s->rx_len++;
	}
}

static void serial_tx(struct serial *s, uint8_t c)
{
	if (s->mcr & UART_MCR_LOOP) {
		serial_push_rx(s, c);
	} else if (s->out_fd >= 0) {
		/* A console that cannot keep up loses output; the guest must never block on it. */
		ssize_t n = write(s->out_fd, &c, 1);
		(void)n;
	}
	s->thr_ipending = true;
}

static uint8_t serial_read(struct serial *s, unsigned reg)
{
	bool dlab = s->lcr & UART_LCR_DLAB;
	uint8_t v = 0;

	switch (reg) {
	case 0:
		if (dlab)
			return s->dll;
		if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
			s->rx_len--;
		}
		return v;
	case 1:
		return dlab ? s->dlm : s->ier;
	case 2:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THRE interrupt. */
		if ((v & 0x0f) == UART_IIR_THRI)
			s->thr_ipending = false;
		return v;
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		return UART_LSR_THRE | UART_LSR_TEMT | (s->rx_len ? UART_LSR_DR : 0);
	case 6:
		if (s->mcr & UART_MCR_LOOP) /* modem outputs looped back to inputs */
			return (uint8_t)(((s->mcr & 0x02) << 3) | ((s->mcr & 0x01) << 5) |
					 ((s->mcr & 0x0c) << 4));
		return s->msr;
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, unsigned reg, uint8_t v)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab)
			s->dll = v;
		else
			serial_tx(s, v);
		break;
	case 1:
		if (dlab) {
			s->dlm = v;
			break;
		}
		/* Enabling THRE interrupts with an empty THR raises one at once, as on a 16550. */
		if ((v & UART_IER_THRI) && !(s->ier & UART_IER_THRI))
			s->thr_ipending = true;
		s->ier = v & 0x0f;
		break;
	case 2:
		s->fcr = v & 0xc9;
		if (v & UART_FCR_CLEAR_RCVR)
			s->rx_len = s->rx_head = 0;
		break;
	case 3:
		s->lcr = v;
		break;
	case 4:
		s->mcr = v & 0x1f;
		break;
	case 7:
		s->scr = v;
		break;
	default:
		break;
	}
}

void serial_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct serial *s = opaque;

	pthread_mutex_lock(&s->lock);
	for (uint32_t i = 0; i < len && offset + i < 8; i++) {
		if (is_write)
			serial_write(s, (unsigned)(offset + i), data[i]);
		else
			data[i] = serial_read(s, (unsigned)(offset + i));
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

unsigned serial_receive(struct serial *s, const uint8_t *buf, unsigned len)
{
	unsigned n = 0;

	pthread_mutex_lock(&s->lock);
	while (n < len && s->rx_len < SERIAL_RX_SIZE)
		serial_push_rx(s, buf[n++]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return n;
}
