/* The i8042 keyboard controller, polled: scan code set 1 (what the controller delivers
 * with translation on, the firmware default) turned into ASCII, with shift, caps lock and
 * control.  Keys without an ASCII meaning (function keys, left/right) are dropped; Up and
 * Down arrive as Ctrl-P and Ctrl-N.  Its IRQ 1 only tells readers that a byte arrived
 * (consirq.c); bytes are still read here. */
#include <stdbool.h>
#include <stdint.h>

#include "consdev.h"
#include "x86.h"

#define KBD_DATA        0x60
#define KBD_STATUS      0x64
#define STATUS_OUT_FULL 0x01   /* a byte is waiting in the output buffer */
#define STATUS_IN_FULL  0x02   /* the controller has not taken the last byte written yet */
#define STATUS_AUX      0x20   /* ... and it came from the mouse */
#define CMD_READ_CONFIG 0x20   /* the controller configuration byte to the output buffer */
#define CMD_WRITE_CFG   0x60   /* the next byte written to KBD_DATA is the configuration */
#define CONFIG_KBD_IRQ  0x01   /* IRQ 1 when the keyboard's byte fills the output buffer */
#define KBD_SPIN_LIMIT  100000 /* a controller this slow is given up on */

#define SC_BREAK    0x80 /* set on key release */
#define SC_EXTENDED 0xE0 /* prefix of the second bank of keys */
#define SC_LSHIFT   0x2A
#define SC_RSHIFT   0x36
#define SC_CTRL     0x1D /* left; right control is E0 1D */
#define SC_CAPS     0x3A
#define SC_KP_ENTER 0x1C /* after E0 */
#define SC_KP_SLASH 0x35 /* after E0 */
#define SC_UP       0x48 /* after E0 */
#define SC_DOWN     0x50 /* after E0 */

/* Set 1 make codes 0x00-0x53 (IBM PC AT Technical Reference, keyboard scan codes); the
 * rest of each table is zero, "no character". */
static const char kbd_plain[0x59] =
    "\0\x1b"
    "1234567890-=\b\tqwertyuiop[]\n\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 \0"
    "\0\0\0\0\0\0\0\0\0\0\0\0"
    "789-456+1230.";
static const char kbd_shifted[0x59] =
    "\0\x1b"
    "!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 \0"
    "\0\0\0\0\0\0\0\0\0\0\0\0"
    "789-456+1230.";

static bool kbd_present;
static bool kbd_shift_l, kbd_shift_r, kbd_ctrl, kbd_caps, kbd_ext;

void
kbd_init(void)
{
	unsigned i;

	/* No controller: the status port floats high. */
	if (inb(KBD_STATUS) == 0xFF)
		return;
	/* Drop whatever was typed before we looked (bounded: the buffer is one byte deep). */
	for (i = 0; i < 32 && (inb(KBD_STATUS) & STATUS_OUT_FULL); i++)
		(void)inb(KBD_DATA);
	kbd_present = true;
}

/* Updates the modifier state; true when `code` was a modifier key. */
static bool
kbd_modifier(uint8_t code, bool release)
{
	switch (code & ~SC_BREAK) {
	case SC_LSHIFT:
		kbd_shift_l = !release;
		return true;
	case SC_RSHIFT:
		kbd_shift_r = !release;
		return true;
	case SC_CTRL:
		kbd_ctrl = !release;
		return true;
	case SC_CAPS:
		if (!release)
			kbd_caps = !kbd_caps;
		return true;
	default:
		return false;
	}
}

/* ASCII for one scan code byte, or -1 when it does not complete a key press. */
static int
kbd_translate(uint8_t code)
{
	bool release = code & SC_BREAK, shift = kbd_shift_l || kbd_shift_r, ext = kbd_ext;
	uint8_t make = code & ~SC_BREAK;
	int c;

	kbd_ext = false;
	if (code == SC_EXTENDED) {
		kbd_ext = true;
		return -1;
	}
	if (kbd_modifier(code, release) || release)
		return -1;
	/* Of the second bank only the keypad's Enter and '/' are characters; Up and Down become
	 * Ctrl-P and Ctrl-N, which readline takes as history keys (kern/console.c). */
	if (ext)
		return make == SC_KP_ENTER   ? '\n'
		       : make == SC_KP_SLASH ? '/'
		       : make == SC_UP       ? 0x10
		       : make == SC_DOWN     ? 0x0e
		                             : -1;
	if (make >= sizeof(kbd_plain))
		return -1;
	c = (unsigned char)(shift ? kbd_shifted : kbd_plain)[make];
	if (c >= 'a' && c <= 'z' && kbd_caps)
		c -= 'a' - 'A';
	else if (c >= 'A' && c <= 'Z' && kbd_caps)
		c += 'a' - 'A';
	if (kbd_ctrl && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		c &= 0x1F;
	return c == 0 ? -1 : c;
}

/* Waits (bounded) until the controller can take a byte; false when it never does. */
static bool
kbd_can_write(void)
{
	for (unsigned spin = 0; spin < KBD_SPIN_LIMIT; spin++)
		if (!(inb(KBD_STATUS) & STATUS_IN_FULL))
			return true;
	return false;
}

/* Sets the configuration byte's keyboard-interrupt bit (the firmware usually has).  A key
 * pressed while the configuration byte is read is a byte this driver reads as
 * configuration: bounded, harmless, and the key is lost. */
bool
kbd_irq_enable(void)
{
	unsigned spin;
	uint8_t cfg;

	if (!kbd_present || !kbd_can_write())
		return false;
	outb(KBD_STATUS, CMD_READ_CONFIG);
	for (spin = 0; spin < KBD_SPIN_LIMIT && !(inb(KBD_STATUS) & STATUS_OUT_FULL); spin++)
		;
	if (spin == KBD_SPIN_LIMIT)
		return false;
	cfg = inb(KBD_DATA);
	if (cfg & CONFIG_KBD_IRQ)
		return true;
	if (!kbd_can_write())
		return false;
	outb(KBD_STATUS, CMD_WRITE_CFG);
	if (!kbd_can_write())
		return false;
	outb(KBD_DATA, cfg | CONFIG_KBD_IRQ);
	return true;
}

int
kbd_getc(void)
{
	uint8_t status;
	int c;

	if (!kbd_present)
		return -1;
	while ((status = inb(KBD_STATUS)) & STATUS_OUT_FULL) {
		uint8_t code = inb(KBD_DATA);

		if (status & STATUS_AUX)
			continue;
		if ((c = kbd_translate(code)) >= 0)
			return c;
	}
	return -1;
}
