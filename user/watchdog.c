/* watchdog [-b] [-c CPU] [-s STALL_MS] [-r RESTARTS] [-n CHECKS] APP [ARGS...]: the host
 * partition's watchdog (issue 15 item 3, docs/partitions.md "The watchdog").  Starts APP on
 * an owned core (CPU 2 by default) with a shared area (partition.h), then once a millisecond
 * (sleep_until on the TSC) drains the app's log channel to the console and looks at its
 * heartbeat (watch_look, lib/user/watch.c).  A heartbeat unchanged for STALL_MS (10 by
 * default) is a stall: the watchdog says so, naming the core, and restarts the app there
 * (watch_restart: the core capability the claim was made through is revoked, so the kernel
 * stops the app at once whatever it is doing; the app is destroyed and started again).
 * After RESTARTS restarts (3 by default) the next stall ends the run; with -n the run also
 * ends after CHECKS looks.  Each restart prints the time from detection to the new app's
 * first heartbeat; -b prints the worst as BENCH lines (make bench-watchdog).  As init, its
 * words come from the kernel's tests= option, separated by commas (`tests=-n,200,fpspin`);
 * `tests=bench` is `-b -r 3 fpspin 300`. */
#include <stdint.h>

#include "abi/error.h"
#include "libos.h"
#include "partition.h"
#include "printfmt.h"
#include "usyscall.h"
#include "watch.h"
#include "xstring.h"

#define AREA_PAGES      16
#define START_MS        5000 /* an app that is not ready this long after its start is stuck */
#define LOG_PREFIX      "app"
#define RESTART_POLL_US 20 /* the check period while a restarted app has not beaten yet */
#define MAX_WORDS       16

struct wd {
	unsigned cpu;
	uint64_t restarts, done, checks, max_checks, stalls;
	char cmd[ABI_CMD_MAX];
	struct part_area area;
	struct part_app app;
	struct fp_log log;
	struct fp_metrics met;
	struct watch watch;
	int attached, bench;
	uint32_t gen;        /* the generation started last */
	uint64_t start_tsc;  /* when it was started */
	uint64_t detect_tsc; /* the last stall's detection, until the restarted app beats */
	uint64_t stall_tsc;  /* the stalled app's last heartbeat change seen */
	uint64_t freed_tsc;  /* the restart's app started again (watch_restart returned) */
	uint64_t late;       /* the longest a 1 ms wake-up came after its time */
	/* the worst restart's figures, in TSC cycles (-b) */
	uint64_t worst, worst_loop, worst_total, worst_detect, worst_restart;
};

