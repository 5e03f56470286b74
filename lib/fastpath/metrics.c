/* lib/fastpath: the metrics page (fp_metrics.h): counters, log-linear histograms written
 * under a per-histogram sequence count, snapshots and percentiles for the reader. */
#include "abi/error.h"
#include "fp_metrics.h"
#include "fp_str.h"

/* A value v >= 2^7 with its highest set bit e lies in [2^e, 2^(e+1)); with k = e - 6 its
 * top seven bits m = v >> k lie in [64, 128) and the bucket is k * 64 + m, so each power of
 * two holds 64 buckets of width 2^k, the first of them right after the 128 exact ones. */
uint32_t
fp_hist_index(uint64_t v)
{
	uint32_t e, k;

	if (v < 2 * FP_HIST_HALF)
		return (uint32_t)v;
	if (v >= FP_HIST_LIMIT)
		return FP_HIST_BUCKETS - 1;
	e = 63 - (uint32_t)__builtin_clzll(v);
	k = e - (FP_HIST_SUB_BITS - 1);
	return k * FP_HIST_HALF + (uint32_t)(v >> k);
}

uint64_t
fp_hist_lowest(uint32_t idx)
{
	uint32_t k;

	if (idx < 2 * FP_HIST_HALF)
		return idx;
	k = idx / FP_HIST_HALF - 1;
	return (uint64_t)(idx % FP_HIST_HALF + FP_HIST_HALF) << k;
}

/* The middle of the bucket [lo, lo + 2^k): no value in it is more than 2^(k-1) away, and
 * lo >= 64 * 2^k, so the relative error is at most 2^(k-1) / (64 * 2^k) = 1/128. */
uint64_t
fp_hist_value(uint32_t idx)
{
	if (idx < 2 * FP_HIST_HALF)
		return idx;
	return fp_hist_lowest(idx) + (1ull << (idx / FP_HIST_HALF - 2));
}

size_t
fp_metrics_bytes(uint32_t nhists)
{
	return sizeof(struct fp_metrics_shared) + (size_t)nhists * sizeof(struct fp_hist);
}

int
fp_metrics_init(struct fp_metrics *m, void *mem, size_t bytes, uint32_t nhists)
{
	if (!m || !mem || nhists > FP_METRICS_HISTS)
		return E_INVAL;
	if ((uintptr_t)mem % FP_CACHELINE)
		return E_ALIGN;
	if (bytes < fp_metrics_bytes(nhists))
		return E_RANGE;
	memset(mem, 0, fp_metrics_bytes(nhists));
	m->sh = mem;
	m->sh->magic = FP_METRICS_MAGIC;
	m->sh->nhists = nhists;
	m->nhists = nhists;
	return 0;
}

/* Plain reads: the page reached the reader through a channel ordered after init. */
int
fp_metrics_attach(struct fp_metrics *m, void *mem, size_t bytes)
{
	struct fp_metrics_shared *sh = mem;

	if (!m || !sh || (uintptr_t)mem % FP_CACHELINE || bytes < sizeof(*sh))
		return E_INVAL;
	if (sh->magic != FP_METRICS_MAGIC || sh->nhists > FP_METRICS_HISTS ||
	    bytes < fp_metrics_bytes(sh->nhists))
		return E_INVAL;
	m->sh = sh;
	m->nhists = sh->nhists;
	return 0;
}

void
fp_metrics_name_counter(struct fp_metrics *m, uint32_t i, const char *name)
{
	if (i < FP_METRICS_COUNTERS)
		fp_copy_str(m->sh->counter_name[i], name, FP_METRICS_NAME);
}

void
fp_metrics_name_hist(struct fp_metrics *m, uint32_t i, const char *name)
{
	if (i < m->nhists)
		fp_copy_str(m->sh->hist_name[i], name, FP_METRICS_NAME);
}

/* Counters: the single writer loads its own last store and stores the sum (no locked
 * read-modify-write); relaxed, as a counter orders nothing else, yet atomic so that the
 * reader never sees half a 64-bit value. */
void
fp_counter_add(struct fp_metrics *m, uint32_t i, uint64_t delta)
{
	if (i < FP_METRICS_COUNTERS)
		__atomic_store_n(&m->sh->counter[i],
		                 __atomic_load_n(&m->sh->counter[i], __ATOMIC_RELAXED) + delta,
		                 __ATOMIC_RELAXED);
}

uint64_t
fp_counter_read(const struct fp_metrics *m, uint32_t i)
{
	return i < FP_METRICS_COUNTERS ? __atomic_load_n(&m->sh->counter[i], __ATOMIC_RELAXED) : 0;
}

/* The sequence count (Lamport's "reading and writing without waiting"; as a seqlock in C11,
 * Boehm, "Can seqlocks get along with programming language memory models?", MSPC 2012):
 * odd while an update is under way.  No fences (ThreadSanitizer does not model them): each
 * data store is a release and each of the reader's data loads an acquire, which costs
 * nothing on x86 (plain moves) and gives the same guarantee, see fp_hist_snapshot. */
#define FP_PUT(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define FP_ADD(p, d) FP_PUT((p), __atomic_load_n((p), __ATOMIC_RELAXED) + (d))

