/* lib/fastpath: the log channel.  The partition writes fixed-size records (its TSC, a
 * level, a short message) into an SPSC ring it shares with the host partition; the host
 * drains and formats them.  Order is the ring's; a record that finds the ring full is
 * dropped and counted, never waited for (the fast path does not block on its log). */
#ifndef EXOLAB_FP_LOG_H
#define EXOLAB_FP_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "fp_ring.h"
#include "fp_time.h"

enum fp_log_level { FP_LOG_ERR, FP_LOG_WARN, FP_LOG_INFO, FP_LOG_DEBUG };

#define FP_LOG_MSG 48 /* message bytes per record, NUL included: a record is 64 bytes */

struct fp_log_rec {
	uint64_t tsc;
	uint32_t seq; /* every write attempt's number, so the reader sees where drops were */
	uint8_t level;
	uint8_t pad[3];
	char msg[FP_LOG_MSG];
};

/* The shared layout: the drop counter on its own line (the writer's), then the ring. */
struct fp_log_shared {
	uint64_t drops;
	uint8_t pad[FP_CACHELINE - 8];
	struct fp_ring_shared ring;
} __attribute__((aligned(FP_CACHELINE)));

struct fp_log {
	struct fp_ring ring;
	struct fp_log_shared *sh;
	struct fp_clock clk; /* the writer's clock, a copy (fp_log_init) */
	uint32_t seq;        /* writer: next seq; reader: seq expected next */
	uint64_t drops;      /* writer: private copy of sh->drops */
};

size_t fp_log_bytes(uint32_t nrecs);
/* The writer (partition) lays out the channel; nrecs a power of two.  0 or an E_* code.
 * *clk is copied: it may be a local of the caller's that goes out of scope. */
int fp_log_init(struct fp_log *l, void *mem, size_t bytes, uint32_t nrecs,
                const struct fp_clock *clk);
/* The reader (host) attaches to a channel the writer laid out.  0 or an E_* code. */
int fp_log_attach(struct fp_log *l, void *mem, size_t bytes);

/* Writer: one record, the message cut to FP_LOG_MSG - 1 bytes.  0, or E_AGAIN when the
 * ring was full and the record was dropped (and counted). */
int fp_log_write(struct fp_log *l, enum fp_log_level level, const char *msg);
int fp_logf(struct fp_log *l, enum fp_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reader: the oldest record into *rec; 1, or 0 when the channel is empty.  *gap is the
 * number of records dropped just before this one (from the seq numbers). */
int fp_log_read(struct fp_log *l, struct fp_log_rec *rec, uint32_t *gap);
/* Reader: the writer's drop count so far. */
uint64_t fp_log_drops(const struct fp_log *l);
/* One line, "[seconds.nanoseconds] LEVEL message" (or "[cycles c]" when hz is 0), NUL
 * terminated in buf; returns what fmt_snprintf returns. */
int fp_log_format(const struct fp_log_rec *rec, uint64_t hz, char *buf, size_t n);
/* Reader: formats every record present and passes each line to out (a line
 * "... N records dropped" before a gap); returns the number of records read. */
uint32_t fp_log_drain(struct fp_log *l, uint64_t hz, void (*out)(void *ctx, const char *line),
                      void *ctx);

#endif
