/* lib/fastpath's log channel (ASan + UBSan): records arrive in order with the writer's clock,
 * a full ring drops and counts, the reader sees where the drops were, lines are formatted
 * in seconds from the partition's TSC, and a writer's unterminated message stays bounded. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "abi/error.h"
#include "fp_log.h"

static _Alignas(64) uint8_t mem[sizeof(struct fp_log_shared) + 8 * sizeof(struct fp_log_rec)];
static struct fp_log w, r;
static uint64_t tick;

/* The partition's clock in the test: 1000 cycles per write. */
static uint64_t
fake_tsc(void *ctx)
{
	return tick += 1000;
}

static const struct fp_clock clk = { fake_tsc, 0, 1000000000 };

static void
channel(void)
{
	tick = 0;
	cr_assert_eq(fp_log_init(&w, mem, sizeof(mem), 8, &clk), 0);
	cr_assert_eq(fp_log_attach(&r, mem, sizeof(mem)), 0);
}

static char lines[32][128];
static int nlines;

static void
collect(void *ctx, const char *line)
{
	snprintf(lines[nlines++], sizeof(lines[0]), "%s", line);
}

Test(log, records_arrive_in_order_with_the_writers_timestamps)
{
	struct fp_log_rec rec;
	uint32_t gap;

	channel();
	cr_assert_eq(fp_log_bytes(8), sizeof(mem));
	for (int i = 0; i < 5; i++)
		cr_assert_eq(fp_logf(&w, FP_LOG_INFO, "packet %d", i), 0);
	for (int i = 0; i < 5; i++) {
		char want[32];

		cr_assert_eq(fp_log_read(&r, &rec, &gap), 1);
		snprintf(want, sizeof(want), "packet %d", i);
		cr_assert_str_eq(rec.msg, want);
		cr_assert_eq(rec.tsc, 1000u * (i + 1));
		cr_assert_eq(rec.seq, (uint32_t)i);
		cr_assert_eq(gap, 0u);
	}
	cr_assert_eq(fp_log_read(&r, &rec, &gap), 0);
}

Test(log, a_full_channel_drops_counts_and_the_reader_sees_the_gap)
{
	channel();
	for (int i = 0; i < 8; i++)
		cr_assert_eq(fp_logf(&w, FP_LOG_WARN, "m%d", i), 0);
	cr_assert_eq(fp_log_write(&w, FP_LOG_ERR, "lost 1"), E_AGAIN);
	cr_assert_eq(fp_log_write(&w, FP_LOG_ERR, "lost 2"), E_AGAIN);
	cr_assert_eq(fp_log_drops(&r), 2u);
	nlines = 0;
	cr_assert_eq(fp_log_drain(&r, 0, collect, 0), 8u);
	cr_assert_eq(fp_log_write(&w, FP_LOG_ERR, "after"), 0);
	cr_assert_eq(fp_log_drain(&r, 0, collect, 0), 1u);
	cr_assert_eq(nlines, 10);
	cr_assert_str_eq(lines[0], "[1000 c] WARN m0");
	cr_assert_str_eq(lines[7], "[8000 c] WARN m7");
	cr_assert_str_eq(lines[8], "... 2 records dropped");
	cr_assert_str_eq(lines[9], "[11000 c] ERR after");
	cr_assert_eq(fp_log_drops(&r), 2u);
}

Test(log, lines_show_seconds_from_the_tsc_and_long_messages_are_cut)
{
	struct fp_log_rec rec;
	char line[128], longmsg[100];
	uint32_t gap;

	channel();
	tick = 2500000000ull - 1000; /* the record's stamp: 2.5 s at 1 GHz */
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	fp_log_write(&w, FP_LOG_DEBUG, longmsg);
	cr_assert_eq(fp_log_read(&r, &rec, &gap), 1);
	cr_assert_eq(strlen(rec.msg), FP_LOG_MSG - 1u);
	fp_log_format(&rec, clk.hz, line, sizeof(line));
	cr_assert_str_eq(line,
	                 "[2.500000000] DEBUG mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm");
}

Test(log, the_reader_does_not_trust_the_writer_to_terminate_a_message)
{
	struct fp_log_rec rec;
	struct fp_log_shared *sh = (struct fp_log_shared *)mem;
	char line[128];
	uint32_t gap;

	channel();
	fp_log_write(&w, FP_LOG_INFO, "ok");
	memset(((struct fp_log_rec *)sh->ring.slots)->msg, 'A', FP_LOG_MSG);
	((struct fp_log_rec *)sh->ring.slots)->level = 200;
	cr_assert_eq(fp_log_read(&r, &rec, &gap), 1);
	cr_assert_eq(strlen(rec.msg), FP_LOG_MSG - 1u);
	fp_log_format(&rec, 0, line, sizeof(line));
	cr_assert_eq(strncmp(line, "[1000 c] ? AAA", 14), 0, "got %s", line);
}

/* A clock that must never be read: it stands for whatever reuses the caller's memory. */
static uint64_t
reused_tsc(void *ctx)
{
	return 7;
}

/* The writer copies the clock at init: the struct passed in may be a local that goes out of
 * scope.  user/l2fwd.c passes one from a setup function; when run()'s stage table later took
 * its stack slot, a log that had kept the pointer called the table's first word (the string
 * "rx stage") as the clock and died of an exec fault (docs/l2fwd.md). */
Test(log, the_writer_keeps_its_own_copy_of_the_clock)
{
	struct fp_clock mine = clk;
	struct fp_log_rec rec;
	uint32_t gap;

	tick = 0;
	cr_assert_eq(fp_log_init(&w, mem, sizeof(mem), 8, &mine), 0);
	cr_assert_eq(fp_log_attach(&r, mem, sizeof(mem)), 0);
	mine = (struct fp_clock){ reused_tsc, &mine, 1 };
	cr_assert_eq(fp_log_write(&w, FP_LOG_INFO, "after the reuse"), 0);
	cr_assert_eq(fp_log_read(&r, &rec, &gap), 1);
	cr_assert_eq(rec.tsc, 1000u, "stamped %lu: the log read the caller's reused struct",
	             (unsigned long)rec.tsc);
}
