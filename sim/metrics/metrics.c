/* exosim metrics: set-up, the recorders the engine calls, the per-job CSV, the
 * fingerprint, and read-back of the accumulated statistics. */
#include "met_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const overhead_names[MET_OVH_NKINDS] = {
	"switch", "migrate", "tick", "ipi", "syscall",
};

/* Fingerprint: each 64-bit word is multiplied in and mixed so that order matters; the
 * final value goes through the SplitMix64 finaliser (see met_fingerprint). */
static void
fp_word(struct met *m, uint64_t w)
{
	m->fp = (m->fp ^ w) * 0x9e3779b97f4a7c15ULL;
	m->fp ^= m->fp >> 29;
}

static void
fp_record(struct met *m, uint64_t tag, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	fp_word(m, tag);
	fp_word(m, a);
	fp_word(m, b);
	fp_word(m, c);
	fp_word(m, d);
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int
met_init(struct met **out, const struct met_config *cfg)
{
	struct met *m;

	*out = NULL;
	if (cfg->hz == 0 || cfg->ncpus == 0 || (cfg->ntasks && !cfg->task_names))
		return -1;
	if (!(m = calloc(1, sizeof(*m))))
		return -1;
	m->hz = cfg->hz;
	m->seed = cfg->seed;
	m->ncpus = cfg->ncpus;
	m->ntasks = cfg->ntasks;
	m->csv = cfg->csv;
	m->trace = cfg->trace;
	m->win_from = cfg->window_from;
	m->win_to = cfg->window_to ? cfg->window_to : UINT64_MAX;
	m->fp = 0x6a09e667f3bcc908ULL ^ cfg->seed;
	m->machine = dup_or_empty(cfg->machine);
	m->policy = dup_or_empty(cfg->policy);
	m->workload = dup_or_empty(cfg->workload);
	m->tasks = calloc(cfg->ntasks ? cfg->ntasks : 1, sizeof(*m->tasks));
	m->cpus = calloc(cfg->ncpus, sizeof(*m->cpus));
	m->oom = !m->machine || !m->policy || !m->workload || !m->tasks || !m->cpus;
	for (unsigned i = 0; i < cfg->ntasks && !m->oom; i++)
		m->oom = !(m->tasks[i].name = dup_or_empty(cfg->task_names[i]));
	if (m->oom) {
		met_free(m);
		return -1;
	}
	if (m->csv)
		fprintf(m->csv, "task,release,start,finish,response,deadline,missed\n");
	if (m->trace)
		met_trace_begin(m);
	*out = m;
	return 0;
}

void
met_free(struct met *m)
{
	if (!m)
		return;
	for (unsigned i = 0; m->tasks && i < m->ntasks; i++) {
		free(m->tasks[i].name);
		hist_free(&m->tasks[i].resp);
	}
	hist_free(&m->total.resp);
	free(m->tasks);
	free(m->cpus);
	free(m->machine);
	free(m->policy);
	free(m->workload);
	free(m);
}

static bool
valid(struct met *m, unsigned cpu, unsigned task)
{
	if (cpu < m->ncpus && task < m->ntasks)
		return true;
	m->bad_records++;
	return false;
}

void
met_run(struct met *m, unsigned cpu, unsigned task, uint64_t start, uint64_t end)
{
	fp_record(m, 1, cpu, task, start, end);
	if (!valid(m, cpu, task) || end < start)
		return;
	m->cpus[cpu].busy += end - start;
	m->tasks[task].runtime += end - start;
	if (m->trace)
		met_trace_slice(m, cpu, m->tasks[task].name, "run", task, start, end);
}

void
met_overhead(struct met *m, unsigned cpu, enum met_overhead_kind kind, uint64_t start, uint64_t end)
{
	fp_record(m, 2, cpu, kind, start, end);
	if (cpu >= m->ncpus || (unsigned)kind >= MET_OVH_NKINDS || end < start) {
		m->bad_records++;
		return;
	}
	m->cpus[cpu].ovh[kind] += end - start;
	if (m->trace && end > start)
		met_trace_slice(m, cpu, overhead_names[kind], "overhead", -1, start, end);
}

void
met_release(struct met *m, unsigned task, uint64_t job, unsigned cpu, uint64_t cycle)
{
	fp_record(m, 3, task, job, cpu, cycle);
	if (valid(m, cpu, task) && m->trace)
		met_trace_instant(m, cpu, "release", task, job, cycle);
}

static void
csv_name(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, f);
		return;
	}
	fputc('"', f); /* RFC 4180: quote, and double the quotes inside */
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
csv_row(struct met *m, const struct met_job *j, bool finished, bool missed)
{
	csv_name(m->csv, m->tasks[j->task].name);
	fprintf(m->csv, ",%" PRIu64 ",%" PRIu64 ",", j->release, j->start);
	if (finished)
		fprintf(m->csv, "%" PRIu64 ",%" PRIu64, j->finish, j->finish - j->release);
	else
		fputc(',', m->csv);
	fputc(',', m->csv);
	if (j->deadline)
		fprintf(m->csv, "%" PRIu64, j->deadline);
	fprintf(m->csv, ",%d\n", missed);
}

static void
account(struct met *m, struct met_task *t, uint64_t resp)
{
	double d = (double)resp - t->mean;

	t->jobs++;
	t->mean += d / (double)t->jobs;
	t->m2 += d * ((double)resp - t->mean);
	if (hist_add(&t->resp, resp) < 0)
		m->oom = true;
}

