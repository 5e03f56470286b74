/* One run of a sweep: generate the point's task set (UUniFast-Discard, Bini & Buttazzo
 * 2005, through exosim's own gen:periodic), simulate it with exosim's engine, analyse it,
 * and format the CSV row.  Every column is deterministic: no host time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "machine/run.h"
#include "sweep.h"
#include "workload/load.h"

const char sweep_csv_header[] =
    "run,machine,cpus,zero_costs,policy,tasks,utilisation,periods,discard,seed,"
    "u_actual,duration_cycles,jobs,misses,unfinished,sim_schedulable,switches,migrations,"
    "events,resp_p50,resp_p99,resp_max,busy_mean,ll,hyperbolic,rta,rta_ovh,edf_qpa,gedf_gfb";

static int
setup_machine(const struct sweep_point *p, const char *hw_dir, struct sim_machine *m, char *err,
              size_t errlen)
{
	char buf[4096];
	unsigned cpus = (unsigned)strtoul(p->val[SW_CPUS], NULL, 10);

	if (sim_machine_load(sim_machine_hw_dir(hw_dir, buf, sizeof(buf)), p->val[SW_MACHINE], m,
	                     err, errlen) < 0)
		return -1;
	if (cpus == 0 || sim_machine_limit_cpus(m, cpus) < 0) {
		snprintf(err, errlen, "cpus %s: not 1..%u on machine %s", p->val[SW_CPUS], m->ncpus,
		         m->name);
		return -1;
	}
	if (strcmp(p->val[SW_ZERO_COSTS], "0"))
		memset(m->cost, 0, sizeof(m->cost));
	return 0;
}

static int
duration_of(const struct sweep_spec *s, const struct workload *w, uint64_t hz, uint64_t *out,
            char *err, size_t errlen)
{
	uint64_t cap;

	if (wl_parse_time(s->max_duration, hz, &cap) < 0 || cap == 0) {
		snprintf(err, errlen, "max_duration \"%s\": not a time > 0", s->max_duration);
		return -1;
	}
	if (strcmp(s->duration, "hyperperiod") == 0) {
		*out = wl_hyperperiod(w);
		*out = *out == 0 || *out > cap ? cap : *out;
		return 0;
	}
	if (wl_parse_time(s->duration, hz, out) < 0 || *out == 0) {
		snprintf(err, errlen, "duration \"%s\": not a time > 0 or \"hyperperiod\"",
		         s->duration);
		return -1;
	}
	return 0;
}

/* The analytic verdicts: LL, hyperbolic, RTA (zero and with overheads) and QPA on one
 * CPU; GFB on any number. */
static int
verdicts(const struct workload *w, const struct sim_machine *m, char *b, size_t len)
{
	struct an_set s;
	struct an_cost k = an_cost_of(m);
	double lhs, rhs, u;
	bool rta = true, rta_ovh = true, gfb;
	uint64_t fail;

	if (an_from_workload(w, m->hz, m->ncpus, &s) < 0)
		return -1;
	gfb = an_gedf_gfb(&s, m->ncpus, &lhs, &rhs);
	if (m->ncpus > 1) {
		snprintf(b, len, ",,,,,%d", gfb);
		an_set_free(&s);
		return 0;
	}
	for (unsigned i = 0; i < s.n; i++) {
		rta = rta && an_rta(&s, i, NULL);
		rta_ovh = rta_ovh && an_rta(&s, i, &k);
	}
	u = an_util(&s, 0);
	snprintf(b, len, "%d,%d,%d,%d,%d,%d", u <= an_ll_bound(s.n), an_hyperbolic(&s, 0) <= 2.0,
	         rta, rta_ovh, an_edf_qpa(&s, 0, &fail), gfb);
	an_set_free(&s);
	return 0;
}

