/* Workload loader: scalar values (times with units, integers) and distributions. */
#include "load.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *
ld_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

int
ld_int(struct ld *ld, json_t *v, long long lo, long long hi, long long *out)
{
	if (!json_is_integer(v))
		return ld_fail(ld, false, "expected an integer, found %s", ld_type_name(v));
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return ld_fail(ld, false, "%lld is out of range [%lld, %lld]", *out, lo, hi);
	return 0;
}

int
ld_positive(struct ld *ld, json_t *v, double *out)
{
	if (!json_is_number(v))
		return ld_fail(ld, false, "expected a number, found %s", ld_type_name(v));
	*out = json_number_value(v);
	if (!(*out > 0) || !isfinite(*out))
		return ld_fail(ld, false, "expected a number > 0, found %g", *out);
	return 0;
}

/* Seconds per unit, or 0 for "cyc" (already cycles); -1 if unknown. */
static double
unit_seconds(const char *u)
{
	static const struct {
		const char *name;
		double sec;
	} units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "ms", 1e-3 }, { "s", 1.0 }, { "cyc", 0 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(u, units[i].name) == 0)
			return units[i].sec;
	return -1;
}

int
wl_parse_time(const char *s, uint64_t hz, uint64_t *out)
{
	char *end;
	double x, sec, cyc;

	if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == '-'))
		return -1;
	x = strtod(s, &end);
	sec = *end ? unit_seconds(end) : 1e-6; /* a bare number is microseconds, as in rt-app */
	if (end == s || sec < 0 || !isfinite(x))
		return -1;
	if (x < 0)
		return -2;
	cyc = sec == 0 ? x : x * sec * (double)hz;
	if (cyc > (double)WL_MAX_CYCLES)
		return -3;
	*out = (uint64_t)(cyc + 0.5);
	return 0;
}

static int
time_from_string(struct ld *ld, const char *s, uint64_t *out)
{
	switch (wl_parse_time(s, ld->env->hz, out)) {
	case 0:
		return 0;
	case -2:
		return ld_fail(ld, false, "negative time \"%s\"", s);
	case -3:
		return ld_fail(ld, false, "time \"%s\" is too large", s);
	default:
		return ld_fail(ld, false,
		               "bad time \"%s\": expected a number and a unit "
		               "(ns, us, ms, s, cyc)",
		               s);
	}
}

int
ld_time(struct ld *ld, json_t *v, uint64_t *out)
{
	if (json_is_string(v))
		return time_from_string(ld, json_string_value(v), out);
	if (json_is_integer(v)) {
		long long us = json_integer_value(v);
		unsigned __int128 c;

		if (us < 0)
			return ld_fail(ld, false, "negative time %lld", us);
		/* Exact: rt-app times are integer microseconds. */
		c = ((unsigned __int128)us * ld->env->hz + 500000) / 1000000;
		if (c > WL_MAX_CYCLES)
			return ld_fail(ld, false, "time %lld us is too large", us);
		*out = (uint64_t)c;
		return 0;
	}
	if (json_is_real(v)) {
		double us = json_real_value(v), c;

		if (us < 0)
			return ld_fail(ld, false, "negative time %g", us);
		c = us * (double)ld->env->hz / 1e6;
		if (!(c <= (double)WL_MAX_CYCLES))
			return ld_fail(ld, false, "time %g us is too large", us);
		*out = (uint64_t)(c + 0.5);
		return 0;
	}
	return ld_fail(ld, false,
	               "expected a time (microseconds, or a string such as \"10ms\"), "
	               "found %s",
	               ld_type_name(v));
}

int
ld_time_pos(struct ld *ld, json_t *v, uint64_t *out)
{
	int rc = ld_time(ld, v, out);

	if (rc == 0 && *out == 0)
		return ld_fail(ld, false, "must be > 0 (it is 0 cycles at this clock)");
	return rc;
}

/* Reads element i of an array of known length as a time (> 0 when pos). */
static int
elem_time(struct ld *ld, json_t *arr, size_t i, bool pos, uint64_t *out)
{
	int rc;

	ld_push_index(ld, i);
	rc = pos ? ld_time_pos(ld, json_array_get(arr, i), out)
	         : ld_time(ld, json_array_get(arr, i), out);
	ld_pop(ld);
	return rc;
}

static int
want_array(struct ld *ld, json_t *v, size_t n, const char *what)
{
	if (!json_is_array(v) || json_array_size(v) != n)
		return ld_fail(ld, false, "%s", what);
	return 0;
}

