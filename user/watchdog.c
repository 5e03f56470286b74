/* watchdog [-c CPU] [-s STALL_MS] [-r RESTARTS] APP [ARGS...]: the host partition's watchdog
 * (issue 15 item 3, docs/partitions.md "The watchdog").  Starts APP on an owned core (CPU 2
 * by default) with a shared area (partition.h), then once a millisecond (sleep_until on the
 * TSC) drains the app's log channel to the console and reads its heartbeat.  A heartbeat
 * unchanged for STALL_MS (10 by default) is a stall: the watchdog revokes the core
 * capability the claim was made through (the kernel stops the app at once, whatever it is
 * doing), says why, destroys the app and starts it again on the same core.  After RESTARTS
 * restarts (3 by default) the next stall ends the run.  Each restart prints the time from
 * detection to the new app's loop, in TSC cycles and microseconds. */
#include <stdint.h>

#include "abi/error.h"
#include "libos.h"
#include "partition.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define AREA_PAGES      16
#define START_MS        5000 /* an app that is not ready this long after its start is stuck */
#define LOG_PREFIX      "app"
#define RESTART_POLL_US 20 /* the check period while a restarted app has not beaten yet */

struct wd {
	unsigned cpu;
	uint64_t stall, restarts, done;
	char cmd[ABI_CMD_MAX];
	struct part_area area;
	struct part_app app;
	struct fp_log log;
	struct fp_metrics met;
	int attached;
	uint64_t beat, beat_tsc, start_tsc, detect_tsc, worst;
	uint32_t gen;       /* the generation started last */
	uint64_t stall_tsc; /* the stalled app's last heartbeat change: the stall's start */
	uint64_t late;      /* the longest a 1 ms wake-up came after its time */
	int bench;          /* -b: print BENCH lines at the end */
	uint64_t worst_total, worst_detect, worst_revoke, worst_spawn, worst_loop; /* -b */
	uint64_t revoke_tsc, spawn_tsc; /* the last restart's phases: revoke done, spawn done */
};

static uint64_t
us(uint64_t cycles)
{
	return fp_cycles_to_ns(cycles, part_tsc_hz()) / 1000;
}

static int
start(struct wd *w)
{
	struct part_ctl *c = w->area.ctl;
	int err;

	c->generation = ++w->gen; /* the app may write the block: the count is kept here */
	__atomic_store_n(&c->ready, 0, __ATOMIC_RELEASE);
	c->poll.heartbeat = 0;
	c->poll.stop = 0;
	w->attached = 0;
	w->beat = 0;
	w->start_tsc = w->beat_tsc = rdtsc();
	if ((err = part_app_start(&w->app, &w->area, w->cpu, w->cmd, 0)) < 0)
		printf("watchdog: cannot start '%s' on cpu %u: %s\n", w->cmd, w->cpu,
		       error_name(err));
	else
		printf("watchdog: started '%s' (generation %u) as env 0x%lx on cpu %u\n", w->cmd,
		       w->gen, w->app.envid, w->cpu);
	return err;
}

/* Revokes, says why, destroys; then restarts (1) or ends the run (0). */
static int
stalled(struct wd *w, uint64_t now)
{
	uint64_t t;
	int err;

	w->detect_tsc = now;
	w->stall_tsc = w->beat_tsc;
	printf("watchdog: stall: heartbeat %lu unchanged for %lu us (limit %lu us); revoking "
	       "cpu %u\n",
	       w->beat, us(now - w->beat_tsc), us(w->stall), w->cpu);
	err = part_app_revoke(&w->app);
	t = rdtsc();
	if (w->attached)
		part_log_drain(&w->log, w->area.ctl->tsc_hz, LOG_PREFIX);
	printf("watchdog: revoke %s: cpu %u free %lu us after detection; env 0x%lx status %ld\n",
	       err < 0 ? error_name(err) : "ok", w->cpu, us(t - now), w->app.envid,
	       sys_env_status(w->app.eslot));
	part_app_destroy(&w->app);
	w->revoke_tsc = rdtsc();
	if (w->done == w->restarts)
		return 0;
	w->done++;
	err = start(w);
	w->spawn_tsc = rdtsc();
	return err == 0;
}

static uint64_t
max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The first beat of a restarted app: the restart is complete. */
static void
restarted(struct wd *w, uint64_t now)
{
	uint64_t t = now - w->detect_tsc;

	w->worst = t > w->worst ? t : w->worst;
	w->worst_total = max64(w->worst_total, now - w->stall_tsc);
	w->worst_detect = max64(w->worst_detect, w->detect_tsc - w->stall_tsc);
	w->worst_revoke = max64(w->worst_revoke, w->revoke_tsc - w->detect_tsc);
	w->worst_spawn = max64(w->worst_spawn, w->spawn_tsc - w->revoke_tsc);
	w->worst_loop = max64(w->worst_loop, w->area.ctl->started_tsc - w->detect_tsc);
	printf("watchdog: restart %lu: running again %lu us after detection (%lu TSC cycles; "
	       "loop began %lu us after; %lu us after the last heartbeat)\n",
	       w->done, us(t), t, us(w->area.ctl->started_tsc - w->detect_tsc),
	       us(now - w->stall_tsc));
	w->detect_tsc = 0;
}

