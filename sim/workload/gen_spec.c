/* `--workload` argument: a JSON file, or a generator spec "gen:KIND:key=value,..." parsed
 * here into a wl_gen_* call.  Every error names the option and the offending item. */
#include "load.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PERIODS 64

struct spec {
	const struct wl_env *env;
	struct wl_error *err;
	const char *kind;
	struct wl_gen_periodic per;
	uint64_t periods[MAX_PERIODS];
	struct wl_gen_open open;
};

static int
spec_fail(struct spec *sp, const char *fmt, ...)
{
	int n = snprintf(sp->err->msg, WL_ERR_MAX, "--workload: gen:%.32s: ", sp->kind);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err->msg + n, WL_ERR_MAX - (size_t)n, fmt, ap);
	va_end(ap);
	return WL_E_SPEC;
}

static int
spec_time(struct spec *sp, const char *key, const char *s, uint64_t *out)
{
	if (wl_parse_time(s, sp->env->hz, out) < 0)
		return spec_fail(sp, "%s: bad time \"%s\" (a number and ns, us, ms, s or cyc)", key,
		                 s);
	return 0;
}

static int
spec_number(struct spec *sp, const char *key, const char *s, double lo, double hi, double *out)
{
	char *end;

	*out = strtod(s, &end);
	if (end == s || *end || !(*out >= lo && *out <= hi))
		return spec_fail(sp, "%s: \"%s\" is not a number in [%g, %g]", key, s, lo, hi);
	return 0;
}

/* "T", "exp:T", "uniform:T:T", "lognormal:T:SIGMA" or "bimodal:T:T:P". */
static int
spec_dist(struct spec *sp, const char *key, char *s, struct wl_dist *d)
{
	char *f[4] = { 0 };
	int n = 0, rc = 0;

	for (char *p = strtok(s, ":"); p && n < 4; p = strtok(NULL, ":"))
		f[n++] = p;
	memset(d, 0, sizeof(*d));
	if (n == 1)
		return spec_time(sp, key, f[0], &d->a);
	if (n == 2 && strcmp(f[0], "exp") == 0) {
		uint64_t m;
		d->kind = WL_DIST_EXP;
		rc = spec_time(sp, key, f[1], &m);
		d->mean = (double)m;
		return rc ? rc : m ? 0 : spec_fail(sp, "%s: exp mean must be > 0", key);
	}
	if (n == 3 && strcmp(f[0], "uniform") == 0) {
		d->kind = WL_DIST_UNIFORM;
		if ((rc = spec_time(sp, key, f[1], &d->a)) ||
		    (rc = spec_time(sp, key, f[2], &d->b)))
			return rc;
		return d->a <= d->b ? 0 : spec_fail(sp, "%s: uniform needs low <= high", key);
	}
	if (n == 3 && strcmp(f[0], "lognormal") == 0) {
		uint64_t m;
		d->kind = WL_DIST_LOGNORMAL;
		if ((rc = spec_time(sp, key, f[1], &m)) ||
		    (rc = spec_number(sp, key, f[2], 0, 10, &d->sigma)))
			return rc;
		d->mean = (double)m;
		return m ? 0 : spec_fail(sp, "%s: lognormal median must be > 0", key);
	}
	if (n == 4 && strcmp(f[0], "bimodal") == 0) {
		d->kind = WL_DIST_BIMODAL;
		if ((rc = spec_time(sp, key, f[1], &d->a)) ||
		    (rc = spec_time(sp, key, f[2], &d->b)))
			return rc;
		return spec_number(sp, key, f[3], 0, 1, &d->p);
	}
	return spec_fail(sp,
	                 "%s: expected T, exp:T, uniform:T:T, lognormal:T:SIGMA or "
	                 "bimodal:T:T:P",
	                 key);
}

static int
spec_periods(struct spec *sp, char *s)
{
	unsigned n = 0;
	int rc;

	for (char *p = strtok(s, "/"); p; p = strtok(NULL, "/")) {
		if (n == MAX_PERIODS)
			return spec_fail(sp, "periods: more than %d", MAX_PERIODS);
		if ((rc = spec_time(sp, "periods", p, &sp->periods[n])))
			return rc;
		if (sp->periods[n++] == 0)
			return spec_fail(sp, "periods: a period must be > 0");
	}
	sp->per.periods = sp->periods;
	sp->per.nperiods = n;
	return n ? 0 : spec_fail(sp, "periods: none given");
}