static int
dist_uniform(struct ld *ld, json_t *v, struct wl_dist *d)
{
	int rc = want_array(ld, v, 2, "\"uniform\" needs [low, high]");

	if (rc || (rc = elem_time(ld, v, 0, false, &d->a)) ||
	    (rc = elem_time(ld, v, 1, false, &d->b)))
		return rc;
	if (d->a > d->b)
		return ld_fail(ld, false, "\"uniform\" needs low <= high");
	return 0;
}

static int
dist_lognormal(struct ld *ld, json_t *v, struct wl_dist *d)
{
	int rc = want_array(ld, v, 2, "\"lognormal\" needs [median, sigma]");
	uint64_t median;

	if (rc || (rc = elem_time(ld, v, 0, true, &median)))
		return rc;
	d->mean = (double)median;
	ld_push_index(ld, 1);
	json_t *s = json_array_get(v, 1);
	if (!json_is_number(s) || json_number_value(s) < 0 || json_number_value(s) > 10)
		rc = ld_fail(ld, false, "lognormal sigma must be a number in [0, 10]");
	else
		d->sigma = json_number_value(s);
	ld_pop(ld);
	return rc;
}

static int
dist_bimodal(struct ld *ld, json_t *v, struct wl_dist *d)
{
	int rc = want_array(ld, v, 3, "\"bimodal\" needs [a, b, probability of b]");

	if (rc || (rc = elem_time(ld, v, 0, false, &d->a)) ||
	    (rc = elem_time(ld, v, 1, false, &d->b)))
		return rc;
	ld_push_index(ld, 2);
	json_t *p = json_array_get(v, 2);
	if (!json_is_number(p) || !(json_number_value(p) >= 0 && json_number_value(p) <= 1))
		rc = ld_fail(ld, false, "bimodal probability must be a number in [0, 1]");
	else
		d->p = json_number_value(p);
	ld_pop(ld);
	return rc;
}

static int
dist_empirical(struct ld *ld, json_t *v, struct wl_dist *d)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 0;
	int rc;

	if (n == 0 || n > WL_MAX_EMPIRICAL)
		return ld_fail(ld, false, "\"empirical\" needs an array of 1 to %d times",
		               WL_MAX_EMPIRICAL);
	d->values = wl_task_table(ld->owner, n);
	if (!d->values)
		return WL_E_NOMEM;
	d->nvalues = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		if ((rc = elem_time(ld, v, i, false, &d->values[i])))
			return rc;
	return 0;
}

static int
dist_object(struct ld *ld, json_t *v, struct wl_dist *d)
{
	const char *k;
	json_t *arg;
	int rc;

	if (json_object_size(v) != 1)
		return ld_fail(ld, false,
		               "a distribution is an object with exactly one of "
		               "fixed, uniform, exp, lognormal, bimodal, empirical");
	k = json_object_iter_key(json_object_iter(v));
	arg = json_object_iter_value(json_object_iter(v));
	ld_push_key(ld, k);
	if (strcmp(k, "fixed") == 0) {
		d->kind = WL_DIST_FIXED;
		rc = ld_time(ld, arg, &d->a);
	} else if (strcmp(k, "uniform") == 0) {
		d->kind = WL_DIST_UNIFORM;
		rc = dist_uniform(ld, arg, d);
	} else if (strcmp(k, "exp") == 0) {
		uint64_t mean;
		d->kind = WL_DIST_EXP;
		rc = ld_time_pos(ld, arg, &mean);
		d->mean = (double)mean;
	} else if (strcmp(k, "lognormal") == 0) {
		d->kind = WL_DIST_LOGNORMAL;
		rc = dist_lognormal(ld, arg, d);
	} else if (strcmp(k, "bimodal") == 0) {
		d->kind = WL_DIST_BIMODAL;
		rc = dist_bimodal(ld, arg, d);
	} else if (strcmp(k, "empirical") == 0) {
		d->kind = WL_DIST_EMPIRICAL;
		rc = dist_empirical(ld, arg, d);
	} else {
		rc = ld_fail(ld, true,
		             "unknown distribution \"%s\" (fixed, uniform, exp, "
		             "lognormal, bimodal, empirical)",
		             k);
	}
	ld_pop(ld);
	return rc;
}

int
ld_dist(struct ld *ld, json_t *v, struct wl_dist *d)
{
	memset(d, 0, sizeof(*d));
	if (json_is_object(v))
		return dist_object(ld, v, d);
	d->kind = WL_DIST_FIXED;
	return ld_time(ld, v, &d->a);
}
