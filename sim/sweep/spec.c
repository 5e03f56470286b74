/* The sweep spec (docs/sim-research.md): a JSON object whose keys give the values of each
 * axis of the grid.  Errors are reported as FILE:LINE:COL: what. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep.h"
#include "workload/jsonpos.h"

struct sp_ctx {
	const char *path;
	char *text;
	size_t len;
};

static const char *const axis_names[SW_NAXES] = {
	[SW_MACHINE] = "machine",  [SW_CPUS] = "cpus",       [SW_ZERO_COSTS] = "zero_costs",
	[SW_PERIODS] = "periods",  [SW_DISCARD] = "discard", [SW_TASKS] = "tasks",
	[SW_UTIL] = "utilisation", [SW_SEED] = "seed",       [SW_POLICY] = "policy",
};

static int __attribute__((format(printf, 4, 5)))
sp_fail(const struct sp_ctx *c, const char *key, const char *sub, const char *fmt, ...)
{
	struct jpos_seg path[2] = { { key, 0 }, { sub, 0 } };
	unsigned line = 1, col = 1;
	size_t off = 0;
	va_list ap;

	if (key && c->text) {
		jpos_find(c->text, c->len, path, sub ? 2 : 1, true, &off);
		jpos_linecol(c->text, c->len, off, &line, &col);
	}
	fprintf(stderr, "%s:%u:%u: ", c->path, line, col);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int
add(struct sweep_axis *a, const char *v)
{
	if (a->n >= SWEEP_MAX_AXIS)
		return -1;
	a->v[a->n] = strdup(v);
	return a->v[a->n] ? (int)a->n++ : -1;
}

/* One value as text: a string, an integer, a real or a boolean (1/0). */
static int
add_value(struct sweep_axis *a, json_t *v)
{
	char b[64];

	if (json_is_string(v))
		return add(a, json_string_value(v));
	if (json_is_integer(v))
		snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(b, sizeof(b), "%.6g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(b, sizeof(b), "%d", json_is_true(v));
	else
		return -1;
	return add(a, b);
}

/* A scalar or an array of scalars; or, for numbers, {"from": a, "to": b, "step": s}. */
static int
axis_values(const struct sp_ctx *c, json_t *v, struct sweep_axis *a, const char *key,
            const char *sub)
{
	json_t *x;
	size_t i;

	if (json_is_object(v)) {
		double from = json_number_value(json_object_get(v, "from"));
		double to = json_number_value(json_object_get(v, "to"));
		double step = json_number_value(json_object_get(v, "step"));

		if (json_object_size(v) != 3 || !(step > 0) || !(to >= from) ||
		    (to - from) / step > SWEEP_MAX_AXIS)
			return sp_fail(c, key, sub,
			               "%s: a range needs numbers from <= to and step > 0 "
			               "(at most %d values)",
			               a->name, SWEEP_MAX_AXIS);
		for (long k = 0; from + k * step <= to + step * 1e-9; k++) {
			char b[32];

			snprintf(b, sizeof(b), "%.6g", from + k * step);
			if (add(a, b) < 0)
				return sp_fail(c, key, sub, "%s: out of memory", a->name);
		}
		return 0;
	}
	if (!json_is_array(v))
		return add_value(a, v) < 0
		           ? sp_fail(c, key, sub, "%s: a value or an array expected", a->name)
		           : 0;
	json_array_foreach(v, i, x) if (add_value(a, x) < 0) return sp_fail(
	    c, key, sub, "%s: element %zu is not a scalar (or more than %d)", a->name, i,
	    SWEEP_MAX_AXIS);
	return a->n ? 0 : sp_fail(c, key, sub, "%s: empty", a->name);
}

/* "seeds": a count N (seeds 0..N-1) or {"from": a, "count": n}. */
static int
seeds(const struct sp_ctx *c, json_t *v, struct sweep_spec *s)
{
	json_int_t from = 0, n = json_integer_value(v);

	if (json_is_object(v)) {
		from = json_integer_value(json_object_get(v, "from"));
		n = json_integer_value(json_object_get(v, "count"));
	}
	if (n <= 0 || from < 0 || n > 1000000)
		return sp_fail(c, "seeds", NULL,
		               "seeds: a count 1..1000000 or {\"from\", \"count\"}");
	/* The seed axis holds only its bounds: values are from + k. */
	s->axis[SW_SEED].n = (unsigned)n;
	s->axis[SW_SEED].v[0] = malloc(24);
	if (!s->axis[SW_SEED].v[0])
		return -1;
	snprintf(s->axis[SW_SEED].v[0], 24, "%lld", (long long)from);
	return 0;
}

static int
section(const struct sp_ctx *c, json_t *root, const char *key, struct sweep_spec *s,
        const int *axes, const char *const *names, unsigned n)
{
	json_t *obj = json_object_get(root, key), *v;
	const char *k;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return sp_fail(c, key, NULL, "%s: an object expected", key);
	json_object_foreach(obj, k, v)
	{
		unsigned i = 0;

		while (i < n && strcmp(k, names[i]))
			i++;
		if (i == n)
			return sp_fail(c, key, k, "%s: unknown key \"%s\"", key, k);
		s->axis[axes[i]].n = 0;
		if (axis_values(c, v, &s->axis[axes[i]], key, k) < 0)
			return -1;
	}
	return 0;
}

static int
top_key(const struct sp_ctx *c, json_t *root, const char *k, json_t *v, struct sweep_spec *s)
{
	static const int top_axes[] = { SW_MACHINE, SW_POLICY, SW_UTIL, SW_TASKS };
	static const char *const top_names[] = { "machine", "policies", "utilisation", "tasks" };

	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(k, top_names[i])) {
			s->axis[top_axes[i]].n = 0;
			return axis_values(c, v, &s->axis[top_axes[i]], k, NULL);
		}
	if (!strcmp(k, "seeds"))
		return seeds(c, v, s);
	if (!strcmp(k, "duration") || !strcmp(k, "max_duration")) {
		char *dst = k[0] == 'd' ? s->duration : s->max_duration;

		if (!json_is_string(v) || json_string_length(v) >= sizeof(s->duration))
			return sp_fail(c, k, NULL, "%s: a time string expected (e.g. \"1s\")", k);
		strcpy(dst, json_string_value(v));
		return 0;
	}
	if (!strcmp(k, "machine_params")) {
		static const int ax[] = { SW_CPUS, SW_ZERO_COSTS };
		static const char *const nm[] = { "cpus", "zero_costs" };
		return section(c, root, k, s, ax, nm, 2);
	}
	if (!strcmp(k, "generator")) {
		static const int ax[] = { SW_PERIODS, SW_DISCARD };
		static const char *const nm[] = { "periods", "discard" };
		return section(c, root, k, s, ax, nm, 2);
	}
	if (!strcmp(k, "comment"))
		return 0;
	return sp_fail(c, k, NULL, "unknown key \"%s\"", k);
}

