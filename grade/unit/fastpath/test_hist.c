/* lib/fastpath's metrics page (ASan + UBSan): the log-linear bucket math, the proof that
 * every value below FP_HIST_LIMIT is reported within 1/128 (< 1%), the error measured on
 * random values with a fixed seed, percentiles against the exact order statistics,
 * counters, and the snapshot rule when the writer is caught mid-update. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/error.h"
#include "fp_metrics.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* xorshift64* (Vigna 2016): fixed seed, so the test is the same on every run. */
static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

/* Log-uniform over [1, 2^37): every bucket size is exercised. */
static uint64_t
rnd_value(void)
{
	uint64_t bits = 1 + rnd() % 37;

	return (rnd() & ((1ull << bits) - 1)) | 1ull << (bits - 1);
}

static double
rel_err(uint64_t v)
{
	uint64_t rep = fp_hist_value(fp_hist_index(v));

	return (rep > v ? (double)(rep - v) : (double)(v - rep)) / (double)v;
}

Test(hist, buckets_tile_the_range_without_gap_or_overlap)
{
	cr_assert_eq(fp_hist_lowest(0), 0u);
	for (uint32_t b = 0; b < FP_HIST_BUCKETS; b++) {
		uint64_t lo = fp_hist_lowest(b);
		uint64_t hi =
		    b + 1 < FP_HIST_BUCKETS ? fp_hist_lowest(b + 1) - 1 : FP_HIST_LIMIT - 1;

		cr_assert_lt(lo, hi + 1);
		cr_assert_eq(fp_hist_index(lo), b, "bucket %u starts at %llu", b,
		             (unsigned long long)lo);
		cr_assert_eq(fp_hist_index(hi), b, "bucket %u ends at %llu", b,
		             (unsigned long long)hi);
		cr_assert(fp_hist_value(b) >= lo && fp_hist_value(b) <= hi);
	}
	cr_assert_eq(fp_hist_index(FP_HIST_LIMIT - 1), FP_HIST_BUCKETS - 1);
	cr_assert_eq(fp_hist_index(FP_HIST_LIMIT), FP_HIST_BUCKETS - 1);
	cr_assert_eq(fp_hist_index(UINT64_MAX), FP_HIST_BUCKETS - 1);
}

/* The proof of the bound: within a bucket the reported value r is fixed, and |r - v| / v
 * falls as v rises towards r and rises as v moves above r, so the worst value of each
 * bucket is one of its two ends.  Checking both ends of all 2048 buckets therefore bounds
 * the error of every value below FP_HIST_LIMIT. */
Test(hist, every_value_below_the_limit_is_reported_within_one_128th)
{
	double worst = 0;

	for (uint32_t b = 1; b < FP_HIST_BUCKETS; b++) {
		uint64_t lo = fp_hist_lowest(b);
		uint64_t hi =
		    b + 1 < FP_HIST_BUCKETS ? fp_hist_lowest(b + 1) - 1 : FP_HIST_LIMIT - 1;
		double e = rel_err(lo) > rel_err(hi) ? rel_err(lo) : rel_err(hi);

		worst = e > worst ? e : worst;
	}
	cr_assert_leq(worst, 1.0 / 128, "worst bucket end error %g", worst);
	cr_assert_gt(worst, 1.0 / 129, "the bound is tight, not loose by accident");
	fprintf(stderr,
	        "hist: worst error over all values < 2^37: %.6f%% (bound 1/128 = 0.78125%%)\n",
	        100 * worst);
}