static int
simulate(const struct sim_machine *m, const struct sched_policy *pol, const struct workload *w,
         uint64_t seed, uint64_t duration, struct met **met, struct sim_result *res, char *err,
         size_t errlen)
{
	const char **names = calloc(w->ntasks, sizeof(*names));
	int r;

	if (!names)
		return -1;
	for (uint32_t i = 0; i < w->ntasks; i++)
		names[i] = w->tasks[i].name;
	struct met_config mc = { .hz = m->hz,
		                 .ncpus = m->ncpus,
		                 .ntasks = w->ntasks,
		                 .task_names = names,
		                 .machine = m->name,
		                 .policy = pol->name,
		                 .workload = w->name,
		                 .seed = seed };
	r = met_init(met, &mc);
	free(names);
	if (r < 0)
		return -1;
	struct sim_options o = { m, pol, w, seed, duration, *met, false };
	if (sim_run(&o, res, err, errlen) < 0)
		return -1;
	struct met_end end = { res->cycles, res->events, 0 };
	return met_finish(*met, &end);
}

static int
format_row(const struct sweep_point *p, const struct workload *w, const struct sim_machine *m,
           uint64_t duration, const struct met *met, const struct sim_result *res, char *buf,
           size_t len)
{
	struct met_task_stats st;
	char v[128];
	double busy = 0;
	int n;

	met_total_stats(met, &st);
	for (unsigned c = 0; c < m->ncpus; c++)
		busy += (double)met_cpu_busy(met, c) / (double)res->cycles / m->ncpus;
	if (verdicts(w, m, v, sizeof(v)) < 0)
		return -1;
	n = snprintf(buf, len,
	             "%llu,%s,%s,%s,%s,%s,%s,%s,%s,%s,%.6f,%llu,%llu,%llu,%llu,%d,%llu,%llu,%llu,"
	             "%llu,%llu,%llu,%.6f,%s\n",
	             (unsigned long long)p->index, p->val[SW_MACHINE], p->val[SW_CPUS],
	             p->val[SW_ZERO_COSTS], p->val[SW_POLICY], p->val[SW_TASKS], p->val[SW_UTIL],
	             p->val[SW_PERIODS], p->val[SW_DISCARD], p->val[SW_SEED], wl_utilisation(w),
	             (unsigned long long)duration, (unsigned long long)st.jobs,
	             (unsigned long long)st.misses, (unsigned long long)st.unfinished,
	             st.misses == 0, (unsigned long long)met_switches(met),
	             (unsigned long long)st.migrations, (unsigned long long)res->events,
	             (unsigned long long)st.resp_p[0], (unsigned long long)st.resp_p[2],
	             (unsigned long long)st.resp_max, busy, v);
	return n > 0 && (size_t)n < len ? 0 : -1;
}

int
sweep_run_one(const struct sweep_spec *s, const struct sweep_point *p, const char *hw_dir,
              char *buf, size_t len, char *err, size_t errlen)
{
	struct sim_machine m;
	const struct sched_policy *pol = sched_policy_find(p->val[SW_POLICY]);
	struct workload *w = NULL;
	struct wl_error werr;
	struct met *met = NULL;
	struct sim_result res;
	uint64_t seed = strtoull(p->val[SW_SEED], NULL, 10), duration;
	char spec[512];
	int rc = -1;

	err[0] = 0;
	if (!pol) {
		snprintf(err, errlen, "policy \"%s\": unknown (see exosim list)",
		         p->val[SW_POLICY]);
		return -1;
	}
	if (setup_machine(p, hw_dir, &m, err, errlen) < 0)
		return -1;
	snprintf(spec, sizeof(spec), "gen:periodic:n=%s,u=%s,periods=%s,discard=%s",
	         p->val[SW_TASKS], p->val[SW_UTIL], p->val[SW_PERIODS], p->val[SW_DISCARD]);
	struct wl_env env = { .hz = m.hz, .ncpus = m.ncpus };
	if (wl_open(spec, &env, seed, &w, &werr) < 0) {
		snprintf(err, errlen, "%s", werr.msg);
		return -1;
	}
	if (duration_of(s, w, m.hz, &duration, err, errlen) == 0 &&
	    simulate(&m, pol, w, seed, duration, &met, &res, err, errlen) == 0)
		rc = format_row(p, w, &m, duration, met, &res, buf, len);
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "run %llu failed", (unsigned long long)p->index);
	met_free(met);
	wl_free(w);
	return rc;
}