static uint64_t
us(uint64_t cycles)
{
	return fp_cycles_to_ns(cycles, part_tsc_hz()) / 1000;
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The watchdog's side of a new generation: not attached, the heartbeat 0 seen now. */
static void
expect_new(struct wd *w, uint64_t now)
{
	w->attached = 0;
	w->start_tsc = now;
	watch_reset(&w->watch, 0, now);
}

static int
start(struct wd *w)
{
	int err;

	part_area_renew(&w->area, ++w->gen);
	expect_new(w, rdtsc());
	if ((err = part_app_start(&w->app, &w->area, w->cpu, w->cmd, 0)) < 0)
		printf("watchdog: cannot start '%s' on cpu %u: %s\n", w->cmd, w->cpu,
		       error_name(err));
	else
		printf("watchdog: started '%s' (generation %u) as env 0x%lx on cpu %u\n", w->cmd,
		       w->gen, w->app.envid, w->cpu);
	return err;
}

/* The last app's end: revoke, log, destroy. */
static void
finish(struct wd *w, const char *why)
{
	int err = part_app_revoke(&w->app);

	if (w->attached)
		part_log_drain(&w->log, w->area.ctl->tsc_hz, LOG_PREFIX);
	printf("watchdog: %s: heartbeat %lu; revoke %s, cpu %u free; env 0x%lx status %ld\n", why,
	       w->watch.beat, err < 0 ? error_name(err) : "ok", w->cpu, w->app.envid,
	       sys_env_status(w->app.eslot));
	part_app_destroy(&w->app);
}

/* A stall (or an app that never got ready): says so, then restarts (1) or ends (0). */
static int
stalled(struct wd *w, uint64_t now)
{
	uint64_t envid = w->app.envid;
	int err, rev;

	w->stalls++;
	w->detect_tsc = now;
	w->stall_tsc = w->watch.beat_tsc;
	printf("watchdog: stall: heartbeat %lu unchanged for %lu us (limit %lu us) on cpu %u; "
	       "revoking\n",
	       w->watch.beat, us(now - w->watch.beat_tsc), us(w->watch.limit), w->cpu);
	if (w->done == w->restarts) {
		finish(w, "no restart left");
		return 0;
	}
	w->done++;
	err = watch_restart(&w->app, &w->area, w->cmd, ++w->gen, &rev);
	w->freed_tsc = rdtsc();
	if (w->attached) /* the old app's last words: the area is renewed, not cleared */
		part_log_drain(&w->log, w->area.ctl->tsc_hz, LOG_PREFIX);
	expect_new(w, w->freed_tsc);
	printf("watchdog: revoke %s: env 0x%lx gone from cpu %u, restart %s (generation %u) "
	       "%lu us after detection\n",
	       rev < 0 ? error_name(rev) : "ok", envid, w->cpu, err < 0 ? error_name(err) : "ok",
	       w->gen, us(w->freed_tsc - now));
	if (err == 0)
		printf("watchdog: started '%s' (generation %u) as env 0x%lx on cpu %u\n", w->cmd,
		       w->gen, w->app.envid, w->cpu);
	return err == 0;
}

/* The first beat of a restarted app: the restart is complete. */
static void
restarted(struct wd *w, uint64_t now)
{
	uint64_t t = now - w->detect_tsc, loop = w->area.ctl->started_tsc - w->detect_tsc;

	w->worst = max64(w->worst, t);
	w->worst_loop = max64(w->worst_loop, loop);
	w->worst_total = max64(w->worst_total, now - w->stall_tsc);
	w->worst_detect = max64(w->worst_detect, w->detect_tsc - w->stall_tsc);
	w->worst_restart = max64(w->worst_restart, w->freed_tsc - w->detect_tsc);
	printf("watchdog: restart %lu: running again on cpu %u %lu us after detection (%lu TSC "
	       "cycles; loop began %lu us after; %lu us after the last heartbeat)\n",
	       w->done, w->cpu, us(t), t, us(loop), us(now - w->stall_tsc));
	w->detect_tsc = 0;
}

/* One look at the app; 0 ends the run. */
static int
check(struct wd *w)
{
	uint64_t now = rdtsc();
	int r;

	if (!w->attached) {
		if ((r = part_attach(&w->area, w->gen, &w->log, &w->met)) < 0) {
			printf("watchdog: the app's area is bad: %s\n", error_name(r));
			return stalled(w, now);
		}
		if (!r)
			return now - w->start_tsc > part_ms_to_tsc(START_MS) ? stalled(w, now) : 1;
		w->attached = 1;
		w->watch.beat_tsc = now; /* the limit counts from the app's readiness */
	}
	part_log_drain(&w->log, w->area.ctl->tsc_hz, LOG_PREFIX);
	switch (watch_look(&w->watch, fp_poll_heartbeat(&w->area.ctl->poll), now)) {
	case WATCH_STALLED:
		return stalled(w, now);
	case WATCH_BEAT:
		if (w->detect_tsc != 0)
			restarted(w, now);
		break;
	case WATCH_SAME:
		break;
	}
	if (++w->checks == w->max_checks) {
		finish(w, "checks done");
		return 0;
	}
	return 1;
}

static int
parse(struct wd *w, int argc, char **argv)
{
	uint64_t stall_ms = 10;
	long v, len = 0;
	int i = 1;

	w->cpu = 2;
	w->restarts = 3;
	for (; i < argc && strcmp(argv[i], "-b") == 0; i++)
		w->bench = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if ((v = part_number(argv[i + 1])) < 0)
			return -1;
		if (strcmp(argv[i], "-c") == 0)
			w->cpu = (unsigned)v;
		else if (strcmp(argv[i], "-s") == 0 && v > 0)
			stall_ms = (uint64_t)v;
		else if (strcmp(argv[i], "-r") == 0)
			w->restarts = (uint64_t)v;
		else if (strcmp(argv[i], "-n") == 0)
			w->max_checks = (uint64_t)v;
		else
			return -1;
	}
	if (i >= argc)
		return -1;
	for (; i < argc; i++)
		len += fmt_snprintf(w->cmd + len, sizeof(w->cmd) - (size_t)len, "%s%s",
		                    len ? " " : "", argv[i]);
	w->watch.limit = part_ms_to_tsc(stall_ms);
	return len < (long)sizeof(w->cmd) ? 0 : -1;
}