static int
defaults(struct sweep_spec *s)
{
	static const char *const dflt[SW_NAXES] = {
		[SW_CPUS] = "1",
		[SW_ZERO_COSTS] = "0",
		[SW_DISCARD] = "1",
		[SW_PERIODS] = "10ms/20ms/25ms/50ms/100ms",
	};

	for (unsigned i = 0; i < SW_NAXES; i++) {
		s->axis[i].name = axis_names[i];
		if (dflt[i] && add(&s->axis[i], dflt[i]) < 0)
			return -1;
	}
	strcpy(s->duration, "hyperperiod");
	strcpy(s->max_duration, "1s");
	return 0;
}

static int
parse(const struct sp_ctx *c, struct sweep_spec *s)
{
	json_error_t je;
	json_t *root = json_loadb(c->text, c->len, JSON_REJECT_DUPLICATES, &je), *v;
	const char *k;
	int rc = 0;

	if (!root) {
		fprintf(stderr, "%s:%d:%d: %s\n", c->path, je.line, je.column, je.text);
		return -1;
	}
	if (!json_is_object(root))
		rc = sp_fail(c, NULL, NULL, "the spec must be a JSON object");
	json_object_foreach(root, k, v) if (rc == 0) rc = top_key(c, root, k, v, s);
	json_decref(root);
	s->runs = 1;
	for (unsigned i = 0; rc == 0 && i < SW_NAXES; i++) {
		if (s->axis[i].n == 0)
			return sp_fail(c, NULL, NULL, "\"%s\" is required",
			               i == SW_POLICY ? "policies"
			               : i == SW_SEED ? "seeds"
			                              : axis_names[i]);
		s->runs *= s->axis[i].n;
	}
	return rc;
}

int
sweep_spec_load(const char *path, struct sweep_spec *s)
{
	struct sp_ctx c = { .path = path };
	FILE *f = fopen(path, "rb");
	int rc;

	memset(s, 0, sizeof(*s));
	s->path = path;
	if (!f) {
		fprintf(stderr, "%s:0: cannot open the sweep spec\n", path);
		return -1;
	}
	c.text = malloc(1 << 20);
	c.len = c.text ? fread(c.text, 1, 1 << 20, f) : 0;
	fclose(f);
	if (!c.text || c.len == 1 << 20) {
		free(c.text);
		fprintf(stderr, "%s:0: unreadable or larger than 1 MiB\n", path);
		return -1;
	}
	rc = defaults(s) < 0 ? -1 : parse(&c, s);
	free(c.text);
	if (rc)
		sweep_spec_free(s);
	return rc;
}

void
sweep_spec_free(struct sweep_spec *s)
{
	for (unsigned i = 0; i < SW_NAXES; i++) {
		unsigned n = i == SW_SEED ? 1 : s->axis[i].n;

		for (unsigned k = 0; k < n && k < SWEEP_MAX_AXIS; k++) {
			free(s->axis[i].v[k]);
			s->axis[i].v[k] = NULL;
		}
		s->axis[i].n = 0;
	}
}

void
sweep_point(const struct sweep_spec *s, uint64_t index, struct sweep_point *p)
{
	uint64_t r = index;

	p->index = index;
	for (int i = SW_NAXES - 1; i >= 0; i--) {
		unsigned k = (unsigned)(r % s->axis[i].n);

		r /= s->axis[i].n;
		if (i == SW_SEED) {
			snprintf(p->seedbuf, sizeof(p->seedbuf), "%llu",
			         strtoull(s->axis[i].v[0], NULL, 10) + k);
			p->val[i] = p->seedbuf;
		} else {
			p->val[i] = s->axis[i].v[k];
		}
	}
}
