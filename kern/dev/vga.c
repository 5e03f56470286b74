/* VGA text-mode console: a grid of 16-bit cells (character, attribute) in video memory,
 * reached through the direct map, with scrolling and the hardware cursor. */
#include <stdint.h>

#include "consdev.h"
#include "hal.h"
#include "x86.h"

#define VGA_ATTR 0x0700 /* light grey on black, in the high byte of a cell */
#define VGA_TAB  8

/* CRT controller index/data ports, the start address registers (the cell shown at the top
 * left) and the cursor location registers (IBM VGA reference, "CRT Controller Registers",
 * indices 0Ch/0Dh and 0Eh/0Fh; in text mode both count cells from the start of the 32 KiB
 * window at 0xB8000). */
#define CRTC_INDEX     0x3D4
#define CRTC_DATA      0x3D5
#define CRTC_START_HI  0x0C
#define CRTC_START_LO  0x0D
#define CRTC_CURSOR_HI 0x0E
#define CRTC_CURSOR_LO 0x0F

/* Cells of the text window at 0xB8000 (32 KiB): the screen scrolls by moving the start
 * address through it, and is copied back to the start only when it reaches the end. */
#define VGA_WINDOW_PA    0xB8000
#define VGA_WINDOW_CELLS (32768 / 2)

static volatile uint16_t *vga_cells; /* the window */
static volatile uint16_t *vga_top;   /* the first cell on screen: vga_cells + vga_origin */
static unsigned vga_cols, vga_rows;
static unsigned vga_window; /* cells the start address may move through */
static unsigned vga_origin; /* cell index of the screen's top left in the window */
static unsigned vga_pos;    /* cursor, as a cell index from vga_top */

static void
crtc_write16(uint8_t hi_index, unsigned v)
{
	outb(CRTC_INDEX, hi_index);
	outb(CRTC_DATA, (uint8_t)(v >> 8));
	outb(CRTC_INDEX, (uint8_t)(hi_index + 1));
	outb(CRTC_DATA, (uint8_t)v);
}

static void
vga_move_cursor(void)
{
	crtc_write16(CRTC_CURSOR_HI, vga_origin + vga_pos);
}

void
vga_init(uint64_t pa, unsigned cols, unsigned rows)
{
	unsigned i;

	if (cols == 0 || rows == 0) { /* a loader that left the size out: the BIOS mode 3 */
		cols = 80;
		rows = 25;
	}
	vga_cells = vga_top = hal_phys_to_virt(pa);
	vga_cols = cols;
	vga_rows = rows;
	/* A text buffer elsewhere (a loader's EGA text framebuffer) is copied on every line. */
	vga_window = pa == VGA_WINDOW_PA ? VGA_WINDOW_CELLS : cols * rows;
	for (i = 0; i < cols * rows; i++)
		vga_cells[i] = VGA_ATTR | ' ';
	vga_origin = vga_pos = 0;
	crtc_write16(CRTC_START_HI, 0);
	vga_move_cursor();
}

/* dst[0 .. n) = src[0 .. n) (cells, dst below src), then n2 blank cells after them. */
static void
vga_copy_blank(volatile uint16_t *dst, const volatile uint16_t *src, unsigned n, unsigned n2)
{
	unsigned i;

	if (n % 4 == 0 && n2 % 4 == 0 && (uintptr_t)dst % 8 == 0 && (uintptr_t)src % 8 == 0) {
		/* Four cells a move: a cell at a time, a full-screen copy cost ~20,000
		 * instructions, a third of an env's exit. */
		volatile uint64_t *d = (volatile uint64_t *)dst;
		const volatile uint64_t *s = (const volatile uint64_t *)src;
		uint64_t blank = 0x0001000100010001ull * (VGA_ATTR | ' ');

		for (i = 0; i < n / 4; i++)
			d[i] = s[i];
		for (; i < (n + n2) / 4; i++)
			d[i] = blank;
	} else {
		for (i = 0; i < n; i++)
			dst[i] = src[i];
		for (; i < n + n2; i++)
			dst[i] = VGA_ATTR | ' ';
	}
}

/* One line up.  While the window has room below the screen, the start address moves down a
 * line and only the new bottom line is blanked; at the window's end the screen minus its top
 * line is copied to the window's start (once every ~180 lines at 80x25).  A screen larger
 * than the window is copied every time. */
static void
vga_scroll(void)
{
	unsigned screen = vga_cols * vga_rows, last = screen - vga_cols;

	if (vga_origin + screen + vga_cols <= vga_window) {
		vga_origin += vga_cols;
		vga_top = vga_cells + vga_origin;
		vga_copy_blank(vga_top + last, vga_top + last, 0, vga_cols);
	} else {
		vga_copy_blank(vga_cells, vga_top + vga_cols, last, vga_cols);
		vga_origin = 0;
		vga_top = vga_cells;
	}
	crtc_write16(CRTC_START_HI, vga_origin);
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
			vga_top[--vga_pos] = VGA_ATTR | ' ';
		break;
	case '\t':
		do
			vga_top[vga_pos++] = VGA_ATTR | ' ';
		while (vga_pos % VGA_TAB != 0 && vga_pos % vga_cols != 0);
		break;
	default:
		vga_top[vga_pos++] = VGA_ATTR | (uint8_t)c;
		break;
	}
	if (vga_pos >= vga_cols * vga_rows)
		vga_scroll();
	vga_move_cursor();
}