/* As init: the words of tests=, split at the commas (in place); their count. */
static int
init_words(char **argv)
{
	static char bench[] = "-b,-r,3,fpspin,300";
	static char copy[sizeof(libos_envinfo->tests)];
	char *s = copy;
	int n = 1;

	strlcpy(copy, libos_envinfo->tests, sizeof(copy));
	if (strcmp(s, "bench") == 0)
		s = bench;
	argv[0] = "watchdog";
	while (*s != '\0' && n < MAX_WORDS - 1) {
		argv[n++] = s;
		while (*s != '\0' && *s != ',')
			s++;
		if (*s == ',')
			*s++ = '\0';
	}
	argv[n] = NULL;
	return n;
}

/* -b: the worst restart's figures in TSC cycles, which under `qemu -icount shift=0` are
 * instructions (bench/fastpath/watchdog.mk explains the conversion to the Legion's ms). */
static void
bench(const struct wd *w)
{
	printf("BENCH watchdog_restart %lu instructions\n"
	       "BENCH watchdog_restart_loop %lu instructions\n"
	       "BENCH watchdog_detect %lu instructions\n"
	       "BENCH watchdog_stall_to_restart %lu instructions\n"
	       "BENCH watchdog_revoke_respawn %lu instructions\n"
	       "BENCH watchdog_tsc_hz %lu hz\n",
	       w->worst, w->worst_loop, w->worst_detect, w->worst_total, w->worst_restart,
	       part_tsc_hz());
}

/* Looks once a millisecond; while a restarted app has not beaten yet, every
 * RESTART_POLL_US, so the restart is confirmed when it runs, not at the next period. */
static void
watch_loop(struct wd *w)
{
	uint64_t next, t, period = part_ms_to_tsc(1), nap = period * RESTART_POLL_US / 1000;

	for (next = rdtsc() + period;;) {
		sys_sleep_until(next, 0);
		t = rdtsc();
		if (t > next && t - next > w->late)
			w->late = t - next;
		if (!check(w))
			return;
		next = w->detect_tsc != 0 ? rdtsc() + nap : next + period;
		if (next < rdtsc()) /* a restart took longer than a period: no catching up */
			next = rdtsc();
	}
}

int
main(int argc, char **argv)
{
	static struct wd w;
	static char *words[MAX_WORDS];
	int err;

	if (argc == 1 && libos_envinfo->tests[0] != '\0') {
		argc = init_words(words);
		argv = words;
	}
	if (parse(&w, argc, argv) < 0) {
		printf("usage: watchdog [-b] [-c CPU] [-s STALL_MS] [-r RESTARTS] [-n CHECKS] APP "
		       "[ARGS...]\n");
		return 2;
	}
	if ((err = part_area_alloc(&w.area, AREA_PAGES, w.cpu)) < 0 || (err = start(&w)) < 0) {
		printf("watchdog: %s\n", error_name(err));
		part_area_free(&w.area);
		return 1;
	}
	printf("watchdog: checking every 1 ms, stall after %lu us, tsc %lu Hz\n", us(w.watch.limit),
	       part_tsc_hz());
	watch_loop(&w);
	part_area_free(&w.area);
	printf("watchdog: done: %lu checks, %lu stalls, %lu restarts, worst detection to running "
	       "again %lu us (%lu TSC cycles); wake-ups up to %lu us late\n",
	       w.checks, w.stalls, w.done, us(w.worst), w.worst, us(w.late));
	if (w.bench)
		bench(&w);
	return 0;
}
