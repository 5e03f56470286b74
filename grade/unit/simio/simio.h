/* Helpers shared by the exosim workload/metrics unit tests. */
#ifndef SIMIO_TEST_H
#define SIMIO_TEST_H

#include <string.h>

#include "workload/workload.h"

/* A 1 GHz machine with 4 hardware threads: 1 us = 1000 cycles, easy to check by hand. */
static const struct wl_env simio_env = { .hz = 1000000000ULL, .ncpus = 4 };

/* Loads `text` as file "w.json"; returns the loader's code. */
static inline int
simio_load(const char *text, struct workload **w, struct wl_error *err)
{
	return wl_load_buffer(text, strlen(text), "w.json", &simio_env, w, err);
}

#endif
