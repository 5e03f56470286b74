/* --trace: Chrome trace-event JSON (the format Perfetto's JSON importer reads), streamed
 * while the run goes: one track (tid) per hardware thread, an "X" slice per run interval
 * and per overhead interval, "i" instants for job releases and deadline misses.
 * Timestamps are microseconds with nanosecond decimals, computed exactly from cycles. */
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

/* Starts one event object, with the separator from the previous one. */
static void
event_open(struct met *m, const char *ph, unsigned cpu)
{
	fprintf(m->trace, "%s{\"ph\":\"%s\",\"pid\":1,\"tid\":%u", m->trace_started ? ",\n" : "",
	        ph, cpu + 1);
	m->trace_started = true;
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
}

void
met_trace_slice(struct met *m, unsigned cpu, const char *name, const char *cat, long task,
                uint64_t start, uint64_t end)
{
	uint64_t s = met_cycles_to_ns(m, start), e = met_cycles_to_ns(m, end);

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

void
met_trace_instant(struct met *m, unsigned cpu, const char *what, unsigned task, uint64_t job,
                  uint64_t cycle)
{
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
	fprintf(m->trace, ",\"seed\":\"%" PRIu64 "\",\"cycles\":\"%" PRIu64 "\"}}\n", m->seed,
	        m->end.cycles);
}
