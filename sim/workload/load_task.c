/* Workload loader: one task object -- its properties, its events (directly or in rt-app
 * "phases", flattened in order with each phase's "loop"), and its timers. */
#include "load.h"
#include "sched.h" /* SCHED_STRIDE_MAX_TICKETS: the loader rejects what stride would */

#include <stdlib.h>
#include <string.h>

/* rt-app keys that only concern Linux; accepted and ignored at task and phase level. */
static const char *const ignored_keys[] = {
	"util_min", "util_max", "hold_ns", "taskgroup", "nodes_membind", NULL,
};
/* Properties exosim takes only at task level. */
static const char *const task_only_keys[] = {
	"instance",    "delay",  "policy",   "priority", "cpus",    "dl-runtime", "dl-period",
	"dl-deadline", "period", "deadline", "budget",   "tickets", "arrival",    NULL,
};
/* rt-app events exosim does not model. */
static const char *const unsupported_events[] = {
	"lock",    "unlock", "wait", "signal", "broad", "sync", "barrier",
	"suspend", "resume", "mem",  "iorun",  "fork",  NULL,
};

enum { EV_NONE = -1, EV_UNSUPPORTED = -2 };

/* rt-app names events by prefix so one object can hold several ("run0", "run1"):
 * `key` is event `name` if it is the name, or the name followed by a digit, '_' or '-'. */
