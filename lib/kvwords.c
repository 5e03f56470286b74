/* Splitting `key` / `key=value` words (kvwords.h). */
#include <stddef.h>

#include "kvwords.h"
#include "xstring.h"

unsigned
kv_split(char *s, struct kv_word *w, unsigned max)
{
	unsigned n = 0;

	for (;;) {
		char *eq;

		while (*s == ' ')
			*s++ = '\0';
		if (*s == '\0')
			return n;
		if (n < max)
			w[n].key = s;
		while (*s != '\0' && *s != ' ')
			s++;
		if (*s == ' ')
			*s++ = '\0';
		if (n < max) {
			eq = strchr(w[n].key, '=');
			if (eq != NULL)
				*eq = '\0';
			w[n].value = eq != NULL ? eq + 1 : "";
		}
		n++;
	}
}

const char *
kv_get(const struct kv_word *w, unsigned n, const char *key)
{
	while (n-- > 0)
		if (strcmp(w[n].key, key) == 0)
			return w[n].value;
	return NULL;
}
