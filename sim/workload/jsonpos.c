/* Source positions for JSON values (see jsonpos.h).  The text has already been accepted by
 * jansson, so this walker only needs to skip values, never to diagnose them; it still
 * checks every bound, so a text it does not expect can only yield "not found". */
#include "jsonpos.h"

#include <stdint.h>
#include <string.h>

struct walk {
	const char *s;
	size_t len;
	size_t i;
};

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
skip_ws(struct walk *w)
{
	while (w->i < w->len && is_ws(w->s[w->i]))
		w->i++;
}

/* Skips a string whose opening quote is at w->i; returns false if it is unterminated. */
static bool
skip_string(struct walk *w)
{
	for (w->i++; w->i < w->len; w->i++) {
		if (w->s[w->i] == '\\')
			w->i++;
		else if (w->s[w->i] == '"') {
			w->i++;
			return true;
		}
	}
	return false;
}

static bool
skip_value(struct walk *w)
{
	int depth = 0;

	skip_ws(w);
	if (w->i >= w->len)
		return false;
	if (w->s[w->i] == '"')
		return skip_string(w);
	if (w->s[w->i] != '{' && w->s[w->i] != '[') {
		/* A number or literal ends at the first delimiter. */
		while (w->i < w->len && !is_ws(w->s[w->i]) && w->s[w->i] != ',' &&
		       w->s[w->i] != '}' && w->s[w->i] != ']')
			w->i++;
		return true;
	}
	while (w->i < w->len) {
		char c = w->s[w->i];

		if (c == '"') {
			if (!skip_string(w))
				return false;
			continue;
		}
		w->i++;
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return true;
	}
	return false;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads \uXXXX at raw[*i] (pointing at 'u'); returns the code unit or -1. */
static long
read_u16(const char *raw, size_t n, size_t *i)
{
	long v = 0;

	if (*i + 4 >= n)
		return -1;
	for (int k = 1; k <= 4; k++) {
		int h = hexval(raw[*i + k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	*i += 4;
	return v;
}

static size_t
utf8_put(char *out, long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes one escape at raw[*i] (pointing after the backslash) into out; returns the
 * number of bytes written, 0 on a malformed escape.  RFC 8259 section 7. */
static size_t
unescape(const char *raw, size_t n, size_t *i, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *p = strchr(from, raw[*i]);
	long cp;

	if (raw[*i] != 'u') {
		if (raw[*i] == '\0' || !p)
			return 0;
		out[0] = to[p - from];
		return 1;
	}
	cp = read_u16(raw, n, i);
	if (cp >= 0xd800 && cp < 0xdc00 && *i + 2 < n && raw[*i + 1] == '\\' &&
	    raw[*i + 2] == 'u') {
		size_t j = *i + 2;
		long lo = read_u16(raw, n, &j);
		if (lo >= 0xdc00 && lo < 0xe000) {
			*i = j;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
	}
	return cp < 0 ? 0 : utf8_put(out, cp);
}

/* Does the raw (still escaped) key text raw[0..n) decode to `key`? */
static bool
key_equals(const char *raw, size_t n, const char *key)
{
	size_t klen = strlen(key), k = 0;

	for (size_t i = 0; i < n; i++) {
		char buf[4];
		size_t m = 1;

		buf[0] = raw[i];
		if (raw[i] == '\\') {
			i++;
			if (i >= n || (m = unescape(raw, n, &i, buf)) == 0)
				return false;
		}
		if (k + m > klen || memcmp(key + k, buf, m) != 0)
			return false;
		k += m;
	}
	return k == klen;
}

/* With w->i at an object's '{', finds member `key`; leaves w->i at its key (at_key) or
 * at its value. */
static bool
find_member(struct walk *w, const char *key, bool at_key)
{
	w->i++;
	for (;;) {
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] != '"')
			return false;
		size_t kstart = w->i;
		if (!skip_string(w))
			return false;
		bool hit = key_equals(w->s + kstart + 1, w->i - kstart - 2, key);
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] != ':')
			return false;
		w->i++;
		skip_ws(w);
		if (hit) {
			if (at_key)
				w->i = kstart;
			return true;
		}
		if (!skip_value(w))
			return false;
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] != ',')
			return false;
		w->i++;
	}
}

static bool
find_element(struct walk *w, size_t index)
{
	w->i++;
	for (size_t k = 0;; k++) {
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] == ']')
			return false;
		if (k == index)
			return true;
		if (!skip_value(w))
			return false;
		skip_ws(w);
		if (w->i >= w->len || w->s[w->i] != ',')
			return false;
		w->i++;
	}
}

bool
jpos_find(const char *text, size_t len, const struct jpos_seg *path, unsigned depth, bool at_key,
          size_t *off)
{
	struct walk w = { text, len, 0 };

	skip_ws(&w);
	*off = w.i < len ? w.i : 0;
	for (unsigned d = 0; d < depth; d++) {
		bool last = d + 1 == depth;
		bool ok;

		if (w.i >= len)
			return false;
		if (path[d].key) {
			ok = text[w.i] == '{' && find_member(&w, path[d].key, at_key && last);
		} else {
			ok = text[w.i] == '[' && find_element(&w, path[d].index);
		}
		if (!ok)
			return false;
		*off = w.i;
	}
	return true;
}

void
jpos_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++; /* a UTF-8 continuation byte is not a new character */
		}
	}
}
