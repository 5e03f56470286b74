/* Internals of the workload loader shared by its files: the loading context, which
 * tracks the JSON path being read so every error can name its file, line and column. */
#ifndef EXOSIM_LOAD_H
#define EXOSIM_LOAD_H

#include <jansson.h>
#include <stdbool.h>

#include "jsonpos.h"
#include "workload.h"

#define LD_MAX_DEPTH 16

struct ld {
	const char *name; /* the file, as the user wrote it */
	const char *text; /* its contents, for positions */
	size_t len;
	const struct wl_env *env;
	struct wl_error *err;
	struct jpos_seg path[LD_MAX_DEPTH];
	unsigned depth; /* may exceed LD_MAX_DEPTH; deeper steps are not kept */
	enum wl_rtapp_policy default_policy;
	struct wl_task *owner; /* the task being read: owns EMPIRICAL tables */
	uint64_t footprint;    /* events + empirical values loaded so far */
};

void ld_push_key(struct ld *ld, const char *key);
void ld_push_index(struct ld *ld, size_t index);
void ld_pop(struct ld *ld);
/* Formats "FILE:LINE:COL: message" for the value at the current path (or its key, with
 * at_key) into ld->err and returns WL_E_INVALID. */
int ld_fail(struct ld *ld, bool at_key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same for an error with no JSON position. */
/* The whole file at `path` (at most WL_MAX_FILE bytes), NUL-terminated, malloc'd; NULL with
 * *code (WL_E_IO, WL_E_NOMEM) and a message without the path in msg.  The device loaders
 * (sim/nvme, sim/net) read their workloads and profiles through it too. */
char *ld_read_file(const char *path, size_t *len, int *code, char *msg, size_t msglen);
/* The file is a JSON object with member `key` (how exosim tells its workload kinds apart). */
bool ld_file_has_key(const char *path, const char *key);
int ld_fail_file(struct wl_error *err, const char *name, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Values (load_value.c).  Each reads the value at the current path. */
/* A time: a number of microseconds (rt-app), or a string "<number><unit>" with unit
 * ns, us, ms, s or cyc.  Converted to cycles with env->hz; >= 0. */
int ld_time(struct ld *ld, json_t *v, uint64_t *out);
/* "<number><unit>" (ns, us, ms, s, cyc; no unit = us) to cycles: 0, or -1 malformed,
 * -2 negative, -3 too large. */
int wl_parse_time(const char *s, uint64_t hz, uint64_t *out);
/* A time that must be > 0. */
int ld_time_pos(struct ld *ld, json_t *v, uint64_t *out);
/* A time or one of the distribution objects of struct wl_dist. */
int ld_dist(struct ld *ld, json_t *v, struct wl_dist *out);
/* A JSON integer in [lo, hi]. */
int ld_int(struct ld *ld, json_t *v, long long lo, long long hi, long long *out);
/* A positive number (JSON integer or real). */
int ld_positive(struct ld *ld, json_t *v, double *out);
const char *ld_type_name(const json_t *v);
/* One of the rt-app policy names ("SCHED_FIFO", ...). */
int ld_policy(struct ld *ld, json_t *v, enum wl_rtapp_policy *out);
/* Is `key` in the NULL-terminated `list`? */
bool ld_in_list(const char *key, const char *const *list);

/* Tasks (load_task.c): parses task object `v` named `name` into *t (zeroed by caller). */
int ld_task(struct ld *ld, const char *name, json_t *v, struct wl_task *t);

/* The scheduling keys a task object gave, by the name used (NULL = not given), so that
 * checks across keys can point at the right one. */
struct ld_given {
	const char *priority, *period, *deadline, *budget, *arrival;
};
/* Derives period/deadline/priority defaults and checks the task as a whole (load_params.c). */
int ld_task_params(struct ld *ld, const struct ld_given *g, struct wl_task *t);
/* "arrival": {"poisson": rate} or {"bursty": {"rate": r, "on": dist, "off": dist}}. */
int ld_arrival(struct ld *ld, json_t *v, struct wl_arrival *out);
/* "cpus": [c, ...] as an affinity mask. */
int ld_cpus(struct ld *ld, json_t *v, uint64_t *mask);

/* Frees what a task owns (not the task itself). */
void wl_task_release(struct wl_task *t);
/* Deep copy of *src named `name` into *dst; returns 0 or WL_E_NOMEM (dst then empty). */
int wl_task_clone(struct wl_task *dst, const struct wl_task *src, const char *name);
/* Gives task t its own copy of an EMPIRICAL distribution's table (no-op otherwise). */
int wl_task_own_dist(struct wl_task *t, struct wl_dist *d);
/* A new zeroed table of n values owned by task t (NULL when out of memory). */
uint64_t *wl_task_table(struct wl_task *t, size_t n);

#endif
