/* The kernel command line's words (kcmdline.h), split once from the env info page. */
#include <stddef.h>

#include "kcmdline.h"
#include "libos.h"
#include "xstring.h"

#define KCMD_WORDS 64

static char words[sizeof(((struct abi_envinfo *)0)->kcmdline)];
static struct {
	const char *key, *value;
} opts[KCMD_WORDS];
static unsigned nopts;
static bool split_done;

/* Splits a copy of the line at spaces, then each word at its first '='. */
static void
split(void)
{
	char *p = words;

	split_done = true;
	if (libos_envinfo == NULL)
		return;
	strlcpy(words, libos_envinfo->kcmdline, sizeof(words));
	while (*p != '\0' && nopts < KCMD_WORDS) {
		char *eq;

		while (*p == ' ')
			*p++ = '\0';
		if (*p == '\0')
			break;
		opts[nopts].key = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (*p == ' ')
			*p++ = '\0';
		eq = strchr(opts[nopts].key, '=');
		if (eq != NULL)
			*eq = '\0';
		opts[nopts].value = eq != NULL ? eq + 1 : "";
		nopts++;
	}
}

const char *
kcmdline_get(const char *key)
{
	if (!split_done)
		split();
	for (unsigned i = nopts; i-- > 0;)
		if (strcmp(opts[i].key, key) == 0)
			return opts[i].value;
	return NULL;
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
