/* fpspin: the watchdog's test app (issue 15 item 3, docs/partitions.md "The watchdog").  On
 * its owned core it runs the fast-path poll loop with one source whose handler counts
 * iterations and records the gap between them; after `fpspin N` iterations the handler
 * spins for ever (a stuck handler: the heartbeat stops, nothing else does). */
#include <stdint.h>

#include "fp_log.h"
#include "fp_metrics.h"
#include "fp_poll.h"
#include "libos.h"
#include "partition.h"
#include "usyscall.h"
#include "xstring.h"

struct spin {
	struct fp_metrics met;
	uint64_t n, limit, last;
	struct fp_log *log;
};

static uint32_t
spin_poll(void *ctx, uint32_t budget)
{
	struct spin *s = ctx;
	uint64_t now = rdtsc();

	(void)budget;
	if (s->last != 0)
		fp_hist_record(&s->met, 0, now - s->last);
	s->last = now;
	fp_counter_add(&s->met, 0, 1);
	if (++s->n == s->limit) {
		fp_logf(s->log, FP_LOG_WARN, "handler stuck after %lu iterations", s->n);
		for (;;)
			__asm__ volatile("pause");
	}
	return 1;
}

int
main(int argc, char **argv)
{
	struct part_area a;
	struct fp_clock clk;
	struct fp_log log;
	static struct spin s;
	struct fp_source src = { .name = "spin", .poll = spin_poll, .ctx = &s };
	struct fp_poller p = { .src = &src, .nsrc = 1, .budget = 1 };
	int err;

	s.limit = argc > 1 ? (uint64_t)part_number(argv[1]) : 0;
	if ((err = part_area_wait(&a)) < 0)
		return 1;
	part_clock(&clk);
	if ((err = part_app_layout(&a, &clk, 64, 1, &log, &s.met)) < 0) {
		printf("fpspin: layout: %s\n", error_name(err));
		return 1;
	}
	fp_metrics_name_counter(&s.met, 0, "iterations");
	fp_metrics_name_hist(&s.met, 0, "loop cycles");
	s.log = &log;
	p.sh = &a.ctl->poll;
	fp_logf(&log, FP_LOG_INFO, "generation %u on cpu %ld, stuck after %lu", a.ctl->generation,
	        sys_cpu(), s.limit);
	part_app_ready(&a);
	fp_poll_run(&p);
	return 0;
}
