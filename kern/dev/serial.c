/* COM1, a 16550-compatible UART at I/O port 0x3F8: 115200 baud 8N1 with FIFOs, polled
 * output and input (the console must work before traps and with them off).  Once traps and
 * the I/O APIC are up, serial_irq_enable turns on the receive interrupt, which only tells
 * readers that input arrived (consirq.c): input is still read here, by polling. */
#include <stdbool.h>
#include <stdint.h>

#include "consdev.h"
#include "x86.h"

#define COM1 0x3F8

/* Register offsets and bits (NS16550D datasheet, "Registers"). */
#define UART_DATA 0 /* RBR (read) / THR (write); DLL when LCR.DLAB = 1 */
#define UART_IER  1 /* interrupt enable; DLM when LCR.DLAB = 1 */
#define UART_FCR  2 /* FIFO control (write) */
#define UART_LCR  3 /* line control */
#define UART_MCR  4 /* modem control */
#define UART_LSR  5 /* line status */
#define UART_SCR  7 /* scratch: no function, but reads back what was written */

#define LCR_8N1             0x03 /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB            0x80 /* divisor latch access */
#define FCR_ENABLE_CLEAR_14 0xC7 /* enable, clear RX and TX FIFOs, RX trigger at 14 bytes */
#define FCR_ENABLE_TRIG_1   0x01 /* enable, RX trigger at 1 byte (FIFOs kept) */
#define IER_RX_DATA         0x01 /* received data available (and the FIFO's timeout) */
#define MCR_DTR_RTS_OUT2    0x0B
#define LSR_DATA_READY      0x01
#define LSR_THR_EMPTY       0x20

/* The divisor latch divides the 1.8432 MHz clock / 16 = 115200 baud. */
#define UART_DIVISOR_115200 1

/* One character takes ~87 us at 115200 baud; an I/O port read takes ~1 us on hardware,
 * so this bound only trips when the UART is wedged, and then output is given up. */
#define THR_SPIN_LIMIT 100000

static bool serial_ok;

bool
serial_init(void)
{
	/* No UART on this port (the laptop): the bus floats and reads 0xFF, the scratch
	 * register does not hold a value. */
	outb(COM1 + UART_SCR, 0x5A);
	if (inb(COM1 + UART_SCR) != 0x5A || inb(COM1 + UART_LSR) == 0xFF)
		return false;
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_DATA, UART_DIVISOR_115200 & 0xFF);
	outb(COM1 + UART_IER, UART_DIVISOR_115200 >> 8);
	outb(COM1 + UART_LCR, LCR_8N1);
	outb(COM1 + UART_FCR, FCR_ENABLE_CLEAR_14);
	outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
	serial_ok = true;
	return true;
}

void
serial_putc(int c)
{
	unsigned spin;

	if (!serial_ok)
		return;
	for (spin = 0; !(inb(COM1 + UART_LSR) & LSR_THR_EMPTY); spin++) {
		if (spin == THR_SPIN_LIMIT) {
			serial_ok = false;
			return;
		}
		pause();
	}
	outb(COM1 + UART_DATA, (uint8_t)c);
}

/* The receive interrupt on, with the FIFO's trigger at one byte so that every character
 * interrupts at once (at 14 it would wait for the FIFO's four-character timeout).  OUT2,
 * which gates the UART's interrupt line on PCs, is already set by serial_init. */
bool
serial_irq_enable(void)
{
	if (!serial_ok)
		return false;
	outb(COM1 + UART_FCR, FCR_ENABLE_TRIG_1);
	outb(COM1 + UART_IER, IER_RX_DATA);
	return true;
}

int
serial_getc(void)
{
	if (!serial_ok || !(inb(COM1 + UART_LSR) & LSR_DATA_READY))
		return -1;
	return inb(COM1 + UART_DATA);
}
