/* The output writers on small, hand-checked inputs: exact CSV, JSON stats that parse back
 * with the right numbers (and no host object unless asked), a trace that parses back with
 * the fields Perfetto needs, and a fingerprint that depends on every record and its order. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>

#include "metrics/metrics.h"

static const char *const names[] = { "a", "b,\"q\"" };

struct out {
	char *csv, *trace;
	size_t ncsv, ntrace;
	FILE *fcsv, *ftrace;
	struct met *m;
};

static void
start(struct out *o, bool files)
{
	struct met_config c = {
		.hz = 1000000000ULL,
		.ncpus = 2,
		.ntasks = 2,
		.task_names = names,
		.machine = "test",
		.policy = "edf",
		.workload = "w.json",
		.seed = 9,
	};

	memset(o, 0, sizeof(*o));
	if (files) {
		c.csv = o->fcsv = open_memstream(&o->csv, &o->ncsv);
		c.trace = o->ftrace = open_memstream(&o->trace, &o->ntrace);
	}
	cr_assert_eq(met_init(&o->m, &c), 0);
}

/* Two jobs of "a" on cpu0 (one misses), one unfinished job of the second task. */
static void
record(struct met *m)
{
	struct met_job j1 = {
		.task = 0,
		.job = 0,
		.cpu = 0,
		.release = 0,
		.start = 1000,
		.finish = 3000,
		.deadline = 5000,
	};
	struct met_job j2 = {
		.task = 0,
		.job = 1,
		.cpu = 0,
		.release = 5000,
		.start = 5000,
		.finish = 12000,
		.deadline = 10000,
	};
	struct met_job j3 = {
		.task = 1, .job = 0, .cpu = 1, .release = 2000, .start = 2500, .deadline = 0
	};

	met_release(m, 0, 0, 0, 0);
	met_switch(m, 0, 0, 1000);
	met_run(m, 0, 0, 1000, 3000);
	met_job(m, &j1);
	met_overhead(m, 0, MET_OVH_SWITCH, 3000, 3500);
	met_release(m, 0, 1, 0, 5000);
	met_run(m, 0, 0, 5000, 12000);
	met_job(m, &j2);
	met_migration(m, 1, 0, 1, 2400);
	met_run(m, 1, 1, 2500, 20000);
	met_job_unfinished(m, &j3, 20000);
}

static void
finish(struct out *o)
{
	struct met_end e = { .cycles = 20000, .events = 42, .host_seconds = 0.5 };

	cr_assert_eq(met_finish(o->m, &e), 0);
	if (o->fcsv) {
		fclose(o->fcsv);
		fclose(o->ftrace);
	}
}

static void
done(struct out *o)
{
	met_free(o->m);
	free(o->csv);
	free(o->trace);
}

Test(writers, csv_has_one_exact_row_per_job)
{
	struct out o;

	start(&o, true);
	record(o.m);
	finish(&o);
	cr_assert_str_eq(o.csv, "task,release,start,finish,response,deadline,missed\n"
	                        "a,0,1000,3000,3000,5000,0\n"
	                        "a,5000,5000,12000,7000,10000,1\n"
	                        "\"b,\"\"q\"\"\",2000,2500,,,,0\n");
	done(&o);
}

Test(writers, json_stats_parse_back_with_exact_numbers)
{
	char *text;
	size_t n;
	FILE *f = open_memstream(&text, &n);
	json_error_t je;
	struct out o;
	json_t *j, *t0;

	start(&o, false);
	record(o.m);
	finish(&o);
	cr_assert_eq(met_write_json(o.m, f, false), 0);
	fclose(f);
	j = json_loads(text, 0, &je);
	cr_assert_not_null(j, "%s", je.text);
	cr_assert_eq(json_integer_value(json_object_get(j, "cycles")), 20000);
	cr_assert_eq(json_integer_value(json_object_get(j, "events")), 42);
	cr_assert_eq(json_integer_value(json_object_get(j, "jobs")), 2);
	cr_assert_eq(json_integer_value(json_object_get(j, "deadline_misses")), 1);
	cr_assert_eq(json_integer_value(json_object_get(j, "unfinished")), 1);
	cr_assert_eq(json_integer_value(json_object_get(j, "context_switches")), 1);
	cr_assert_eq(json_integer_value(json_object_get(j, "migrations")), 1);
	cr_assert_null(json_object_get(j, "host"), "no host object when host == false");
	t0 = json_array_get(json_object_get(j, "tasks"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(t0, "name")), "a");
	cr_assert_eq(json_integer_value(json_object_get(t0, "runtime_cycles")), 9000);
	cr_assert_eq(
	    json_integer_value(json_object_get(json_object_get(t0, "response_cycles"), "max")),
	    7000);
	cr_assert_float_eq(json_real_value(json_object_get(
	                       json_array_get(json_object_get(j, "cpus"), 0), "utilisation")),
	                   9000.0 / 20000.0, 1e-12);
	json_decref(j);
	free(text);
	done(&o);
}

