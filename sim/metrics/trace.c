/* --trace: Chrome trace-event JSON (the format Perfetto's JSON importer reads), streamed
 * while the run goes.  Process 1, the machine: one track (tid) per hardware thread, an "X"
 * slice per run interval and per overhead interval, "i" instants for job releases and
 * deadline misses.  Process 2, the tasks: one track per task, a slice per interval it was
 * running, ready or blocked.  Only what overlaps the window [win_from, win_to] is written,
 * clipped to it.  Timestamps are microseconds with nanosecond decimals, computed exactly
 * from cycles. */
#include "met_internal.h"

#include <inttypes.h>

uint64_t
met_cycles_to_ns(const struct met *m, uint64_t cycles)
{
	return (uint64_t)((unsigned __int128)cycles * 1000000000u / m->hz);
}

void
met_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

enum { PID_MACHINE = 1, PID_TASKS = 2 };

/* Starts one event object, with the separator from the previous one; track `idx` (a CPU
 * or a task) is tid idx + 1. */
static void
event_open_in(struct met *m, const char *ph, unsigned pid, unsigned idx)
{
	fprintf(m->trace, "%s{\"ph\":\"%s\",\"pid\":%u,\"tid\":%u", m->trace_started ? ",\n" : "",
	        ph, pid, idx + 1);
	m->trace_started = true;
}

static void
event_open(struct met *m, const char *ph, unsigned cpu)
{
	event_open_in(m, ph, PID_MACHINE, cpu);
}

/* Clips [*start, *end] to the window; false when nothing of it is inside (a slice that
 * only touches the window's edge is outside, an instant on the edge inside). */
static bool
in_window(const struct met *m, uint64_t *start, uint64_t *end)
{
	uint64_t s = *start > m->win_from ? *start : m->win_from;
	uint64_t e = *end < m->win_to ? *end : m->win_to;

	if (s > e || (s == e && *end > *start))
		return false;
	*start = s;
	*end = e;
	return true;
}

static void
put_us(FILE *f, const char *key, uint64_t ns)
{
	fprintf(f, ",\"%s\":%" PRIu64 ".%03" PRIu64, key, ns / 1000, ns % 1000);
}

void
met_trace_begin(struct met *m)
{
	fprintf(m->trace, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
	fprintf(m->trace, "{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\",\"args\":{\"name\":");
	met_json_string(m->trace, m->machine);
	fprintf(m->trace, "}}");
	m->trace_started = true;
	for (unsigned c = 0; c < m->ncpus; c++) {
		event_open(m, "M", c);
		fprintf(m->trace, ",\"name\":\"thread_name\",\"args\":{\"name\":\"cpu%u\"}}", c);
		event_open(m, "M", c);
		fprintf(m->trace, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
		        c);
	}
	fprintf(m->trace,
	        ",\n{\"ph\":\"M\",\"pid\":%u,\"name\":\"process_name\","
	        "\"args\":{\"name\":\"tasks\"}}",
	        PID_TASKS);
	for (unsigned t = 0; t < m->ntasks; t++) {
		event_open_in(m, "M", PID_TASKS, t);
		fprintf(m->trace, ",\"name\":\"thread_name\",\"args\":{\"name\":");
		met_json_string(m->trace, m->tasks[t].name);
		fprintf(m->trace, "}}");
		event_open_in(m, "M", PID_TASKS, t);
		fprintf(m->trace, ",\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%u}}",
		        t);
	}
}

void
met_trace_slice(struct met *m, unsigned cpu, const char *name, const char *cat, long task,
                uint64_t start, uint64_t end)
{
	uint64_t s, e;

	if (!in_window(m, &start, &end))
		return;
	s = met_cycles_to_ns(m, start);
	e = met_cycles_to_ns(m, end);
	event_open(m, "X", cpu);
	fprintf(m->trace, ",\"name\":");
	met_json_string(m->trace, name);
	fprintf(m->trace, ",\"cat\":\"%s\"", cat);
	put_us(m->trace, "ts", s);
	put_us(m->trace, "dur", e - s);
	if (task >= 0)
		fprintf(m->trace, ",\"args\":{\"task\":%ld}", task);
	fputc('}', m->trace);
}

/* A slice of a task's track: running (on which CPU), ready or blocked. */
void
met_trace_task_slice(struct met *m, unsigned task, enum met_task_state st, unsigned cpu,
                     uint64_t start, uint64_t end)
{
	static const char *const names[] = {
		[MET_TS_READY] = "ready", [MET_TS_RUNNING] = "running", [MET_TS_BLOCKED] = "blocked"
	};
	uint64_t s, e;

	if (!in_window(m, &start, &end))
		return;
	s = met_cycles_to_ns(m, start);
	e = met_cycles_to_ns(m, end);
	event_open_in(m, "X", PID_TASKS, task);
	fprintf(m->trace, ",\"name\":\"%s\",\"cat\":\"task\"", names[st]);
	put_us(m->trace, "ts", s);
	put_us(m->trace, "dur", e - s);
	if (st == MET_TS_RUNNING)
		fprintf(m->trace, ",\"args\":{\"cpu\":%u}", cpu);
	fputc('}', m->trace);
}

void
met_trace_instant(struct met *m, unsigned cpu, const char *what, unsigned task, uint64_t job,
                  uint64_t cycle)
{
	if (cycle < m->win_from || cycle > m->win_to)
		return;
	event_open(m, "i", cpu);
	fprintf(m->trace, ",\"s\":\"t\",\"name\":\"%s\",\"cat\":\"%s\"", what, what);
	put_us(m->trace, "ts", met_cycles_to_ns(m, cycle));
	fprintf(m->trace, ",\"args\":{\"task\":");
	met_json_string(m->trace, m->tasks[task].name);
	fprintf(m->trace, ",\"job\":%" PRIu64 "}}", job);
}

void
met_trace_end(struct met *m)
{
	fprintf(m->trace, "\n],\"otherData\":{\"policy\":");
	met_json_string(m->trace, m->policy);
	fprintf(m->trace, ",\"workload\":");
	met_json_string(m->trace, m->workload);
	fprintf(m->trace, ",\"seed\":\"%" PRIu64 "\",\"cycles\":\"%" PRIu64 "\"", m->seed,
	        m->end.cycles);
	if (m->win_from || m->win_to != UINT64_MAX)
		fprintf(m->trace, ",\"window_cycles\":[\"%" PRIu64 "\",\"%" PRIu64 "\"]",
		        m->win_from, m->win_to < m->end.cycles ? m->win_to : m->end.cycles);
	fprintf(m->trace, "}}\n");
}