static int
spec_item(struct spec *sp, const char *key, char *val)
{
	bool periodic = strcmp(sp->kind, "periodic") == 0;
	bool bursty = strcmp(sp->kind, "bursty") == 0;
	double x;
	int rc;

	if (periodic && strcmp(key, "n") == 0) {
		rc = spec_number(sp, key, val, 1, WL_MAX_TASKS, &x);
		sp->per.n = (unsigned)x;
		return rc ? rc : x == floor(x) ? 0 : spec_fail(sp, "n: not an integer");
	}
	if (periodic && strcmp(key, "u") == 0)
		return spec_number(sp, key, val, 1e-9, WL_MAX_TASKS, &sp->per.util);
	if (periodic && strcmp(key, "periods") == 0)
		return spec_periods(sp, val);
	if (periodic && strcmp(key, "discard") == 0) {
		rc = spec_number(sp, key, val, 0, 1, &x);
		sp->per.discard = x != 0;
		return rc;
	}
	if (!periodic && strcmp(key, "rate") == 0)
		return spec_number(sp, key, val, 1e-9, (double)sp->env->hz, &sp->open.rate);
	if (!periodic && strcmp(key, "streams") == 0) {
		rc = spec_number(sp, key, val, 1, WL_MAX_TASKS, &x);
		sp->open.streams = (unsigned)x;
		return rc ? rc : x == floor(x) ? 0 : spec_fail(sp, "streams: not an integer");
	}
	if (!periodic && strcmp(key, "service") == 0)
		return spec_dist(sp, key, val, &sp->open.service);
	if (!periodic && strcmp(key, "deadline") == 0)
		return spec_time(sp, key, val, &sp->open.deadline);
	if (bursty && strcmp(key, "on") == 0)
		return spec_dist(sp, key, val, &sp->open.on);
	if (bursty && strcmp(key, "off") == 0)
		return spec_dist(sp, key, val, &sp->open.off);
	return spec_fail(sp, "unknown key \"%s\"", key);
}

static int
spec_items(struct spec *sp, char *list)
{
	char *save = NULL;
	int rc;

	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (!eq)
			return spec_fail(sp, "\"%s\" is not key=value", item);
		*eq = '\0';
		if ((rc = spec_item(sp, item, eq + 1)))
			return rc;
	}
	return 0;
}

static int
spec_generate(struct spec *sp, uint64_t seed, struct workload **out)
{
	int rc;

	if (strcmp(sp->kind, "periodic") == 0) {
		if (!sp->per.n || !(sp->per.util > 0) || !sp->per.nperiods)
			return spec_fail(sp, "needs n=, u= and periods=");
		rc = wl_gen_periodic(&sp->per, sp->env, seed, out);
		return rc == WL_E_INVALID ? spec_fail(sp, "no task set with these parameters "
		                                          "(discard needs u <= n)")
		                          : rc;
	}
	sp->open.kind = strcmp(sp->kind, "poisson") == 0 ? WL_ARR_POISSON : WL_ARR_BURSTY;
	if (!(sp->open.rate > 0) || !(wl_dist_mean(&sp->open.service) > 0))
		return spec_fail(sp, "needs rate= and a service= time > 0");
	if (!sp->open.streams)
		sp->open.streams = 1;
	if (sp->open.kind == WL_ARR_BURSTY &&
	    !(sp->open.rate / sp->open.streams / (double)sp->env->hz * wl_dist_mean(&sp->open.on) >=
	      WL_MIN_ARRIVALS_PER_WINDOW))
		return spec_fail(sp, "needs rate per stream x mean on window >= %g arrivals",
		                 WL_MIN_ARRIVALS_PER_WINDOW);
	rc = wl_gen_open(&sp->open, sp->env, out);
	return rc == WL_E_INVALID ? spec_fail(sp, "rate per stream exceeds one per cycle") : rc;
}

int
wl_open(const char *spec, const struct wl_env *env, uint64_t seed, struct workload **out,
        struct wl_error *err)
{
	struct spec sp = { .env = env, .err = err, .kind = "" };
	char *copy, *list;
	int rc;

	*out = NULL;
	if (strncmp(spec, "gen:", 4) != 0)
		return wl_load_file(spec, env, out, err);
	memset(err, 0, sizeof(*err));
	if (!(copy = strdup(spec + 4)))
		return WL_E_NOMEM;
	list = strchr(copy, ':');
	if (list)
		*list++ = '\0';
	sp.kind = copy;
	if (strcmp(copy, "periodic") != 0 && strcmp(copy, "poisson") != 0 &&
	    strcmp(copy, "bursty") != 0) {
		snprintf(err->msg, WL_ERR_MAX,
		         "--workload: unknown generator \"gen:%.64s\" (periodic, "
		         "poisson, bursty)",
		         copy);
		rc = WL_E_SPEC;
	} else {
		rc = list ? spec_items(&sp, list) : 0;
		if (rc == 0)
			rc = spec_generate(&sp, seed, out);
	}
	if (rc == 0 && *out) {
		free((*out)->name);
		if (!((*out)->name = strdup(spec))) {
			wl_free(*out);
			*out = NULL;
			rc = WL_E_NOMEM;
		}
	}
	free(copy);
	return rc;
}
