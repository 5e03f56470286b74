/* lib/fastpath: the log channel (fp_log.h): records into a ring, drops counted, lines out. */
#include <stdarg.h>

#include "abi/error.h"
#include "fp_log.h"
#include "printfmt.h"
#include "fp_str.h"

_Static_assert(sizeof(struct fp_log_rec) == 64, "a log record is one cache line");

size_t
fp_log_bytes(uint32_t nrecs)
{
	return offsetof(struct fp_log_shared, ring) +
	       fp_ring_bytes(nrecs, sizeof(struct fp_log_rec));
}

int
fp_log_init(struct fp_log *l, void *mem, size_t bytes, uint32_t nrecs, const struct fp_clock *clk)
{
	size_t off = offsetof(struct fp_log_shared, ring);
	int err;

	if (!l || !mem || !clk || bytes < off)
		return E_INVAL;
	err = fp_ring_init(&l->ring, FP_RING_PRODUCER, (uint8_t *)mem + off, bytes - off, nrecs,
	                   sizeof(struct fp_log_rec));
	if (err)
		return err;
	l->sh = mem;
	l->sh->drops = 0;
	l->clk = *clk;
	l->seq = 0;
	l->drops = 0;
	return 0;
}

int
fp_log_attach(struct fp_log *l, void *mem, size_t bytes)
{
	size_t off = offsetof(struct fp_log_shared, ring);
	int err;

	if (!l || !mem || bytes < off)
		return E_INVAL;
	err = fp_ring_attach(&l->ring, FP_RING_CONSUMER, (uint8_t *)mem + off, bytes - off,
	                     sizeof(struct fp_log_rec));
	if (err)
		return err;
	l->sh = mem;
	l->clk = (struct fp_clock){ 0 };
	l->seq = 0;
	l->drops = 0;
	return 0;
}

static int
log_put(struct fp_log *l, struct fp_log_rec *rec, enum fp_log_level level)
{
	rec->tsc = fp_now(&l->clk);
	rec->seq = l->seq++;
	rec->level = (uint8_t)level;
	if (fp_ring_enqueue(&l->ring, rec, 1) == 1)
		return 0;
	/* Relaxed: a statistic read by the host (fp_log_drops); a single writer, so a plain
	 * increment of the private copy and an untorn store are enough. */
	__atomic_store_n(&l->sh->drops, ++l->drops, __ATOMIC_RELAXED);
	return E_AGAIN;
}

int
fp_log_write(struct fp_log *l, enum fp_log_level level, const char *msg)
{
	struct fp_log_rec rec;

	memset(&rec, 0, sizeof(rec));
	fp_copy_str(rec.msg, msg, sizeof(rec.msg));
	return log_put(l, &rec, level);
}

int
fp_logf(struct fp_log *l, enum fp_log_level level, const char *fmt, ...)
{
	struct fp_log_rec rec;
	va_list ap;

	memset(&rec, 0, sizeof(rec));
	va_start(ap, fmt);
	fmt_vsnprintf(rec.msg, sizeof(rec.msg), fmt, ap);
	va_end(ap);
	return log_put(l, &rec, level);
}

int
fp_log_read(struct fp_log *l, struct fp_log_rec *rec, uint32_t *gap)
{
	if (fp_ring_dequeue(&l->ring, rec, 1) != 1)
		return 0;
	rec->msg[FP_LOG_MSG - 1] = '\0'; /* the writer is not trusted to terminate it */
	*gap = rec->seq - l->seq;
	l->seq = rec->seq + 1;
	return 1;
}

uint64_t
fp_log_drops(const struct fp_log *l)
{
	return __atomic_load_n(&l->sh->drops, __ATOMIC_RELAXED);
}

int
fp_log_format(const struct fp_log_rec *rec, uint64_t hz, char *buf, size_t n)
{
	static const char *const names[] = { "ERR", "WARN", "INFO", "DEBUG" };
	const char *lv = rec->level < 4 ? names[rec->level] : "?";
	uint64_t ns;

	if (hz == 0)
		return fmt_snprintf(buf, n, "[%llu c] %s %.*s", (unsigned long long)rec->tsc, lv,
		                    FP_LOG_MSG - 1, rec->msg);
	ns = fp_cycles_to_ns(rec->tsc, hz);
	return fmt_snprintf(buf, n, "[%llu.%09llu] %s %.*s", (unsigned long long)(ns / 1000000000u),
	                    (unsigned long long)(ns % 1000000000u), lv, FP_LOG_MSG - 1, rec->msg);
}

uint32_t
fp_log_drain(struct fp_log *l, uint64_t hz, void (*out)(void *ctx, const char *line), void *ctx)
{
	struct fp_log_rec rec;
	char line[FP_LOG_MSG + 48];
	uint32_t gap, n = 0;

	while (fp_log_read(l, &rec, &gap)) {
		if (gap) {
			fmt_snprintf(line, sizeof(line), "... %u records dropped", gap);
			out(ctx, line);
		}
		fp_log_format(&rec, hz, line, sizeof(line));
		out(ctx, line);
		n++;
	}
	return n;
}
