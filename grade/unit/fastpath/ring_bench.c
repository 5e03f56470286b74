/* Throughput of lib/fastpath's SPSC ring without sanitizers (-O2): the stress test's
 * traffic (stress.h), 10M 16-byte items in batches of 1 ... 64.  `make bench-fastpath-ring`. */
#include <stdio.h>

#include "stress.h"

int
main(void)
{
	static struct stress st;
	const uint64_t items = 10000000;
	double s = stress_run(&st, items);

	if (s < 0 || st.received != items || st.bad) {
		fprintf(stderr, "ring_bench: setup failed or %llu bad items\n",
		        (unsigned long long)st.bad);
		return 1;
	}
	printf("ring_bench: %llu items (16 B, batches 1-64) in %.3f s: %.1f M items/s; "
	       "%llu full, %llu empty spins\n",
	       (unsigned long long)items, s, items / s / 1e6, (unsigned long long)st.full_spins,
	       (unsigned long long)st.empty_spins);
	return 0;
}
