/* libFuzzer target: the workload loader must turn any bytes into either a workload or one
 * diagnostic, never a crash, a leak or undefined behaviour; loaded workloads are also
 * sampled so the distribution and arrival code sees what the loader lets through. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "workload/workload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
exercise(const struct workload *w)
{
	struct rng r;

	rng_stream(&r, 1, "fuzz", 0);
	(void)wl_utilisation(w);
	(void)wl_hyperperiod(w);
	for (uint32_t i = 0; i < w->ntasks && i < 16; i++) {
		const struct wl_task *t = &w->tasks[i];
		struct wl_arrival_state s;

		for (uint32_t p = 0; p < t->nphases && p < 64; p++)
			(void)wl_dist_sample(&t->phases[p].dist, &r);
		memset(&s, 0, sizeof(s));
		for (int k = 0; k < 8; k++)
			(void)wl_arrival_next(t, &s, &r);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wl_env env = { .hz = 2592000000ULL, .ncpus = 12 };
	struct workload *w;
	struct wl_error err;

	if (wl_load_buffer((const char *)data, size, "fuzz.json", &env, &w, &err) == 0) {
		exercise(w);
		wl_free(w);
	} else if (err.msg[0] == '\0') {
		__builtin_trap(); /* every failure must explain itself */
	}
	return 0;
}
