/* The human-readable summary exosim prints on stdout at the end of a run. */
#include "met_internal.h"

#include <inttypes.h>

#define SUMMARY_TASKS 20 /* per-task lines shown; the rest are in --json */

static double
us(const struct met *m, double cycles)
{
	return cycles * 1e6 / (double)m->hz;
}

static void
resp_line(const struct met *m, FILE *f, const char *name, const struct met_task_stats *s)
{
	fprintf(f, "  %-14.14s %8" PRIu64, name, s->jobs);
	for (int i = 0; i < 6; i++)
		fprintf(f, " %10.2f", us(m, (double)s->resp_p[i]));
	fprintf(f, " %10.2f %8" PRIu64 "\n", us(m, s->resp_stddev), s->misses);
}

static void
response_table(const struct met *m, FILE *f)
{
	struct met_task_stats s;

	fprintf(f, "response time (us)  jobs        p50        p90        p99      p99.9"
	           "     p99.99        max     jitter   misses\n");
	met_total_stats(m, &s);
	resp_line(m, f, "all", &s);
	for (unsigned i = 0; i < m->ntasks && i < SUMMARY_TASKS; i++) {
		met_task_stats(m, i, &s);
		resp_line(m, f, m->tasks[i].name, &s);
	}
	if (m->ntasks > SUMMARY_TASKS)
		fprintf(f, "  (%u more tasks in --json)\n", m->ntasks - SUMMARY_TASKS);
}

static void
cpu_table(const struct met *m, FILE *f)
{
	double total = m->end.cycles ? (double)m->end.cycles : 1;

	fprintf(f, "cpu      busy%%  overhead%%  switches\n");
	for (unsigned c = 0; c < m->ncpus; c++) {
		uint64_t ovh = 0;

		for (int k = 0; k < MET_OVH_NKINDS; k++)
			ovh += m->cpus[c].ovh[k];
		fprintf(f, "  cpu%-3u %6.2f %10.2f %9" PRIu64 "\n", c,
		        100.0 * (double)m->cpus[c].busy / total, 100.0 * (double)ovh / total,
		        m->cpus[c].switches);
	}
}

void
met_print_summary(const struct met *m, FILE *f, bool host)
{
	double secs = (double)m->end.cycles / (double)m->hz;
	struct met_task_stats s;

	met_total_stats(m, &s);
	fprintf(f, "exosim: machine %s, policy %s, workload %s, seed %" PRIu64 "\n", m->machine,
	        m->policy, m->workload, m->seed);
	fprintf(f, "simulated %.6f s (%" PRIu64 " cycles), %" PRIu64 " events\n", secs,
	        m->end.cycles, m->end.events);
	fprintf(f,
	        "jobs %" PRIu64 " (%.1f/s), deadline misses %" PRIu64 ", unfinished %" PRIu64 "\n",
	        s.jobs, secs > 0 ? (double)s.jobs / secs : 0.0, s.misses, s.unfinished);
	fprintf(f, "context switches %" PRIu64 ", migrations %" PRIu64 "\n", m->switches,
	        m->migrations);
	response_table(m, f);
	cpu_table(m, f);
	if (m->bad_records)
		fprintf(f, "warning: %" PRIu64 " malformed records from the engine were ignored\n",
		        m->bad_records);
	if (host)
		fprintf(f, "host %.3f s, %.2f M events/s\n", m->end.host_seconds,
		        m->end.host_seconds > 0 ? (double)m->end.events / m->end.host_seconds / 1e6
		                                : 0.0);
}
