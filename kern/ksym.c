/* Symbol lookup for backtraces: a binary search of the table kern/ksyms.py generates from
 * the pass-1 kernel (see kern/Makefrag, "two-pass link"). */
#include <stddef.h>
#include <stdint.h>

#include "backtrace.h"

struct ksym {
	uint64_t addr;
	uint32_t size;
	uint32_t name; /* offset into ksym_names */
};

/* Defined in the generated $(OBJ)/kern/ksyms.S, sorted by address. */
extern const uint64_t ksym_count;
extern const struct ksym ksym_table[];
extern const char ksym_names[];

const char *
ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint64_t lo = 0, hi = ksym_count;
	const struct ksym *s;

	/* Find the last symbol starting at or below addr. */
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksym_table[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &ksym_table[lo - 1];
	if (addr - s->addr >= s->size)
		return NULL;
	*offset = addr - s->addr;
	return &ksym_names[s->name];
}