/* One millisecond's check; 0 ends the run. */
static int
check(struct wd *w)
{
	uint64_t now = rdtsc(), beat;
	int r;

	if (!w->attached) {
		if ((r = part_attach(&w->area, w->gen, &w->log, &w->met)) < 0) {
			printf("watchdog: the app's area is bad: %s\n", error_name(r));
			return stalled(w, now);
		}
		w->attached = r;
		if (!r && now - w->start_tsc > part_ms_to_tsc(START_MS))
			return stalled(w, now);
		if (r)
			w->beat_tsc = now;
	}
	if (!w->attached)
		return 1;
	part_log_drain(&w->log, w->area.ctl->tsc_hz, LOG_PREFIX);
	beat = fp_poll_heartbeat(&w->area.ctl->poll);
	if (beat != w->beat) {
		w->beat = beat;
		w->beat_tsc = now;
		if (w->detect_tsc != 0)
			restarted(w, now);
		return 1;
	}
	return now - w->beat_tsc > w->stall ? stalled(w, now) : 1;
}

static int
parse(struct wd *w, int argc, char **argv)
{
	long v, len = 0;
	int i = 1;

	w->cpu = 2;
	w->stall = 10;
	w->restarts = 3;
	for (; i < argc && strcmp(argv[i], "-b") == 0; i++)
		w->bench = 1;
	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if ((v = part_number(argv[i + 1])) < 0)
			return -1;
		if (strcmp(argv[i], "-c") == 0)
			w->cpu = (unsigned)v;
		else if (strcmp(argv[i], "-s") == 0 && v > 0)
			w->stall = (uint64_t)v;
		else if (strcmp(argv[i], "-r") == 0)
			w->restarts = (uint64_t)v;
		else
			return -1;
	}
	if (i >= argc)
		return -1;
	for (; i < argc; i++)
		len += fmt_snprintf(w->cmd + len, sizeof(w->cmd) - (size_t)len, "%s%s",
		                    len ? " " : "", argv[i]);
	w->stall = part_ms_to_tsc(w->stall);
	return len < (long)sizeof(w->cmd) ? 0 : -1;
}

/* -b: the worst restart's figures in TSC cycles, which under `qemu -icount shift=0` are
 * instructions (bench/fastpath/watchdog.mk explains the conversion to the Legion's ms). */
static void
bench(const struct wd *w)
{
	printf("BENCH watchdog_restart %lu instructions\n"
	       "BENCH watchdog_restart_loop %lu instructions\n"
	       "BENCH watchdog_stall_to_restart %lu instructions\n"
	       "BENCH watchdog_detect %lu instructions\n"
	       "BENCH watchdog_revoke_destroy %lu instructions\n"
	       "BENCH watchdog_spawn %lu instructions\n"
	       "BENCH watchdog_tsc_hz %lu hz\n",
	       w->worst, w->worst_loop, w->worst_total, w->worst_detect, w->worst_revoke,
	       w->worst_spawn, part_tsc_hz());
}

int
main(int argc, char **argv)
{
	static struct wd w;
	static char *bench_argv[] = { "watchdog", "-b", "-r", "3", "fpspin", "300", NULL };
	uint64_t next, t, period = part_ms_to_tsc(1), nap = period * RESTART_POLL_US / 1000;
	int err;

	if (argc == 1 && strcmp(libos_envinfo->tests, "bench") == 0) {
		argc = 6; /* as init, `tests=bench`: make bench-watchdog */
		argv = bench_argv;
	}
	if (parse(&w, argc, argv) < 0) {
		printf("usage: watchdog [-b] [-c CPU] [-s STALL_MS] [-r RESTARTS] APP [ARGS...]\n");
		return 2;
	}
	if ((err = part_area_alloc(&w.area, AREA_PAGES, w.cpu)) < 0 || (err = start(&w)) < 0) {
		printf("watchdog: %s\n", error_name(err));
		part_area_free(&w.area);
		return 1;
	}
	printf("watchdog: checking every 1 ms, stall after %lu us, tsc %lu Hz\n", us(w.stall),
	       part_tsc_hz());
	for (next = rdtsc() + period;;) {
		sys_sleep_until(next, 0);
		t = rdtsc();
		if (t > next && t - next > w.late)
			w.late = t - next;
		if (!check(&w))
			break;
		/* A restarted app that has not beaten yet is looked at every RESTART_POLL_US:
		 * the restart is confirmed when it runs, not at the next whole period. */
		next = w.detect_tsc != 0 ? rdtsc() + nap : next + period;
		if (next < rdtsc()) /* a restart took longer than a period: no catching up */
			next = rdtsc();
	}
	part_area_free(&w.area);
	printf("watchdog: done: %lu restarts, worst detection to running again %lu us (%lu TSC "
	       "cycles); wake-ups up to %lu us late\n",
	       w.done, us(w.worst), w.worst, us(w.late));
	if (w.bench)
		bench(&w);
	return 0;
}