void
fp_hist_record(struct fp_metrics *m, uint32_t i, uint64_t v)
{
	struct fp_hist *h;
	uint32_t s;
	uint64_t n;

	if (i >= m->nhists)
		return;
	h = &m->sh->hist[i];
	/* Relaxed loads of the writer's own fields: nobody else stores them. */
	s = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
	n = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
	/* W1: the odd count.  Every data store below is a release (W2), so it is ordered
	 * after this store: a reader that sees any of them sees this odd count or later. */
	__atomic_store_n(&h->seq, s + 1, __ATOMIC_RELAXED);
	if (n == 0 || v < __atomic_load_n(&h->min, __ATOMIC_RELAXED))
		FP_PUT(&h->min, v);
	if (v > __atomic_load_n(&h->max, __ATOMIC_RELAXED))
		FP_PUT(&h->max, v);
	if (v >= FP_HIST_LIMIT)
		FP_ADD(&h->overflow, 1);
	FP_ADD(&h->bucket[fp_hist_index(v)], 1);
	FP_ADD(&h->sum, v);
	FP_PUT(&h->count, n + 1);
	/* W3, release: pairs with the reader's acquire load R1; a reader that sees this even
	 * count sees every store above. */
	__atomic_store_n(&h->seq, s + 2, __ATOMIC_RELEASE);
}

/* The same as n fp_hist_record calls with v[0..n), under one odd count: a reader sees the
 * whole batch or none of it.  min, max, sum and count are kept in registers and stored once;
 * each value costs its bucket's index and increment (the batch path of user/l2fwd.c). */
void
fp_hist_record_n(struct fp_metrics *m, uint32_t i, const uint64_t *v, uint32_t n)
{
	struct fp_hist *h;
	uint32_t s;
	uint64_t cnt, lo, hi, sum, over = 0;

	if (i >= m->nhists || n == 0)
		return;
	h = &m->sh->hist[i];
	s = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
	cnt = __atomic_load_n(&h->count, __ATOMIC_RELAXED);
	lo = cnt == 0 ? ~0ull : __atomic_load_n(&h->min, __ATOMIC_RELAXED);
	hi = __atomic_load_n(&h->max, __ATOMIC_RELAXED);
	sum = __atomic_load_n(&h->sum, __ATOMIC_RELAXED);
	__atomic_store_n(&h->seq, s + 1, __ATOMIC_RELAXED); /* W1, as in fp_hist_record */
	for (uint32_t j = 0; j < n; j++) {
		uint64_t x = v[j];

		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
		sum += x;
		over += x >= FP_HIST_LIMIT;
		FP_ADD(&h->bucket[fp_hist_index(x)], 1); /* W2 */
	}
	FP_PUT(&h->min, lo);
	FP_PUT(&h->max, hi);
	if (over != 0)
		FP_ADD(&h->overflow, over);
	FP_PUT(&h->sum, sum);
	FP_PUT(&h->count, cnt + n);
	__atomic_store_n(&h->seq, s + 2, __ATOMIC_RELEASE); /* W3 */
}

/* R2: one copy of every field, each load an acquire (pairs with the writer's release
 * stores W2: if it reads a value of update U, U's odd count W1 happens-before every later
 * load here, the final load of seq included). */
static void
hist_copy(const struct fp_hist *h, struct fp_hist *out)
{
	out->count = __atomic_load_n(&h->count, __ATOMIC_ACQUIRE);
	out->sum = __atomic_load_n(&h->sum, __ATOMIC_ACQUIRE);
	out->min = __atomic_load_n(&h->min, __ATOMIC_ACQUIRE);
	out->max = __atomic_load_n(&h->max, __ATOMIC_ACQUIRE);
	out->overflow = __atomic_load_n(&h->overflow, __ATOMIC_ACQUIRE);
	for (uint32_t b = 0; b < FP_HIST_BUCKETS; b++)
		out->bucket[b] = __atomic_load_n(&h->bucket[b], __ATOMIC_ACQUIRE);
}

int
fp_hist_snapshot(const struct fp_metrics *m, uint32_t i, struct fp_hist *out)
{
	const struct fp_hist *h;
	uint64_t total = 0;

	memset(out, 0, sizeof(*out));
	if (i >= m->nhists)
		return 1;
	h = &m->sh->hist[i];
	for (int t = 0; t < FP_SNAPSHOT_TRIES; t++) {
		/* R1, acquire: pairs with W3, so the copy sees at least every update up to
		 * the one that wrote s1. */
		uint32_t s1 = __atomic_load_n(&h->seq, __ATOMIC_ACQUIRE), s2;

		hist_copy(h, out);
		/* R3: relaxed, yet after the acquire loads of R2 (an acquire orders every
		 * later access): if the copy saw any store of a later update, this load sees
		 * that update's odd count or later, so s2 != s1 and the copy is retried. */
		s2 = __atomic_load_n(&h->seq, __ATOMIC_RELAXED);
		out->seq = s1;
		if (s1 == s2 && !(s1 & 1))
			return 1;
	}
	for (uint32_t b = 0; b < FP_HIST_BUCKETS; b++)
		total += out->bucket[b];
	out->count = total;
	return 0;
}

uint64_t
fp_hist_percentile(const struct fp_hist *h, uint32_t ppm)
{
	/* The rank of the wanted value, 1 ... count: ceil(count * ppm / 10^6). */
	uint64_t rank =
	    (h->count / 1000000u) * ppm + ((h->count % 1000000u) * ppm + 999999u) / 1000000u;
	uint64_t seen = 0, v;

	if (h->count == 0)
		return 0;
	if (rank >= h->count)
		return h->max; /* the largest value is known exactly */
	if (rank == 0)
		rank = 1;
	for (uint32_t b = 0; b < FP_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			v = fp_hist_value(b);
			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

void
fp_hist_summarize(const struct fp_hist *h, struct fp_hist_summary *s)
{
	s->count = h->count;
	s->mean = h->count ? h->sum / h->count : 0;
	s->p50 = fp_hist_percentile(h, 500000);
	s->p90 = fp_hist_percentile(h, 900000);
	s->p99 = fp_hist_percentile(h, 990000);
	s->p999 = fp_hist_percentile(h, 999000);
	s->p9999 = fp_hist_percentile(h, 999900);
	s->max = h->max;
	s->overflow = h->overflow;
}