Test(writers, json_host_object_only_on_request)
{
	char *text;
	size_t n;
	FILE *f = open_memstream(&text, &n);
	struct out o;
	json_t *j, *h;

	start(&o, false);
	record(o.m);
	finish(&o);
	cr_assert_eq(met_write_json(o.m, f, true), 0);
	fclose(f);
	j = json_loads(text, 0, NULL);
	h = json_object_get(j, "host");
	cr_assert_float_eq(json_real_value(json_object_get(h, "seconds")), 0.5, 1e-12);
	cr_assert_float_eq(json_real_value(json_object_get(h, "events_per_second")), 84.0, 1e-9);
	json_decref(j);
	free(text);
	done(&o);
}

/* Finds the first trace event with this phase and name. */
static json_t *
find_event(json_t *events, const char *ph, const char *name)
{
	size_t i;
	json_t *e;

	json_array_foreach(events, i,
	                   e) if (strcmp(json_string_value(json_object_get(e, "ph")), ph) == 0 &&
	                          strcmp(json_string_value(json_object_get(e, "name")), name) ==
	                              0) return e;
	return NULL;
}

Test(writers, trace_parses_back_with_tracks_slices_and_instants)
{
	json_t *j, *ev, *e;
	json_error_t je;
	struct out o;

	start(&o, true);
	record(o.m);
	finish(&o);
	j = json_loads(o.trace, 0, &je);
	cr_assert_not_null(j, "trace is not JSON: %s at %d:%d", je.text, je.line, je.column);
	ev = json_object_get(j, "traceEvents");
	cr_assert(json_is_array(ev));
	/* One named track per hardware thread. */
	e = find_event(ev, "M", "thread_name");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "args"), "name")),
	                 "cpu0");
	cr_assert_eq(json_integer_value(json_object_get(e, "tid")), 1);
	/* The first run slice of "a": 1000..3000 cycles at 1 GHz = ts 1 us, dur 2 us. */
	e = find_event(ev, "X", "a");
	cr_assert_not_null(e);
	cr_assert_float_eq(json_number_value(json_object_get(e, "ts")), 1.0, 1e-9);
	cr_assert_float_eq(json_number_value(json_object_get(e, "dur")), 2.0, 1e-9);
	cr_assert_eq(json_integer_value(json_object_get(e, "pid")), 1);
	/* The escaped name survives the round trip. */
	cr_assert_not_null(find_event(ev, "X", "b,\"q\""));
	cr_assert_not_null(find_event(ev, "X", "switch"));
	e = find_event(ev, "i", "release");
	cr_assert_not_null(e);
	cr_assert_str_eq(json_string_value(json_object_get(e, "s")), "t");
	e = find_event(ev, "i", "miss");
	cr_assert_not_null(e);
	cr_assert_float_eq(json_number_value(json_object_get(e, "ts")), 10.0, 1e-9);
	json_decref(j);
	done(&o);
}

Test(writers, fingerprint_depends_on_every_record_and_order)
{
	struct out a, b, c;

	start(&a, false);
	start(&b, false);
	start(&c, false);
	record(a.m);
	record(b.m);
	cr_assert_eq(met_fingerprint(a.m), met_fingerprint(b.m));
	met_event(a.m, 1, 0, 2, 3);
	met_event(a.m, 1, 0, 3, 2);
	met_event(b.m, 1, 0, 3, 2);
	met_event(b.m, 1, 0, 2, 3);
	cr_assert_neq(met_fingerprint(a.m), met_fingerprint(b.m));
	met_run(c.m, 0, 0, 0, 1);
	cr_assert_neq(met_fingerprint(c.m), met_fingerprint(b.m));
	done(&a);
	done(&b);
	done(&c);
}

Test(writers, summary_reports_the_totals)
{
	char *text;
	size_t n;
	FILE *f = open_memstream(&text, &n);
	struct out o;

	start(&o, false);
	record(o.m);
	finish(&o);
	met_print_summary(o.m, f, false);
	fclose(f);
	cr_assert_not_null(strstr(text, "jobs 2 (100000.0/s), deadline misses 1, unfinished 1\n"));
	cr_assert_not_null(strstr(text, "context switches 1, migrations 1\n"));
	cr_assert_null(strstr(text, "host"));
	free(text);
	done(&o);
}
