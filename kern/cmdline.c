/* The kernel command line: GRUB's string plus, under QEMU, the fw_cfg file
 * opt/exolab/cmdline, split into `key` / `key=value` words (docs/architecture.md). */
#include <stdbool.h>
#include <stddef.h>

#include "bootinfo.h"
#include "cmdline.h"
#include "console.h"
#include "failalloc.h"
#include "fwcfg.h"
#include "kvwords.h"
#include "xstring.h"

#define CMDLINE_MAX   (2 * BOOT_CMDLINE_MAX)
#define CMDLINE_WORDS 64

/* The linker gathers CMDLINE_OPTION entries here (kern/kernel.ld). */
extern const struct cmdline_opt kern_cmdline_opts_start[], kern_cmdline_opts_end[];

CMDLINE_OPTION(test, "test", "test=NAME: run a boot-time self-test (kern/test/)");
CMDLINE_OPTION(halt, "halt", "halt: halt the machine after the self-test instead of the monitor");
CMDLINE_OPTION(console, "console", "console=serial,vga,fb: the consoles to use (default: all)");

/* Words for user programs, read through abi_envinfo.kcmdline (lib/user/include/kcmdline.h):
 * the kernel only passes them on.  Lib/net's address words and netconsole, the Legion image's
 * mode (user/legion.c) and the NVMe write policy (docs/legion.md). */
CMDLINE_OPTION(u_legion, "legion", "legion=bench|selftest|shell|safe: the Legion image's mode");
CMDLINE_OPTION(u_ip, "ip", "ip=A.B.C.D: this machine's IPv4 address (lib/net)");
CMDLINE_OPTION(u_mask, "mask", "mask=A.B.C.D: its netmask (lib/net)");
CMDLINE_OPTION(u_gw, "gw", "gw=A.B.C.D: its gateway (lib/net)");
CMDLINE_OPTION(u_netcons, "netcons", "netcons=HOST:PORT: send console lines there over UDP");
CMDLINE_OPTION(u_netecho, "netecho", "netecho=PORT: the bench's UDP echo port (default 6667)");
CMDLINE_OPTION(u_nvme_ro, "nvme_ro", "nvme_ro: open NVMe disks read-only, as on real hardware");
CMDLINE_OPTION(u_nvme_write, "nvme_write", "nvme_write=START+COUNT: the LBAs a test may write");

static char line[CMDLINE_MAX];  /* the whole line, for display */
static char words[CMDLINE_MAX]; /* the same, NUL-separated: keys and values point in here */
static struct kv_word opts[CMDLINE_WORDS];
static unsigned nopts;

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0';
}

/* Appends `s` (at most `n` bytes, stopping at a NUL) to line, with a separating space. */
static void
line_append(const char *s, size_t n)
{
	size_t len = strlen(line);
	size_t i;

	if (len > 0 && len + 1 < sizeof(line))
		line[len++] = ' ';
	for (i = 0; i < n && s[i] != '\0' && len + 1 < sizeof(line); i++)
		line[len++] = is_space(s[i]) ? ' ' : s[i];
	line[len] = '\0';
}

static void
split_words(void)
{
	unsigned n;

	strlcpy(words, line, sizeof(words));
	n = kv_split(words, opts, CMDLINE_WORDS);
	nopts = n < CMDLINE_WORDS ? n : CMDLINE_WORDS;
	if (n > CMDLINE_WORDS)
		printf("cmdline: more than %d options; ignoring the last %u\n", CMDLINE_WORDS,
		       n - CMDLINE_WORDS);
}

void
cmdline_init(const char *boot_cmdline)
{
	static char extra[BOOT_CMDLINE_MAX];
	long n;

	line[0] = '\0';
	line_append(boot_cmdline, BOOT_CMDLINE_MAX);
	n = fwcfg_read_file("opt/exolab/cmdline", extra, sizeof(extra) - 1);
	if (n >= (long)sizeof(extra))
		printf("cmdline: fw_cfg opt/exolab/cmdline cut to %zu bytes\n", sizeof(extra) - 1);
	if (n > 0)
		line_append(extra, (size_t)n);
	split_words();
}

static bool
known(const char *key)
{
	const struct cmdline_opt *o;

	for (o = kern_cmdline_opts_start; o < kern_cmdline_opts_end; o++)
		if (strcmp(o->key, key) == 0)
			return true;
	return false;
}

void
cmdline_check(void)
{
	unsigned i;

	for (i = 0; i < nopts; i++)
		if (!known(opts[i].key))
			printf("cmdline: unknown option '%s'\n", opts[i].key);
	failalloc_init(); /* testing option: arms the allocators' hook (kern/mm/failalloc.c) */
}

const char *
cmdline_str(void)
{
	return line;
}

const char *
cmdline_get(const char *key)
{
	return kv_get(opts, nopts, key);
}

bool
cmdline_has(const char *key)
{
	return cmdline_get(key) != NULL;
}

/* The next word of a comma-separated list at *p: its start, its length in *len. */
static const char *
next_word(const char **p, size_t *len)
{
	const char *w = *p;

	while (**p != '\0' && **p != ',')
		(*p)++;
	*len = (size_t)(*p - w);
	if (**p == ',')
		(*p)++;
	return w;
}

static bool
word_is(const char *w, size_t len, const char *word)
{
	return strlen(word) == len && strncmp(w, word, len) == 0;
}

bool
cmdline_has_word(const char *key, const char *word)
{
	const char *p = cmdline_get(key);
	size_t len;

	while (p != NULL && *p != '\0') {
		const char *w = next_word(&p, &len);

		if (word_is(w, len, word))
			return true;
	}
	return false;
}

void
cmdline_check_words(const char *key, const char *const *known)
{
	const char *p = cmdline_get(key);
	size_t len;

	while (p != NULL && *p != '\0') {
		const char *w = next_word(&p, &len);
		const char *const *k = known;

		while (*k != NULL && !word_is(w, len, *k))
			k++;
		if (*k == NULL)
			printf("cmdline: %s: unknown '%.*s'\n", key, (int)len, w);
	}
}
