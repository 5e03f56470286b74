/* The log-linear histogram: exact small values, the 1% percentile error bound against
 * exact percentiles of seeded data, an exact maximum, lazy bucket pages. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "metrics/hist.h"
#include "rng/rng.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted data, the definition hist_percentile approximates. */
static uint64_t
exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return sorted[(rank ? rank : 1) - 1];
}

Test(hist, empty_histogram_reports_zero)
{
	struct hist h = { 0 };

	cr_assert_eq(hist_percentile(&h, 50), 0);
	cr_assert_eq(hist_percentile(&h, 100), 0);
}

Test(hist, values_below_256_are_exact)
{
	struct hist h = { 0 };

	for (uint64_t v = 0; v < 256; v++)
		cr_assert_eq(hist_add(&h, v), 0);
	cr_assert_eq(hist_percentile(&h, 50), 127);
	cr_assert_eq(hist_percentile(&h, 90), 230);
	cr_assert_eq(hist_percentile(&h, 100), 255);
	hist_free(&h);
}

Test(hist, percentiles_within_one_percent_of_exact_on_seeded_data)
{
	static const double pct[] = { 50, 90, 99, 99.9, 99.99 };
	enum { N = 200000 };
	uint64_t *v = malloc(N * sizeof(*v));
	struct hist h = { 0 };
	struct rng r;

	rng_stream(&r, 42, "hist-test", 0);
	for (size_t i = 0; i < N; i++) {
		/* Log-uniform over 1 .. 2^40 exercises every band. */
		v[i] = (uint64_t)exp(rng_unit(&r) * 40 * log(2.0));
		cr_assert_eq(hist_add(&h, v[i]), 0);
	}
	qsort(v, N, sizeof(*v), cmp_u64);
	for (size_t k = 0; k < sizeof(pct) / sizeof(pct[0]); k++) {
		double want = (double)exact_percentile(v, N, pct[k]);
		double got = (double)hist_percentile(&h, pct[k]);

		cr_assert_leq(fabs(got - want), want / 256.0 + 0.5, "p%g: %g vs exact %g", pct[k],
		              got, want);
	}
	cr_assert_eq(hist_percentile(&h, 100), v[N - 1]);
	cr_assert_eq(h.min, v[0]);
	free(v);
	hist_free(&h);
}

Test(hist, extreme_values_and_lazy_pages)
{
	struct hist h = { 0 };
	unsigned pages = 0;

	cr_assert_eq(hist_add(&h, UINT64_MAX), 0);
	cr_assert_eq(hist_add(&h, 1000000), 0);
	for (unsigned i = 0; i < HIST_PAGES; i++)
		pages += h.page[i] != NULL;
	cr_assert_eq(pages, 2, "only the two touched pages are allocated");
	cr_assert_eq(hist_percentile(&h, 100), UINT64_MAX);
	/* 1000000 lies in a bucket of width 4096 starting at 999424: its midpoint. */
	cr_assert_eq(hist_percentile(&h, 50), 999424 + 2047);
	hist_free(&h);
}
