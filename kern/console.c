/* The kernel console: fans output out to every active console device (kern/dev/), merges
 * serial and keyboard input, and provides printf and readline. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/error.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "console.h"
#include "dev/consdev.h"
#include "hal.h"
#include "panic.h"
#include "printfmt.h"
#include "xstring.h"

enum {
	CONS_SERIAL = 1,
	CONS_VGA = 2,
	CONS_FB = 4,
};

static unsigned cons_found;        /* devices initialised */
static unsigned cons_wanted = ~0u; /* the console= option; every device by default */

/* A framebuffer beyond the boot page tables' 4 GiB waits for the direct map (cons_init_late).
 * Until then every character is also kept here, the last CONS_EARLY_MAX of them, and replayed
 * on the framebuffer when it starts: a machine without a serial port still shows its boot. */
#define CONS_EARLY_MAX 4096
static const struct boot_fb *cons_fb_waiting;
static bool cons_early_done;
static char cons_early[CONS_EARLY_MAX];
static uint64_t cons_early_len; /* characters seen; the ring holds the last CONS_EARLY_MAX */

static bool
cons_active(unsigned dev)
{
	return (cons_found & cons_wanted & dev) != 0;
}

void
cons_init_early(void)
{
	if (serial_init())
		cons_found |= CONS_SERIAL;
}

/* Parses console=serial,vga,fb into a mask; unknown names are reported and skipped. */
static unsigned
cons_parse_option(const char *opt)
{
	static const struct {
		const char *name;
		unsigned dev;
	} names[] = { { "serial", CONS_SERIAL }, { "vga", CONS_VGA }, { "fb", CONS_FB } };
	unsigned mask = 0;
	size_t i, len;

	while (*opt != '\0') {
		for (len = 0; opt[len] != '\0' && opt[len] != ','; len++)
			;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && strncmp(opt, names[i].name, len) == 0)
				break;
		if (i < sizeof(names) / sizeof(names[0]))
			mask |= names[i].dev;
		else if (len > 0)
			printf("console: unknown console '%.*s'\n", (int)len, opt);
		opt += len;
		if (*opt == ',')
			opt++;
	}
	return mask;
}

/* VGA text memory at 0xB8000 is only worth writing when the firmware left VGA in text mode:
 * GRUB says so (EGA text), or says nothing and the address is not ordinary RAM (under UEFI
 * without a framebuffer it may be). */
static bool
cons_vga_plausible(const struct bootinfo *bi)
{
	const uint64_t vga = 0xB8000;
	unsigned i;

	if (bi->fb.type == BOOT_FB_EGA_TEXT)
		return true;
	if (bi->fb.type != BOOT_FB_NONE)
		return false;
	for (i = 0; i < bi->nmem; i++)
		if (bi->mem[i].type == BOOT_MEM_AVAILABLE && vga >= bi->mem[i].base &&
		    vga - bi->mem[i].base < bi->mem[i].len)
			return false;
	return true;
}

static void
cons_fb_report(const struct boot_fb *fb, int err)
{
	const char *why =
	    err == E_RANGE ? " not used (beyond the direct map)" : " not used (unsupported format)";

	printf("console: framebuffer %ux%ux%u at 0x%lx%s\n", fb->width, fb->height, fb->bpp,
	       fb->addr, err == 0 ? "" : why);
}

/* The framebuffer first shows what the other consoles have printed since boot (the lines
 * before the oldest one kept are dropped, and so is the partial line they leave). */
static void
cons_early_replay(void)
{
	uint64_t i = 0;

	if (cons_early_len > CONS_EARLY_MAX) {
		i = cons_early_len - CONS_EARLY_MAX;
		while (i < cons_early_len && cons_early[i++ % CONS_EARLY_MAX] != '\n')
			;
	}
	for (; i < cons_early_len; i++)
		fbcons_putc(cons_early[i % CONS_EARLY_MAX]);
}

void
cons_init_late(void)
{
	const struct boot_fb *fb = cons_fb_waiting;
	int err;

	cons_early_done = true;
	if (fb == NULL)
		return;
	cons_fb_waiting = NULL;
	err = fbcons_init(fb);
	if (err == 0) {
		cons_early_replay();
		cons_found |= CONS_FB;
	}
	cons_fb_report(fb, err);
}

