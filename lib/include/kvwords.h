/* `key` and `key=value` words separated by spaces: the kernel command line, parsed by the
 * kernel (kern/cmdline.c) and by user programs (lib/user/kcmdline.c) with this one code. */
#ifndef EXOLAB_KVWORDS_H
#define EXOLAB_KVWORDS_H

struct kv_word {
	const char *key;
	const char *value; /* "" for a bare key */
};

/* Splits s in place (spaces and '=' become NULs) and stores at most max words in w.
 * Returns how many words s holds: more than max means the rest were not stored. */
unsigned kv_split(char *s, struct kv_word *w, unsigned max);

/* The value of the last word named key among w[0..n), or NULL. */
const char *kv_get(const struct kv_word *w, unsigned n, const char *key);

#endif