static bool
is_event(const char *key, const char *name)
{
	size_t n = strlen(name);
	char c;

	if (strncmp(key, name, n) != 0)
		return false;
	c = key[n];
	return c == '\0' || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
event_kind(const char *key)
{
	static const struct {
		const char *name;
		int kind;
	} events[] = {
		{ "run", WL_PH_RUN }, { "runtime", WL_PH_RUN }, { "sleep", WL_PH_SLEEP },
		{ "io", WL_PH_IO },   { "yield", WL_PH_YIELD }, { "timer", WL_PH_TIMER },
	};

	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (is_event(key, events[i].name))
			return events[i].kind;
	for (const char *const *u = unsupported_events; *u; u++)
		if (is_event(key, *u))
			return EV_UNSUPPORTED;
	return EV_NONE;
}

/* Timer refs of the task being read; pointers into the JSON document. */
struct timers {
	const char *ref[WL_MAX_TIMERS];
	uint32_t n;
};

static int
timer_index(struct ld *ld, struct timers *tm, const char *ref, uint32_t *out)
{
	for (uint32_t i = 0; i < tm->n; i++) {
		if (strcmp(tm->ref[i], ref) == 0) {
			*out = i;
			return 0;
		}
	}
	if (tm->n == WL_MAX_TIMERS)
		return ld_fail(ld, false, "more than %d timers in one task", WL_MAX_TIMERS);
	tm->ref[tm->n] = ref;
	*out = tm->n++;
	return 0;
}

static int
timer_field(struct ld *ld, const char *key, json_t *v, struct wl_phase *p, const char **ref)
{
	if (strcmp(key, "ref") == 0) {
		if (!json_is_string(v))
			return ld_fail(ld, false, "timer \"ref\" must be a string");
		*ref = json_string_value(v);
		return 0;
	}
	if (strcmp(key, "period") == 0)
		return ld_time_pos(ld, v, &p->period);
	if (strcmp(key, "mode") == 0) {
		const char *m = json_is_string(v) ? json_string_value(v) : "";
		if (strcmp(m, "absolute") != 0 && strcmp(m, "relative") != 0)
			return ld_fail(ld, false,
			               "timer \"mode\" must be \"absolute\" or \"relative\"");
		p->absolute = strcmp(m, "absolute") == 0;
		return 0;
	}
	return ld_fail(ld, true, "unknown key \"%s\" in a timer (expected ref, period, mode)", key);
}

/* "timer": {"ref": name, "period": time, "mode": "relative" | "absolute"}. */
static int
ld_timer(struct ld *ld, json_t *v, struct timers *tm, struct wl_phase *p)
{
	const char *ref = "unique", *key;
	json_t *f;
	int rc = 0;

	if (!json_is_object(v))
		return ld_fail(ld, false, "a timer is an object {\"ref\", \"period\", \"mode\"}");
	json_object_foreach(v, key, f)
	{
		ld_push_key(ld, key);
		rc = timer_field(ld, key, f, p, &ref);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	if (p->period == 0)
		return ld_fail(ld, false, "a timer needs a \"period\"");
	return timer_index(ld, tm, ref, &p->timer);
}

/* Appends one event to the task; `key` is at the top of the path. */
static int
add_event(struct ld *ld, int kind, json_t *v, struct wl_task *t, struct timers *tm)
{
	struct wl_phase *grown, *p;

	if (kind == EV_UNSUPPORTED)
		return ld_fail(ld, true, "rt-app event \"%s\" is not modelled by exosim",
		               ld->path[ld->depth - 1].key);
	if (t->nphases >= WL_MAX_PHASES)
		return ld_fail(ld, true, "more than %d events in one task", WL_MAX_PHASES);
	grown = realloc(t->phases, (t->nphases + 1) * sizeof(*grown));
	if (!grown)
		return WL_E_NOMEM;
	t->phases = grown;
	p = &t->phases[t->nphases++];
	memset(p, 0, sizeof(*p));
	p->kind = (enum wl_phase_kind)kind;
	switch (p->kind) {
	case WL_PH_RUN:
	case WL_PH_SLEEP:
	case WL_PH_IO:
		return ld_dist(ld, v, &p->dist);
	case WL_PH_TIMER:
		return ld_timer(ld, v, tm, p);
	case WL_PH_YIELD:
		return 0; /* rt-app's argument is an unused string */
	}
	return 0;
}

/* Repeats the events [first, t->nphases) until they appear `loop` times in all. */
static int
repeat_events(struct ld *ld, struct wl_task *t, uint32_t first, long long loop)
{
	uint32_t n = t->nphases - first;
	struct wl_phase *grown;

	if (loop == 1 || n == 0)
		return 0;
	if (loop == 0) {
		t->nphases = first; /* tables stay owned by the task and are freed with it */
		return 0;
	}
	if ((unsigned long long)n * (unsigned long long)loop > WL_MAX_PHASES - first)
		return ld_fail(ld, false, "this phase flattens to more than %d events",
		               WL_MAX_PHASES);
	grown = realloc(t->phases, (first + n * loop) * sizeof(*grown));
	if (!grown)
		return WL_E_NOMEM;
	t->phases = grown;
	for (long long k = 1; k < loop; k++)
		memcpy(&t->phases[first + k * n], &t->phases[first], n * sizeof(*grown));
	t->nphases = (uint32_t)(first + n * loop);
	return 0;
}

/* One rt-app phase object: "loop" and events. */
static int
ld_phase(struct ld *ld, json_t *v, struct wl_task *t, struct timers *tm)
{
	uint32_t first = t->nphases;
	long long loop = 1;
	const char *key;
	json_t *f;
	int rc = 0;

	if (!json_is_object(v))
		return ld_fail(ld, false, "a phase must be an object, found %s", ld_type_name(v));
	json_object_foreach(v, key, f)
	{
		int kind = event_kind(key);

		ld_push_key(ld, key);
		if (strcmp(key, "loop") == 0)
			rc = ld_int(ld, f, 0, WL_MAX_PHASES, &loop);
		else if (kind != EV_NONE)
			rc = add_event(ld, kind, f, t, tm);
		else if (ld_in_list(key, task_only_keys))
			rc = ld_fail(ld, true,
			             "\"%s\" is not modelled per phase; set it on the task", key);
		else if (!ld_in_list(key, ignored_keys))
			rc = ld_fail(ld, true, "unknown key \"%s\" in a phase", key);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	if (json_object_get(v, "loop")) {
		ld_push_key(ld, "loop");
		rc = repeat_events(ld, t, first, loop);
		ld_pop(ld);
	}
	return rc;
}

static int
ld_phases(struct ld *ld, json_t *v, struct wl_task *t, struct timers *tm)
{
	const char *key;
	json_t *ph;
	int rc = 0;

	if (!json_is_object(v) || json_object_size(v) == 0)
		return ld_fail(ld, false, "\"phases\" must be an object with at least one phase");
	json_object_foreach(v, key, ph)
	{
		ld_push_key(ld, key);
		rc = ld_phase(ld, ph, t, tm);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	return 0;
}

/* One of two alias keys for the same parameter (rt-app "dl-period" or ExoLab "period"). */
static int
alias_time(struct ld *ld, const char *key, json_t *v, const char **given, uint64_t *out)
{
	if (*given)
		return ld_fail(ld, true, "both \"%s\" and \"%s\" given", *given, key);
	*given = key;
	return ld_time_pos(ld, v, out);
}

/* A task-level property; returns 1 if `key` is not one. */
static int
task_prop(struct ld *ld, const char *key, json_t *v, struct wl_task *t, struct ld_given *g)
{
	long long n;
	int rc;

	if (strcmp(key, "instance") == 0)
		return 0; /* read before the task, see add_instances() */
	if (strcmp(key, "loop") == 0) {
		rc = ld_int(ld, v, -1, (long long)WL_MAX_CYCLES, &n);
		t->loop = n;
		return rc;
	}
	if (strcmp(key, "delay") == 0)
		return ld_time(ld, v, &t->offset);
	if (strcmp(key, "policy") == 0)
		return ld_policy(ld, v, &t->sp.policy);
	if (strcmp(key, "priority") == 0) {
		g->priority = key;
		rc = ld_int(ld, v, -20, 99, &n);
		t->sp.priority = (int32_t)n;
		return rc;
	}
	if (strcmp(key, "tickets") == 0) {
		rc = ld_int(ld, v, 1, SCHED_STRIDE_MAX_TICKETS, &n);
		t->sp.tickets = (uint32_t)n;
		return rc;
	}
	if (strcmp(key, "cpus") == 0)
		return ld_cpus(ld, v, &t->cpus);
	if (strcmp(key, "arrival") == 0) {
		g->arrival = key;
		return ld_arrival(ld, v, &t->arrival);
	}
	if (strcmp(key, "dl-runtime") == 0 || strcmp(key, "budget") == 0)
		return alias_time(ld, key, v, &g->budget, &t->sp.budget);
	if (strcmp(key, "dl-period") == 0 || strcmp(key, "period") == 0)
		return alias_time(ld, key, v, &g->period, &t->sp.period);
	if (strcmp(key, "dl-deadline") == 0 || strcmp(key, "deadline") == 0)
		return alias_time(ld, key, v, &g->deadline, &t->sp.deadline);
	return 1;
}

/* A key of the task object that is neither "phases" nor a property. */
static int
task_other(struct ld *ld, const char *key, json_t *v, bool phased, struct wl_task *t,
           struct timers *tm)
{
	int kind = event_kind(key);

	if (kind != EV_NONE && phased)
		return ld_fail(ld, true, "event \"%s\" beside \"phases\"; move it into a phase",
		               key);
	if (kind != EV_NONE)
		return add_event(ld, kind, v, t, tm);
	if (ld_in_list(key, ignored_keys))
		return 0;
	return ld_fail(ld, true, "unknown key \"%s\" in task \"%s\"", key, t->name);
}

int
ld_task(struct ld *ld, const char *name, json_t *v, struct wl_task *t)
{
	struct ld_given g = { 0 };
	struct timers tm = { 0 };
	const char *key;
	json_t *f;
	bool phased;
	int rc = 0;

	if (!json_is_object(v))
		return ld_fail(ld, false, "a task must be an object, found %s", ld_type_name(v));
	if (!(t->name = strdup(name)))
		return WL_E_NOMEM;
	t->cpus = ld->env->ncpus >= 64 ? ~0ULL : (1ULL << ld->env->ncpus) - 1;
	t->loop = WL_LOOP_FOREVER;
	t->sp.tickets = WL_DEFAULT_TICKETS;
	t->sp.policy = ld->default_policy;
	ld->owner = t;
	phased = json_object_get(v, "phases") != NULL;
	json_object_foreach(v, key, f)
	{
		ld_push_key(ld, key);
		if (strcmp(key, "phases") == 0)
			rc = ld_phases(ld, f, t, &tm);
		else if ((rc = task_prop(ld, key, f, t, &g)) == 1)
			rc = task_other(ld, key, f, phased, t, &tm);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	t->ntimers = tm.n;
	if (t->nphases == 0)
		return ld_fail(ld, false, "task \"%s\" has no events", name);
	return ld_task_params(ld, &g, t);
}
