/* The NVMe run's Chrome trace (Trace Event Format, which https://ui.perfetto.dev opens): an
 * async track per device queue ("nvme q1", ...), one slice per request from its arrival (open
 * loop) or submission (closed loop) to the poll that reaped it, and beside them the simulated
 * core's track ("cpu0") with a slice per nvme_submit or nvme_poll call that moved requests
 * (a run made with cfg.trace).  Times in microseconds. */
#include "nvsim.h"

int
nvsim_trace(const struct nvsim_cfg *c, const struct nvsim_result *r, FILE *f)
{
	double us = 1e6 / (double)c->hz;
	uint64_t id = 0;

	fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", f);
	fputs("{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 2, \"args\": {\"name\": "
	      "\"nvme\"}},\n"
	      "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 2, \"tid\": 0, \"args\": "
	      "{\"name\": \"cpu0\"}}",
	      f);
	for (size_t i = 0; i < r->ncalls; i++) {
		const struct nvsim_call *k = &r->calls[i];
		fprintf(f,
		        ",\n{\"name\": \"%s\", \"cat\": \"cpu0\", \"ph\": \"X\", \"pid\": 2, "
		        "\"tid\": 0, \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"queue\": %u, "
		        "\"requests\": %u}}",
		        k->submit ? "nvme_submit" : "nvme_poll", (double)k->t * us,
		        (double)k->len * us, (unsigned)k->qid, (unsigned)k->n);
	}
	for (unsigned q = 0; q < c->nq; q++) {
		const struct nvsim_qstat *s = &r->q[q];
		/* The requests were recorded in reaping order; the sort for percentiles touches
		 * only `lat`, so this runs before the summary. */
		for (size_t i = 0; i < s->nlat; i++, id++) {
			const char *op = s->write[i] ? "write" : "read";
			fprintf(f,
			        ",\n{\"name\": \"%s\", \"cat\": \"nvme q%u\", \"ph\": \"b\", "
			        "\"id\": %llu, "
			        "\"pid\": 2, \"ts\": %.3f}",
			        op, q + 1, (unsigned long long)id, (double)s->start[i] * us);
			fprintf(f,
			        ",\n{\"name\": \"%s\", \"cat\": \"nvme q%u\", \"ph\": \"e\", "
			        "\"id\": %llu, "
			        "\"pid\": 2, \"ts\": %.3f}",
			        op, q + 1, (unsigned long long)id,
			        (double)(s->start[i] + s->lat[i]) * us);
		}
	}
	fputs("\n]}\n", f);
	return ferror(f) ? -1 : 0;
}