void
met_job(struct met *m, const struct met_job *j)
{
	bool missed;

	fp_record(m, 4, j->task, j->release, j->start, j->finish);
	fp_word(m, j->deadline);
	if (!valid(m, j->cpu, j->task) || j->finish < j->release) {
		if (j->finish < j->release)
			m->bad_records++;
		return;
	}
	missed = j->deadline && j->finish > j->deadline;
	account(m, &m->tasks[j->task], j->finish - j->release);
	account(m, &m->total, j->finish - j->release);
	if (missed) {
		m->tasks[j->task].misses++;
		m->total.misses++;
		if (m->trace)
			met_trace_instant(m, j->cpu, "miss", j->task, j->job, j->deadline);
	}
	if (m->csv)
		csv_row(m, j, true, missed);
}

void
met_job_unfinished(struct met *m, const struct met_job *j, uint64_t now)
{
	bool missed = j->deadline && j->deadline <= now;

	fp_record(m, 5, j->task, j->release, j->deadline, now);
	if (!valid(m, j->cpu, j->task))
		return;
	m->tasks[j->task].unfinished++;
	m->total.unfinished++;
	if (missed) {
		m->tasks[j->task].misses++;
		m->total.misses++;
	}
	if (m->csv)
		csv_row(m, j, false, missed);
}

void
met_task_state(struct met *m, unsigned task, enum met_task_state s, unsigned cpu, uint64_t cycle)
{
	struct met_task *t;

	fp_record(m, 9, task, s, cpu, cycle);
	if (!valid(m, cpu, task))
		return;
	t = &m->tasks[task];
	if (t->state == s && (s != MET_TS_RUNNING || t->state_cpu == cpu))
		return;
	if (m->trace && t->state != MET_TS_NONE && t->state != MET_TS_EXITED && cycle > t->since)
		met_trace_task_slice(m, task, t->state, t->state_cpu, t->since, cycle);
	t->state = s;
	t->state_cpu = cpu;
	t->since = cycle;
}

void
met_switch(struct met *m, unsigned cpu, int to, uint64_t cycle)
{
	fp_record(m, 6, cpu, (uint64_t)(int64_t)to, cycle, 0);
	if (cpu >= m->ncpus) {
		m->bad_records++;
		return;
	}
	m->cpus[cpu].switches++;
	m->switches++;
}

void
met_migration(struct met *m, unsigned task, unsigned from, unsigned to, uint64_t cycle)
{
	fp_record(m, 7, task, from, to, cycle);
	if (!valid(m, from, task) || to >= m->ncpus) {
		return;
	}
	m->tasks[task].migrations++;
	m->migrations++;
}

void
met_event(struct met *m, uint64_t cycle, unsigned kind, uint64_t a, uint64_t b)
{
	fp_record(m, 8, cycle, kind, a, b);
}

int
met_finish(struct met *m, const struct met_end *end)
{
	int bad = m->oom;

	m->end = *end;
	for (unsigned i = 0; i < m->ntasks && m->trace; i++) {
		struct met_task *t = &m->tasks[i];

		if (t->state != MET_TS_NONE && t->state != MET_TS_EXITED && end->cycles > t->since)
			met_trace_task_slice(m, i, t->state, t->state_cpu, t->since, end->cycles);
	}
	if (m->trace) {
		met_trace_end(m);
		bad |= fflush(m->trace) != 0 || ferror(m->trace);
	}
	if (m->csv)
		bad |= fflush(m->csv) != 0 || ferror(m->csv);
	return bad ? -1 : 0;
}

uint64_t
met_fingerprint(const struct met *m)
{
	uint64_t z = m->fp;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
fill_stats(const struct met_task *t, struct met_task_stats *s)
{
	static const double pct[5] = { 50, 90, 99, 99.9, 99.99 };

	memset(s, 0, sizeof(*s));
	s->jobs = t->jobs;
	s->misses = t->misses;
	s->unfinished = t->unfinished;
	s->migrations = t->migrations;
	s->runtime = t->runtime;
	s->resp_min = t->resp.count ? t->resp.min : 0;
	s->resp_max = t->resp.count ? t->resp.max : 0;
	s->resp_mean = t->mean;
	s->resp_stddev = t->jobs > 1 ? sqrt(t->m2 / (double)t->jobs) : 0;
	for (int i = 0; i < 5; i++)
		s->resp_p[i] = hist_percentile(&t->resp, pct[i]);
	s->resp_p[5] = s->resp_max;
}

int
met_task_stats(const struct met *m, unsigned task, struct met_task_stats *out)
{
	if (task >= m->ntasks)
		return -1;
	fill_stats(&m->tasks[task], out);
	return 0;
}

void
met_total_stats(const struct met *m, struct met_task_stats *out)
{
	fill_stats(&m->total, out);
	out->migrations = m->migrations;
	out->runtime = 0;
	for (unsigned i = 0; i < m->ntasks; i++)
		out->runtime += m->tasks[i].runtime;
}

uint64_t
met_cpu_busy(const struct met *m, unsigned cpu)
{
	return cpu < m->ncpus ? m->cpus[cpu].busy : 0;
}

uint64_t
met_switches(const struct met *m)
{
	return m->switches;
}

const char *
met_overhead_name(enum met_overhead_kind k)
{
	return (unsigned)k < MET_OVH_NKINDS ? overhead_names[k] : "?";
}