static void
cons_init_display(const struct bootinfo *bi)
{
	const struct boot_fb *fb = &bi->fb;
	int err;

	if (cons_vga_plausible(bi)) {
		if (fb->type == BOOT_FB_EGA_TEXT)
			vga_init(fb->addr, fb->width, fb->height);
		else
			vga_init(0xB8000, 80, 25);
		cons_found |= CONS_VGA;
		printf("console: vga text %ux%u at 0x%lx\n",
		       fb->type == BOOT_FB_EGA_TEXT ? fb->width : 80,
		       fb->type == BOOT_FB_EGA_TEXT ? fb->height : 25,
		       fb->type == BOOT_FB_EGA_TEXT ? fb->addr : 0xB8000UL);
	} else if (fb->type == BOOT_FB_RGB) {
		err = fbcons_init(fb);
		if (err == E_RANGE) {
			cons_fb_waiting = fb;
			printf("console: the framebuffer at 0x%lx is above 4 GiB: it starts once "
			       "the direct map covers it\n",
			       fb->addr);
			return;
		}
		if (err == 0)
			cons_found |= CONS_FB;
		cons_fb_report(fb, err);
	} else if (fb->type == BOOT_FB_INDEXED) {
		printf("console: indexed-colour framebuffer not supported\n");
	}
}

void
cons_init(const struct bootinfo *bi)
{
	const char *opt = cmdline_get("console");
	unsigned wanted;

	if (cons_found & CONS_SERIAL)
		printf("console: serial COM1 115200 8N1\n");
	cons_init_display(bi);
	cons_early_done = cons_fb_waiting == NULL;
	kbd_init();
	if (opt == NULL)
		return;
	wanted = cons_parse_option(opt);
	if ((wanted & (cons_found | (cons_fb_waiting ? CONS_FB : 0))) == 0) {
		printf("console: none of '%s' is present; keeping every console\n", opt);
		return;
	}
	printf("console: using '%s'\n", opt);
	cons_wanted = wanted;
}

/* The console lock: one CPU writes at a time, a whole printf (or a caller's cons_lock
 * bracket, such as a trace line built from several printfs) at once, so lines from two CPUs
 * never interleave mid-line.  It nests on its holder; a panic bypasses it (the CPU holding
 * it may have been stopped), which is why the dump prints only from the panicking CPU. */
static struct hal_spinlock cons_lk = HAL_SPINLOCK_INIT("console");
static unsigned cons_depth; /* the holder's nesting */

void
cons_lock(void)
{
	if (panic_in_progress())
		return;
	if (hal_spin_holding(&cons_lk)) {
		cons_depth++;
		return;
	}
	hal_spin_lock(&cons_lk);
	cons_depth = 1;
}

void
cons_unlock(void)
{
	if (hal_spin_holding(&cons_lk) && --cons_depth == 0)
		hal_spin_unlock(&cons_lk);
}

void
cons_putc(int c)
{
	if (!cons_early_done)
		cons_early[cons_early_len++ % CONS_EARLY_MAX] = (char)c;
	if (cons_active(CONS_SERIAL)) {
		if (c == '\n')
			serial_putc('\r');
		serial_putc(c);
	}
	if (cons_active(CONS_VGA))
		vga_putc(c);
	if (cons_active(CONS_FB))
		fbcons_putc(c);
}

/* Input is accepted from every device found, whatever console= restricts output to. */
int
cons_getc(void)
{
	int c;

	if ((cons_found & CONS_SERIAL) && (c = serial_getc()) >= 0)
		return c;
	return kbd_getc();
}

/* Waits (polling) for the next input character. */
static int
cons_getchar(void)
{
	int c;

	while ((c = cons_getc()) < 0)
		;
	return c;
}

static void
cons_putch(int c, void *arg)
{
	cons_putc(c);
}

int
vprintf(const char *fmt, va_list ap)
{
	int n;

	cons_lock();
	n = printfmt_v(cons_putch, NULL, fmt, ap);
	cons_unlock();
	return n;
}

int
printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintf(fmt, ap);
	va_end(ap);
	return n;
}

