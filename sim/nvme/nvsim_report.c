/* The NVMe run's summary: per queue IOPS, bandwidth and latency percentiles (nearest rank),
 * the driver's and the model's counters, and host speed. */
#include <stdlib.h>
#include <string.h>

#include "nvsim.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[0..n). */
static uint64_t
pct(const uint64_t *v, size_t n, double p)
{
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);

	return n == 0 ? 0 : v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

static void
row(FILE *f, const char *name, uint64_t *v, size_t n, uint64_t bytes, uint64_t errors,
    const struct nvsim_cfg *c, double secs)
{
	double us = 1e6 / (double)c->hz;

	qsort(v, n, sizeof(*v), cmp_u64);
	fprintf(f, "  %-6s %9zu %10.0f %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f %6llu\n", name, n,
	        secs > 0 ? (double)n / secs : 0, secs > 0 ? (double)bytes / secs / 1e6 : 0,
	        (double)pct(v, n, 50) * us, (double)pct(v, n, 90) * us, (double)pct(v, n, 99) * us,
	        (double)pct(v, n, 99.9) * us, n ? (double)v[n - 1] * us : 0,
	        (unsigned long long)errors);
}

void
nvsim_print(const struct nvsim_cfg *c, const struct nvsim_result *r, FILE *f, bool host)
{
	double secs = (double)r->measured / (double)c->hz;
	size_t total = 0;
	uint64_t bytes = 0, errors = 0;
	char name[16];

	fprintf(f, "nvme: ssd %s, %u queue%s x QD%u, %u-byte %s, %s, %s\n", c->ssd.name, c->nq,
	        c->nq > 1 ? "s" : "", c->qd, c->bs,
	        c->read_pct == 100 ? "reads"
	        : c->read_pct == 0 ? "writes"
	                           : "reads/writes",
	        c->rate <= 0 ? "closed loop"
	        : c->on      ? "bursty Poisson open loop"
	                     : "Poisson open loop",
	        c->intr ? "MSI-X" : "polled");
	fprintf(f, "simulated %.6f s (%llu cycles, issuing %.6f s), %llu events\n",
	        (double)r->cycles / (double)c->hz, (unsigned long long)r->cycles, secs,
	        (unsigned long long)r->events);
	fprintf(f,
	        "driver: submitted %llu, completed %llu, errors %llu, timeouts %llu, aborts %llu, "
	        "resets %llu, resubmitted %llu, dropped %llu\n",
	        (unsigned long long)r->drv.submitted, (unsigned long long)r->drv.completed,
	        (unsigned long long)r->drv.errors, (unsigned long long)r->drv.timeouts,
	        (unsigned long long)r->drv.aborts, (unsigned long long)r->drv.resets,
	        (unsigned long long)r->drv.resubmitted, (unsigned long long)r->drv.dropped);
	fprintf(f,
	        "machine: %llu MMIO accesses, %llu MSI-X messages, %llu controller commands, "
	        "%llu faults injected, %u protocol errors%s%s\n",
	        (unsigned long long)r->mmio, (unsigned long long)r->interrupts,
	        (unsigned long long)r->model_cmds, (unsigned long long)r->faults_fired, r->diags,
	        r->diags ? "; first: " : "", r->first_diag);
	if (c->verify)
		fprintf(f,
		        "verify: %llu writes acknowledged, %llu blocks read back, %llu mismatches, "
		        "%llu requests unanswered\n",
		        (unsigned long long)r->acked_writes, (unsigned long long)r->verified,
		        (unsigned long long)r->verify_bad,
		        (unsigned long long)(r->submitted - r->reaped));
	fprintf(f,
	        "latency (us)  ios       IOPS      MB/s      p50      p90      p99    p99.9      "
	        "max errors\n");
	for (unsigned q = 0; q < c->nq; q++)
		total += r->q[q].nlat;
	uint64_t *all = malloc((total ? total : 1) * sizeof(*all));
	size_t k = 0;
	for (unsigned q = 0; q < c->nq; q++) {
		const struct nvsim_qstat *s = &r->q[q];
		snprintf(name, sizeof(name), "q%u", q + 1);
		if (all)
			memcpy(all + k, s->lat, s->nlat * sizeof(*all));
		k += s->nlat;
		bytes += s->bytes;
		errors += s->errors;
		row(f, name, s->lat, s->nlat, s->bytes, s->errors, c, secs);
	}
	if (all && c->nq > 1)
		row(f, "all", all, total, bytes, errors, c, secs);
	free(all);
	if (host)
		fprintf(
		    f,
		    "host CPU %.3f s for the workload loop: %.0f events and %.0f MMIO accesses per "
		    "host second, %.2f host s per simulated s\n",
		    r->host_seconds,
		    r->host_seconds > 0 ? (double)r->loop_events / r->host_seconds : 0,
		    r->host_seconds > 0 ? (double)r->mmio / r->host_seconds : 0,
		    r->loop_cycles ? r->host_seconds / ((double)r->loop_cycles / (double)c->hz)
		                   : 0);
}
