/* Framebuffer text console: draws the 8x16 font (font8x16.c) into a linear RGB framebuffer
 * (24 or 32 bits per pixel) left by the firmware, white on black, with scrolling. */
#include <stdint.h>

#include "abi/error.h"
#include "consdev.h"
#include "hal.h"
#include "kerninfo.h"
#include "kvm.h"

#define FB_TAB 8

/* The text grid is capped (2048x2048 pixels); a larger screen uses its top-left part. */
#define FB_MAX_COLS 256
#define FB_MAX_ROWS 128

static volatile uint8_t *fb_base;
static uint32_t fb_pitch, fb_bytespp;
static uint32_t fb_fg; /* every colour channel at full intensity: white */
static unsigned fb_cols, fb_rows, fb_col, fb_row;

/* What each cell shows.  Scrolling redraws only the cells whose character changes, so the
 * framebuffer is only written, never read (it may be uncached: reads are slow). */
static uint8_t fb_text[FB_MAX_ROWS][FB_MAX_COLS];

static void
fb_put_pixel(volatile uint8_t *p, uint32_t v)
{
	if (fb_bytespp == 4) {
		*(volatile uint32_t *)p = v;
	} else {
		p[0] = (uint8_t)v;
		p[1] = (uint8_t)(v >> 8);
		p[2] = (uint8_t)(v >> 16);
	}
}

static void
fb_draw_cell(unsigned row, unsigned col, uint8_t c)
{
	volatile uint8_t *line =
	    fb_base + (uint64_t)row * FONT_H * fb_pitch + (uint64_t)col * FONT_W * fb_bytespp;
	unsigned x, y;

	for (y = 0; y < FONT_H; y++, line += fb_pitch)
		for (x = 0; x < FONT_W; x++)
			fb_put_pixel(line + x * fb_bytespp,
			             (font8x16[c][y] & (0x80 >> x)) ? fb_fg : 0);
}

static void
fb_set_cell(unsigned row, unsigned col, uint8_t c)
{
	if (fb_text[row][col] != c) {
		fb_text[row][col] = c;
		fb_draw_cell(row, col, c);
	}
}

/* Full intensity in a channel of `size` bits at bit `pos` (multiboot2 spec 3.6.12). */
static uint32_t
fb_channel_max(uint8_t pos, uint8_t size)
{
	if (size == 0 || pos >= 32)
		return 0;
	return (uint32_t)(((1ULL << size) - 1) << pos);
}

/* The end of the physical memory the kernel can reach now: the boot page tables' first
 * 4 GiB, then the direct map kvm_init builds, which covers the framebuffer too. */
static uint64_t
fb_reach(void)
{
	return kvm_directmap_end() ? kvm_directmap_end() : KERN_BOOT_MAP_SIZE;
}

int
fbcons_init(const struct boot_fb *fb)
{
	uint64_t y, x;

	if (fb->type != BOOT_FB_RGB || (fb->bpp != 32 && fb->bpp != 24) || fb->width < FONT_W ||
	    fb->height < FONT_H || fb->pitch < fb->width * (fb->bpp / 8))
		return E_INVAL;
	if (fb->addr + (uint64_t)fb->pitch * fb->height > fb_reach())
		return E_RANGE;
	fb_base = hal_phys_to_virt(fb->addr);
	fb_pitch = fb->pitch;
	fb_bytespp = fb->bpp / 8;
	fb_fg = fb_channel_max(fb->red_pos, fb->red_size) |
	        fb_channel_max(fb->green_pos, fb->green_size) |
	        fb_channel_max(fb->blue_pos, fb->blue_size);
	fb_cols = fb->width / FONT_W < FB_MAX_COLS ? fb->width / FONT_W : FB_MAX_COLS;
	fb_rows = fb->height / FONT_H < FB_MAX_ROWS ? fb->height / FONT_H : FB_MAX_ROWS;
	for (y = 0; y < fb->height; y++)
		for (x = 0; x < fb->width; x++)
			fb_put_pixel(fb_base + y * fb_pitch + x * fb_bytespp, 0);
	for (y = 0; y < fb_rows; y++)
		for (x = 0; x < fb_cols; x++)
			fb_text[y][x] = ' '; /* the space glyph is blank, as the screen now is */
	fb_col = fb_row = 0;
	return 0;
}

static void
fb_scroll(void)
{
	unsigned r, c;

	for (r = 0; r + 1 < fb_rows; r++)
		for (c = 0; c < fb_cols; c++)
			fb_set_cell(r, c, fb_text[r + 1][c]);
	for (c = 0; c < fb_cols; c++)
		fb_set_cell(fb_rows - 1, c, ' ');
	fb_row--;
}

static void
fb_newline(void)
{
	fb_col = 0;
	if (++fb_row == fb_rows)
		fb_scroll();
}

void
fbcons_putc(int c)
{
	switch (c) {
	case '\n':
		fb_newline();
		break;
	case '\r':
		fb_col = 0;
		break;
	case '\b':
		if (fb_col > 0)
			fb_set_cell(fb_row, --fb_col, ' ');
		break;
	case '\t':
		do
			fbcons_putc(' ');
		while (fb_col % FB_TAB != 0);
		break;
	default:
		fb_set_cell(fb_row, fb_col, (uint8_t)c);
		if (++fb_col == fb_cols)
			fb_newline();
		break;
	}
}
