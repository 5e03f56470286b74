/* The watchdog's stall detection and restart (issue 15 item 3, lab 6 part B; user/watchdog.c
 * runs them once a millisecond, docs/partitions.md "The watchdog"). */
#ifndef EXOLAB_WATCH_H
#define EXOLAB_WATCH_H

#include <stdint.h>

#include "partition.h"

/* What the watchdog knows of one app's heartbeat. */
struct watch {
	uint64_t limit;    /* a heartbeat unchanged for longer than this is a stall (TSC cycles) */
	uint64_t beat;     /* the heartbeat value last seen */
	uint64_t beat_tsc; /* when the watchdog first saw that value */
};

enum watch_verdict {
	WATCH_SAME,    /* unchanged, but not for longer than the limit */
	WATCH_BEAT,    /* changed since the last look: the app made progress */
	WATCH_STALLED, /* unchanged for longer than the limit */
};

/* Starts watching a heartbeat whose value is `beat` at TSC `now`. */
void watch_reset(struct watch *w, uint64_t beat, uint64_t now);
/* One look: the heartbeat reads `beat` at TSC `now` (never before the last look's). */
enum watch_verdict watch_look(struct watch *w, uint64_t beat, uint64_t now);
/* The stalled app on an owned core: revokes the core capability its claim was made
 * through (the kernel stops the app; the core is free when that returns), destroys the app,
 * renews the area for generation `gen` and starts `cmd` again on the same core with it
 * (part_app_start).  *revoked is the revoke's result (0 or an E_* code).  0 when the new
 * app was started, else an E_* code. */
int watch_restart(struct part_app *app, struct part_area *a, const char *cmd, uint32_t gen,
                  int *revoked);

#endif
