/* Sorting the small sample arrays of the benchmarks and tests (libos.h). */
#include <stdint.h>

#include "libos.h"

void
sort_u64(uint64_t *v, unsigned n)
{
	/* Insertion sort, ascending: a few hundred samples at most, already nearly in order. */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}
