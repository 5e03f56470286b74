/* Source positions for JSON values: jansson keeps none, so the loader finds the line and
 * column of a value by walking the (already validated) text along the value's key path. */
#ifndef EXOSIM_JSONPOS_H
#define EXOSIM_JSONPOS_H

#include <stdbool.h>
#include <stddef.h>

/* One step of a path: an object member by key, or an array element by index. */
struct jpos_seg {
	const char *key; /* NULL for an array element */
	size_t index;
};

/* Offset of the value at `path` (or, with at_key, of the last member's key string).
 * Returns false if the path is not found: the caller then reports the deepest prefix
 * that was found, which jpos_find leaves in *off. */
bool jpos_find(const char *text, size_t len, const struct jpos_seg *path, unsigned depth,
               bool at_key, size_t *off);

/* 1-based line and column of byte offset `off`; columns count UTF-8 characters, as
 * jansson's syntax errors do. */
void jpos_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);

#endif
