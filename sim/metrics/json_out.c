/* --json: every statistic of a run as one JSON object (built with jansson).  Without the
 * "host" object the output depends only on the inputs and the seed. */
#include "met_internal.h"

#include <jansson.h>

static json_t *
resp_object(const struct met_task_stats *s)
{
	return json_pack("{sIsIsIsIsIsIsIsIsfsf}", "p50", (json_int_t)s->resp_p[0], "p90",
	                 (json_int_t)s->resp_p[1], "p99", (json_int_t)s->resp_p[2], "p99_9",
	                 (json_int_t)s->resp_p[3], "p99_99", (json_int_t)s->resp_p[4], "max",
	                 (json_int_t)s->resp_p[5], "min", (json_int_t)s->resp_min, "range",
	                 (json_int_t)(s->resp_max - s->resp_min), "mean", s->resp_mean, "stddev",
	                 s->resp_stddev);
}

static json_t *
task_object(const struct met *m, unsigned i)
{
	struct met_task_stats s;

	met_task_stats(m, i, &s);
	return json_pack("{sssIsIsIsIsIso}", "name", m->tasks[i].name, "jobs", (json_int_t)s.jobs,
	                 "misses", (json_int_t)s.misses, "unfinished", (json_int_t)s.unfinished,
	                 "migrations", (json_int_t)s.migrations, "runtime_cycles",
	                 (json_int_t)s.runtime, "response_cycles", resp_object(&s));
}

static json_t *
cpu_object(const struct met *m, unsigned c)
{
	double total = m->end.cycles ? (double)m->end.cycles : 1;
	json_t *ovh = json_object();

	for (int k = 0; k < MET_OVH_NKINDS; k++)
		json_object_set_new(ovh, met_overhead_name(k),
		                    json_integer((json_int_t)m->cpus[c].ovh[k]));
	return json_pack("{sIsIsfsIso}", "cpu", (json_int_t)c, "busy_cycles",
	                 (json_int_t)m->cpus[c].busy, "utilisation",
	                 (double)m->cpus[c].busy / total, "switches",
	                 (json_int_t)m->cpus[c].switches, "overhead_cycles", ovh);
}

static json_t *
build(const struct met *m, bool host)
{
	double secs = (double)m->end.cycles / (double)m->hz;
	json_t *tasks = json_array(), *cpus = json_array(), *root;
	struct met_task_stats s;

	for (unsigned i = 0; i < m->ntasks; i++)
		json_array_append_new(tasks, task_object(m, i));
	for (unsigned c = 0; c < m->ncpus; c++)
		json_array_append_new(cpus, cpu_object(m, c));
	met_total_stats(m, &s);
	root = json_pack(
	    "{sssssssIsIsIsfsIsIsfsIsIsIsIsIsososo}", "machine", m->machine, "policy", m->policy,
	    "workload", m->workload, "seed", (json_int_t)m->seed, "hz", (json_int_t)m->hz, "cycles",
	    (json_int_t)m->end.cycles, "seconds", secs, "events", (json_int_t)m->end.events, "jobs",
	    (json_int_t)s.jobs, "throughput_per_s", secs > 0 ? (double)s.jobs / secs : 0.0,
	    "deadline_misses", (json_int_t)s.misses, "unfinished", (json_int_t)s.unfinished,
	    "context_switches", (json_int_t)m->switches, "migrations", (json_int_t)m->migrations,
	    "bad_records", (json_int_t)m->bad_records, "response_cycles", resp_object(&s), "cpus",
	    cpus, "tasks", tasks);
	if (root && host)
		json_object_set_new(
		    root, "host",
		    json_pack("{sfsf}", "seconds", m->end.host_seconds, "events_per_second",
		              m->end.host_seconds > 0 ? (double)m->end.events / m->end.host_seconds
		                                      : 0.0));
	return root;
}

int
met_write_json(const struct met *m, FILE *f, bool host)
{
	json_t *root = build(m, host);
	int rc = -1;

	if (root && json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0)
		rc = fputc('\n', f) == EOF || fflush(f) != 0 ? -1 : 0;
	json_decref(root);
	return rc;
}
