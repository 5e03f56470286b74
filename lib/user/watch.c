/* The watchdog's stall detection and restart (watch.h; lab 6 part B): the decision a
 * host-partition watchdog takes once a millisecond from an app's heartbeat, and the restart
 * of a stalled app on the core it owned (docs/partitions.md "The watchdog"). */
#include <stdint.h>

#include "abi/error.h"
#include "partition.h"
#include "watch.h"

void
watch_reset(struct watch *w, uint64_t beat, uint64_t now)
{
	w->beat = beat;
	w->beat_tsc = now;
}

enum watch_verdict
watch_look(struct watch *w, uint64_t beat, uint64_t now)
{
	/* LAB 6: compare the heartbeat with the value last seen.  A new value is progress:
	 * remember it and when it was first seen.  The same value is a stall once it has been
	 * seen unchanged for longer than w->limit, counted from the look that first saw it (the
	 * app's own clock is not to be trusted: it is the one that may be stuck). */
	/* BEGIN LAB 6 */
	if (beat != w->beat) {
		w->beat = beat;
		w->beat_tsc = now;
		return WATCH_BEAT;
	}
	return now - w->beat_tsc > w->limit ? WATCH_STALLED : WATCH_SAME;
	/* END LAB 6 */
	/* STUB LAB 6: return WATCH_STALLED; */
}

int
watch_restart(struct part_app *app, struct part_area *a, const char *cmd, uint32_t gen,
              int *revoked)
{
	/* LAB 6: take the core back first (part_app_revoke: the kernel stops the app whatever
	 * it is doing, and the core is free when it returns), only then destroy the app
	 * (part_app_destroy); with nothing left to write the area, renew it for the new
	 * generation (part_area_renew) and start the command again on the same core with it
	 * (part_app_start, no device).  A failed revoke is reported in *revoked; destroy and
	 * restart anyway (the app's death also frees its core). */
	/* BEGIN LAB 6 */
	unsigned cpu = app->cpu;

	*revoked = part_app_revoke(app);
	part_app_destroy(app);
	part_area_renew(a, gen);
	return part_app_start(app, a, cpu, cmd, 0);
	/* END LAB 6 */
	/* STUB LAB 6: *revoked = E_NOSYS; return E_NOSYS; */
}
