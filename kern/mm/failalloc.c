/* Allocation-failure injection: failalloc=SEED:RATE makes pmm_alloc_as and kmalloc fail for
 * one call in RATE on average, at points a seeded hash of the call's sequence number picks,
 * so a run that found a bug is replayed by booting the same seed with the same programs.
 * Only calls made once init exists fail: boot-time allocations are not recoverable by design
 * (a kernel that cannot build its own tables has nothing to fall back on).  Each injected
 * failure prints one line with its number and caller, so a report can be traced to the
 * allocation site (kern/ksym.c resolves the address with `make` symbols). */
#include <stddef.h>

#include "cmdline.h"
#include "console.h"
#include "failalloc.h"

CMDLINE_OPTION(failalloc, "failalloc",
               "failalloc=SEED:RATE: fail one page/heap allocation in RATE, seeded (testing)");

/* Failures printed one by one; after that every FAILALLOC_QUIET-th, to bound the output. */
#define FAILALLOC_LOUD  200
#define FAILALLOC_QUIET 100

extern uint64_t env_init_id; /* kern/env/boot.c: nonzero once init exists */

static uint64_t seed, rate;
static uint64_t calls, injected; /* updated with atomics: allocations run on every CPU */

/* SplitMix64's finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): a bijective mix, so every (seed, n) gives an independent draw. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool
should_fail(enum failalloc_kind kind, uint64_t arg, void *caller)
{
	uint64_t n, k;

	if (env_init_id == 0)
		return false;
	n = __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED);
	if (mix(seed ^ mix(n + 1)) % rate != 0)
		return false;
	k = __atomic_add_fetch(&injected, 1, __ATOMIC_RELAXED);
	if (k <= FAILALLOC_LOUD || k % FAILALLOC_QUIET == 0)
		printf("failalloc: #%lu fails %s %lu (call %lu) from %p\n", k,
		       kind == FAILALLOC_PAGE ? "page order" : "heap bytes", arg, n, caller);
	return true;
}

static bool
parse_u64(const char **s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = *s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (uint64_t)(*p - '0');
	*s = p;
	*out = v;
	return true;
}

void
failalloc_init(void)
{
	const char *s = cmdline_get("failalloc");

	if (s == NULL)
		return;
	if (!parse_u64(&s, &seed) || *s++ != ':' || !parse_u64(&s, &rate) || *s != '\0' ||
	    rate == 0) {
		printf("failalloc: want failalloc=SEED:RATE with RATE >= 1; injection off\n");
		return;
	}
	failalloc_hook = should_fail;
	printf("failalloc: seed %lu, one allocation in %lu fails once init runs\n", seed, rate);
}

void
failalloc_print(void)
{
	if (failalloc_hook != NULL)
		printf("failalloc: injected %lu of %lu allocations (seed %lu, rate 1/%lu)\n",
		       __atomic_load_n(&injected, __ATOMIC_RELAXED),
		       __atomic_load_n(&calls, __ATOMIC_RELAXED), seed, rate);
}
