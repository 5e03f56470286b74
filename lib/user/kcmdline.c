/* The kernel command line's words (kcmdline.h), split once from the env info page. */
#include <stddef.h>

#include "kcmdline.h"
#include "kvwords.h"
#include "libos.h"
#include "xstring.h"

#define KCMD_WORDS 64

static char words[sizeof(((struct abi_envinfo *)0)->kcmdline)];
static struct kv_word opts[KCMD_WORDS];
static unsigned nopts;
static bool split_done;

/* Splits a copy of the line once (kvwords.h, the kernel's own parser). */
static void
split(void)
{
	unsigned n;

	split_done = true;
	if (libos_envinfo == NULL)
		return;
	strlcpy(words, libos_envinfo->kcmdline, sizeof(words));
	n = kv_split(words, opts, KCMD_WORDS);
	nopts = n < KCMD_WORDS ? n : KCMD_WORDS;
}

const char *
kcmdline_get(const char *key)
{
	if (!split_done)
		split();
	return kv_get(opts, nopts, key);
}

bool
kcmdline_has(const char *key)
{
	return kcmdline_get(key) != NULL;
}

const char *
kcmdline_str(void)
{
	return libos_envinfo != NULL ? libos_envinfo->kcmdline : "";
}