Test(hist, random_values_with_a_fixed_seed_stay_within_one_percent)
{
	double worst = 0;

	for (int i = 0; i < 2000000; i++) {
		double e = rel_err(rnd_value());

		worst = e > worst ? e : worst;
	}
	cr_assert_leq(worst, 0.01);
	fprintf(stderr, "hist: measured max relative error on 2M random values: %.6f%%\n",
	        100 * worst);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static _Alignas(64) uint8_t page[sizeof(struct fp_metrics_shared) + 2 * sizeof(struct fp_hist)];

Test(hist, percentiles_are_within_one_percent_of_the_exact_order_statistics)
{
	static uint64_t v[1000000];
	static struct fp_hist snap;
	static const uint32_t ppm[] = { 500000, 900000, 990000, 999000, 999900, 1000000 };
	struct fp_metrics m;
	size_t n = sizeof(v) / sizeof(v[0]);

	cr_assert_eq(fp_metrics_init(&m, page, sizeof(page), 2), 0);
	for (size_t i = 0; i < n; i++) {
		/* a latency-like mix: a body around 2000 cycles, a tail to 2^30 */
		v[i] = i % 100 ? 1500 + rnd() % 1000 : rnd_value() >> 7;
		v[i] += 1;
		fp_hist_record(&m, 1, v[i]);
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	cr_assert_eq(fp_hist_snapshot(&m, 1, &snap), 1);
	cr_assert_eq(snap.count, n);
	cr_assert_eq(snap.min, v[0]);
	cr_assert_eq(snap.max, v[n - 1]);
	for (size_t i = 0; i < sizeof(ppm) / sizeof(ppm[0]); i++) {
		uint64_t exact = v[(n * ppm[i] + 999999) / 1000000 - 1];
		uint64_t got = fp_hist_percentile(&snap, ppm[i]);
		double e = (got > exact ? got - exact : exact - got) / (double)exact;

		cr_assert_leq(e, 1.0 / 128, "q=%u: got %llu, exact %llu", ppm[i],
		              (unsigned long long)got, (unsigned long long)exact);
	}
	cr_assert_eq(fp_hist_percentile(&snap, 1000000), v[n - 1], "p100 is the exact max");
}

Test(hist, summary_counters_names_and_overflow)
{
	static struct fp_hist snap;
	struct fp_hist_summary s;
	struct fp_metrics m, rd;

	cr_assert_eq(fp_metrics_init(&m, page, sizeof(page), 9), E_INVAL);
	cr_assert_eq(fp_metrics_init(&m, page, sizeof(page) - 1, 2), E_RANGE);
	cr_assert_eq(fp_metrics_init(&m, page, sizeof(page), 2), 0);
	cr_assert_eq(fp_metrics_attach(&rd, page, sizeof(page)), 0);
	fp_metrics_name_counter(&m, 3, "rx_packets_and_more");
	fp_metrics_name_hist(&m, 0, "lat");
	fp_counter_add(&m, 3, 5);
	fp_counter_add(&m, 3, 7);
	fp_counter_add(&m, 99, 1); /* out of range: ignored */
	cr_assert_eq(fp_counter_read(&rd, 3), 12u);
	cr_assert_str_eq(rd.sh->counter_name[3], "rx_packets_and_");
	cr_assert_str_eq(rd.sh->hist_name[0], "lat");
	fp_hist_summarize(&snap, &s);
	cr_assert_eq(s.p99, 0u, "an empty histogram reports zeros");
	for (uint64_t i = 1; i <= 100; i++)
		fp_hist_record(&m, 0, i);
	fp_hist_record(&m, 0, FP_HIST_LIMIT + 5);
	cr_assert_eq(fp_hist_snapshot(&rd, 0, &snap), 1);
	fp_hist_summarize(&snap, &s);
	cr_assert_eq(s.count, 101u);
	cr_assert_eq(s.p50, 51u);
	cr_assert_eq(s.p90, 91u);
	cr_assert_eq(s.p99, 100u);
	cr_assert_eq(s.max, FP_HIST_LIMIT + 5);
	cr_assert_eq(s.overflow, 1u);
}

Test(hist, a_snapshot_that_always_overlaps_an_update_says_so_and_stays_self_consistent)
{
	static struct fp_hist snap;
	struct fp_metrics m;

	fp_metrics_init(&m, page, sizeof(page), 1);
	fp_hist_record(&m, 0, 10);
	fp_hist_record(&m, 0, 20);
	m.sh->hist[0].seq++;     /* a writer stopped in the middle of an update ... */
	m.sh->hist[0].count = 7; /* ... whose count is not yet matched by its buckets */
	cr_assert_eq(fp_hist_snapshot(&m, 0, &snap), 0);
	cr_assert_eq(snap.count, 2u, "count from the buckets");
	cr_assert_eq(fp_hist_percentile(&snap, 1000000), 20u);
}

Test(hist, a_batch_record_equals_one_record_per_value)
{
	static uint64_t v[1000];
	static struct fp_hist a, b;
	static const uint32_t sizes[] = { 0, 1, 32, 7, 200, 31, 729 };
	struct fp_metrics m;
	size_t at = 0;

	cr_assert_eq(fp_metrics_init(&m, page, sizeof(page), 2), 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		v[i] = i % 97 ? rnd_value() >> (i % 30) : FP_HIST_LIMIT + i; /* some overflow */
	v[500] = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		fp_hist_record(&m, 0, v[i]);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		fp_hist_record_n(&m, 1, v + at, sizes[i]);
		at += sizes[i];
	}
	cr_assert_eq(at, sizeof(v) / sizeof(v[0]));
	fp_hist_record_n(&m, 2, v, 3); /* no such histogram: ignored */
	cr_assert_eq(fp_hist_snapshot(&m, 0, &a), 1);
	cr_assert_eq(fp_hist_snapshot(&m, 1, &b), 1);
	cr_assert_eq(a.count, b.count);
	cr_assert_eq(a.sum, b.sum);
	cr_assert_eq(a.min, 0u);
	cr_assert_eq(b.min, 0u);
	cr_assert_eq(a.max, b.max);
	cr_assert_neq(b.overflow, 0u);
	cr_assert_eq(a.overflow, b.overflow);
	cr_assert_eq(memcmp(a.bucket, b.bucket, sizeof(a.bucket)), 0, "the same buckets");
	cr_assert_eq(b.seq, 2u * 6, "one update per non-empty batch");
}