/* Line editing for readline: Backspace (BS from the keyboard, DEL from most terminals),
 * Ctrl-U (erase the line), and a history of the last CONS_HIST lines walked with Up/Down.
 * A terminal sends Up/Down as ESC [ A / ESC [ B (ESC O A / ESC O B in application mode;
 * ECMA-48 5.4: a control sequence ends at its first byte in 0x40-0x7E); the keyboard driver
 * turns its arrow keys into Ctrl-P / Ctrl-N, which work from a terminal as well. */
#define CONS_HIST  16
#define KEY_CTRL_N 0x0e
#define KEY_CTRL_P 0x10
#define KEY_CTRL_U 0x15
#define KEY_ESC    0x1b

static char cons_hist[CONS_HIST][CONS_LINE_MAX];
static unsigned cons_hist_count; /* lines ever saved; the newest is (count - 1) % CONS_HIST */

struct line_ed {
	char *buf;
	size_t len;
	unsigned back; /* 0: the line being typed; k: the k-th newest history line */
	int esc;       /* 0, or 1 after ESC, 2 inside ESC [ or ESC O */
	bool cut;
};

static void
line_erase(struct line_ed *ed)
{
	for (; ed->len > 0; ed->len--)
		printf("\b \b");
}

/* Replaces the line with the history line `back` steps back (0: an empty line). */
static void
line_recall(struct line_ed *ed, unsigned back)
{
	const char *h;

	if (back > cons_hist_count || back > CONS_HIST)
		return;
	line_erase(ed);
	ed->back = back;
	if (back == 0)
		return;
	h = cons_hist[(cons_hist_count - back) % CONS_HIST];
	ed->len = strlen(h);
	memcpy(ed->buf, h, ed->len);
	for (size_t i = 0; i < ed->len; i++)
		cons_putc(ed->buf[i]);
}

/* One input character that is not Enter. */
static void
line_key(struct line_ed *ed, int c)
{
	if (ed->esc == 1) {
		ed->esc = c == '[' || c == 'O' ? 2 : 0;
		return;
	}
	if (ed->esc == 2) {
		if (c >= 0x40 && c <= 0x7e) {
			ed->esc = 0;
			if (c == 'A')
				line_recall(ed, ed->back + 1);
			else if (c == 'B' && ed->back > 0)
				line_recall(ed, ed->back - 1);
		}
		return;
	}
	if (c == KEY_ESC) {
		ed->esc = 1;
	} else if (c == KEY_CTRL_P) {
		line_recall(ed, ed->back + 1);
	} else if (c == KEY_CTRL_N) {
		if (ed->back > 0)
			line_recall(ed, ed->back - 1);
	} else if (c == KEY_CTRL_U) {
		line_erase(ed);
	} else if (c == '\b' || c == 0x7f) {
		if (ed->len > 0) {
			ed->len--;
			printf("\b \b");
		}
	} else if (c >= ' ' && c < 0x7f) {
		if (ed->len < CONS_LINE_MAX - 1) {
			ed->buf[ed->len++] = (char)c;
			cons_putc(c);
		} else {
			ed->cut = true;
		}
	}
}

/* Saves a non-empty line that differs from the newest saved one. */
static void
line_save(const char *line)
{
	const char *newest = cons_hist[(cons_hist_count - 1) % CONS_HIST];

	if (line[0] == '\0' || (cons_hist_count > 0 && strcmp(line, newest) == 0))
		return;
	strlcpy(cons_hist[cons_hist_count % CONS_HIST], line, CONS_LINE_MAX);
	cons_hist_count++;
}

char *
readline(const char *prompt)
{
	static char line[CONS_LINE_MAX];
	static bool after_cr; /* a "\r\n" pair from a terminal ends one line, not two */
	struct line_ed ed = { .buf = line };
	int c;

	if (prompt != NULL)
		printf("%s", prompt);
	for (;;) {
		c = cons_getchar();
		if (c == '\n' && after_cr) {
			after_cr = false;
			continue;
		}
		after_cr = c == '\r';
		if (c == '\r' || c == '\n')
			break;
		line_key(&ed, c);
	}
	cons_putc('\n');
	line[ed.len] = '\0';
	if (ed.cut)
		printf("readline: line too long, cut to %zu characters\n", sizeof(line) - 1);
	line_save(line);
	return line;
}
