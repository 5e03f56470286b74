/* lib/fastpath: the metrics page a partition writes and the host reads while it is being
 * written: named 64-bit counters and log-linear latency histograms (HDR-like, relative
 * error at most 2^-FP_HIST_SUB_BITS = 0.78%).  One writer per page.  The bucket math, the
 * error bound and the snapshot rule: docs/fastpath.md. */
#ifndef EXOLAB_FP_METRICS_H
#define EXOLAB_FP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "fp_ring.h"

/* Values below 2^FP_HIST_SUB_BITS have a bucket each; above, every power-of-two range
 * [2^e, 2^(e+1)) is cut into 2^(FP_HIST_SUB_BITS-1) buckets of equal width 2^(e-6). */
#define FP_HIST_SUB_BITS 7
#define FP_HIST_HALF     (1u << (FP_HIST_SUB_BITS - 1))
#define FP_HIST_BUCKETS  2048u
/* The first value beyond the last bucket: 2^37 (39 s at 3.5 GHz); larger values count in
 * the last bucket and in `overflow`, and max stays exact. */
#define FP_HIST_LIMIT (1ull << 37)

#define FP_METRICS_MAGIC    0x464d4554u /* "FMET" */
#define FP_METRICS_COUNTERS 32
#define FP_METRICS_NAME     16
#define FP_SNAPSHOT_TRIES   16

struct fp_hist {
	uint32_t seq; /* odd while the writer is in the middle of an update */
	uint32_t pad;
	uint64_t count, sum, min, max, overflow;
	uint64_t bucket[FP_HIST_BUCKETS];
};

struct fp_metrics_shared {
	uint32_t magic;
	uint32_t nhists;
	uint8_t pad[FP_CACHELINE - 8];
	char counter_name[FP_METRICS_COUNTERS][FP_METRICS_NAME];
	char hist_name[8][FP_METRICS_NAME];
	uint64_t counter[FP_METRICS_COUNTERS];
	struct fp_hist hist[];
} __attribute__((aligned(FP_CACHELINE)));

#define FP_METRICS_HISTS 8 /* at most, the length of hist_name */

/* Either side's handle: the page and its number of histograms (private copy). */
struct fp_metrics {
	struct fp_metrics_shared *sh;
	uint32_t nhists;
};

/* The bucket of value v, and the value a bucket reports (its midpoint, see docs). */
uint32_t fp_hist_index(uint64_t v);
uint64_t fp_hist_lowest(uint32_t idx);
uint64_t fp_hist_value(uint32_t idx);

size_t fp_metrics_bytes(uint32_t nhists);
/* The writer lays out the page (names empty, everything zero).  0 or an E_* code. */
int fp_metrics_init(struct fp_metrics *m, void *mem, size_t bytes, uint32_t nhists);
/* A reader's handle on a page another party laid out.  0 or an E_* code. */
int fp_metrics_attach(struct fp_metrics *m, void *mem, size_t bytes);
/* Writer, at setup: names shown by fpstat (cut to FP_METRICS_NAME - 1 bytes). */
void fp_metrics_name_counter(struct fp_metrics *m, uint32_t i, const char *name);
void fp_metrics_name_hist(struct fp_metrics *m, uint32_t i, const char *name);

/* Writer: counter i += delta; histogram i gets one value. */
void fp_counter_add(struct fp_metrics *m, uint32_t i, uint64_t delta);
void fp_hist_record(struct fp_metrics *m, uint32_t i, uint64_t v);
/* Writer: histogram i gets the n values v[0..n), as n fp_hist_record calls would, under one
 * update (a reader's snapshot holds all of them or none). */
void fp_hist_record_n(struct fp_metrics *m, uint32_t i, const uint64_t *v, uint32_t n);

/* Reader: counter i (each counter alone is never torn; two counters are not read at one
 * instant). */
uint64_t fp_counter_read(const struct fp_metrics *m, uint32_t i);
/* Reader: a copy of histogram i into *out.  Returns 1 when the copy is exact (no update
 * overlapped it), 0 when FP_SNAPSHOT_TRIES copies all overlapped an update: then *out is
 * the last copy with count set to the sum of its buckets, so its percentiles agree. */
int fp_hist_snapshot(const struct fp_metrics *m, uint32_t i, struct fp_hist *out);

/* The value at quantile ppm/10^6 of a snapshot: the reported value (fp_hist_value) of the
 * bucket holding the ceil(count * ppm / 10^6)-th smallest value, held within [min, max];
 * the top rank is max exactly; 0 for an empty histogram. */
uint64_t fp_hist_percentile(const struct fp_hist *h, uint32_t ppm);

struct fp_hist_summary {
	uint64_t count, mean, p50, p90, p99, p999, p9999, max, overflow;
};
void fp_hist_summarize(const struct fp_hist *h, struct fp_hist_summary *s);

#endif
