/* lib/fastpath's metrics page read while it is written, under ThreadSanitizer: a writer
 * thread records the values 1, 2, 3, ... into a histogram (the first half one by one, the
 * rest in batches with fp_hist_record_n) and bumps a counter; the reader
 * snapshots meanwhile.  An exact snapshot (fp_hist_snapshot returns 1) of count c must be
 * exactly the first c values: sum c(c+1)/2, min 1, max c, c in the buckets, an even seq;
 * a best-effort one must agree with its own buckets; counters and counts never go back;
 * and TSan reports no race. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_metrics.h"
#include "tcheck.h"

#define WRITES 2000000u

static _Alignas(64) uint8_t page[sizeof(struct fp_metrics_shared) + sizeof(struct fp_hist)];
static struct fp_metrics wr, rd;
static uint32_t done;

static void *
writer(void *arg)
{
	uint64_t v = 1, batch[5];

	for (; v <= WRITES / 2; v++) {
		fp_hist_record(&wr, 0, v);
		fp_counter_add(&wr, 0, 1);
	}
	/* The second half five at a time: fp_hist_record_n is one update per batch. */
	while (v <= WRITES) {
		uint32_t n = 0;

		for (; n < 5 && v <= WRITES; n++)
			batch[n] = v++;
		fp_hist_record_n(&wr, 0, batch, n);
		fp_counter_add(&wr, 0, n);
	}
	/* Release: pairs with the reader's acquire load of done. */
	__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	return 0;
}

static void
check_snapshot(const struct fp_hist *h, int exact)
{
	uint64_t c = h->count, total = 0;

	for (uint32_t b = 0; b < FP_HIST_BUCKETS; b++)
		total += h->bucket[b];
	TCHECK(total == c, "count %llu, buckets %llu", (unsigned long long)c,
	       (unsigned long long)total);
	if (!exact || c == 0)
		return;
	TCHECK(!(h->seq & 1), "an exact snapshot has an even seq");
	TCHECK(h->sum == c * (c + 1) / 2, "count %llu sum %llu", (unsigned long long)c,
	       (unsigned long long)h->sum);
	TCHECK(h->min == 1 && h->max == c, "min %llu max %llu count %llu",
	       (unsigned long long)h->min, (unsigned long long)h->max, (unsigned long long)c);
	TCHECK(h->bucket[fp_hist_index(c)] > 0, "the last value's bucket is empty");
}

static void
snapshots_beside_a_writer_are_exact_or_say_they_are_not(void)
{
	static struct fp_hist snap;
	uint64_t last = 0, last_ctr = 0, exact = 0, rough = 0;
	pthread_t t;

	TCHECK(!fp_metrics_init(&wr, page, sizeof(page), 1), "init");
	TCHECK(!fp_metrics_attach(&rd, page, sizeof(page)), "attach");
	TCHECK(!pthread_create(&t, 0, writer, 0), "thread");
	while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
		int ok = fp_hist_snapshot(&rd, 0, &snap);
		uint64_t ctr = fp_counter_read(&rd, 0);

		check_snapshot(&snap, ok);
		if (ok) {
			TCHECK(snap.count >= last, "count went back");
			last = snap.count;
		}
		TCHECK(ctr >= last_ctr, "counter went back");
		last_ctr = ctr;
		ok ? exact++ : rough++;
	}
	pthread_join(t, 0);
	TCHECK(fp_hist_snapshot(&rd, 0, &snap) == 1, "a quiet histogram snapshots exactly");
	check_snapshot(&snap, 1);
	TCHECK(snap.count == WRITES, "%llu", (unsigned long long)snap.count);
	TCHECK(fp_counter_read(&rd, 0) == WRITES, "counter");
	printf("snapshot: %llu exact and %llu best-effort snapshots beside the writer\n",
	       (unsigned long long)exact, (unsigned long long)rough);
}

int
main(void)
{
	TRUN(snapshots_beside_a_writer_are_exact_or_say_they_are_not);
	return 0;
}
