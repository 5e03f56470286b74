/* The console device drivers behind kern/console.c: COM1 serial, VGA text, the framebuffer
 * text console and the i8042 keyboard.  Private to kern/console.c and kern/dev/. */
#ifndef EXOLAB_CONSDEV_H
#define EXOLAB_CONSDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "bootinfo.h"

/* COM1 (serial.c).  serial_init returns false when no UART answers (e.g. the laptop). */
bool serial_init(void);
void serial_putc(int c);
int serial_getc(void);        /* -1 when the receive buffer is empty */
bool serial_irq_enable(void); /* receive interrupt on (consirq.c); false without a UART */

/* VGA text mode (vga.c): `pa` is the physical address of the character cells. */
void vga_init(uint64_t pa, unsigned cols, unsigned rows);
void vga_putc(int c);

/* Framebuffer text console (fbcons.c): 0, E_INVAL for a format it cannot draw, or
 * E_RANGE when the framebuffer is beyond the memory mapped now (the boot page tables' 4 GiB
 * before kvm_init, the direct map after). */
int fbcons_init(const struct boot_fb *fb);
void fbcons_putc(int c);

/* The 8x16 glyphs drawn by fbcons.c (font8x16.c): row 0 is the top, bit 7 the left pixel. */
#define FONT_W 8
#define FONT_H 16
extern const uint8_t font8x16[256][FONT_H];

/* i8042 PS/2 keyboard (i8042.c), polled. */
void kbd_init(void);
int kbd_getc(void);        /* -1 when no complete key press is waiting */
bool kbd_irq_enable(void); /* IRQ 1 on (consirq.c); false without a controller */

#endif
