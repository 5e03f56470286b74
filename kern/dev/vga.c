/* VGA text-mode console: a grid of 16-bit cells (character, attribute) in video memory,
 * reached through the direct map, with scrolling and the hardware cursor. */
#include <stdint.h>

#include "consdev.h"
#include "hal.h"
#include "x86.h"

#define VGA_ATTR 0x0700 /* light grey on black, in the high byte of a cell */
#define VGA_TAB  8

/* CRT controller index/data ports and the cursor location registers (IBM VGA reference,
 * "CRT Controller Registers", indices 0Eh and 0Fh). */
#define CRTC_INDEX     0x3D4
#define CRTC_DATA      0x3D5
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F

static volatile uint16_t *vga_cells;
static unsigned vga_cols, vga_rows;
static unsigned vga_pos; /* cursor, as a cell index */

static void
vga_move_cursor(void)
{
	outb(CRTC_INDEX, CRTC_CURSOR_HI);
	outb(CRTC_DATA, (uint8_t)(vga_pos >> 8));
	outb(CRTC_INDEX, CRTC_CURSOR_LO);
	outb(CRTC_DATA, (uint8_t)vga_pos);
}

void
vga_init(uint64_t pa, unsigned cols, unsigned rows)
{
	unsigned i;

	if (cols == 0 || rows == 0) { /* a loader that left the size out: the BIOS mode 3 */
		cols = 80;
		rows = 25;
	}
	vga_cells = hal_phys_to_virt(pa);
	vga_cols = cols;
	vga_rows = rows;
	for (i = 0; i < cols * rows; i++)
		vga_cells[i] = VGA_ATTR | ' ';
	vga_pos = 0;
	vga_move_cursor();
}

static void
vga_scroll(void)
{
	unsigned i, last = (vga_rows - 1) * vga_cols;

	if (vga_cols % 4 == 0 && (uintptr_t)vga_cells % 8 == 0) {
		/* Four cells a move (80 columns are 20 words): a cell at a time, the scroll of
		 * every printed line cost ~20,000 instructions, a third of an env's exit. */
		volatile uint64_t *w = (volatile uint64_t *)vga_cells;
		uint64_t blank = 0x0001000100010001ull * (VGA_ATTR | ' ');

		for (i = 0; i < last / 4; i++)
			w[i] = w[i + vga_cols / 4];
		for (; i < (last + vga_cols) / 4; i++)
			w[i] = blank;
	} else {
		for (i = 0; i < last; i++)
			vga_cells[i] = vga_cells[i + vga_cols];
		for (i = last; i < last + vga_cols; i++)
			vga_cells[i] = VGA_ATTR | ' ';
	}
	vga_pos -= vga_cols;
}

void
vga_putc(int c)
{
	switch (c) {
	case '\n':
		vga_pos += vga_cols - vga_pos % vga_cols;
		break;
	case '\r':
		vga_pos -= vga_pos % vga_cols;
		break;
	case '\b':
		if (vga_pos % vga_cols != 0)
			vga_cells[--vga_pos] = VGA_ATTR | ' ';
		break;
	case '\t':
		do
			vga_cells[vga_pos++] = VGA_ATTR | ' ';
		while (vga_pos % VGA_TAB != 0 && vga_pos % vga_cols != 0);
		break;
	default:
		vga_cells[vga_pos++] = VGA_ATTR | (uint8_t)c;
		break;
	}
	if (vga_pos >= vga_cols * vga_rows)
		vga_scroll();
	vga_move_cursor();
}
