/* The network run's summary: offered and forwarded rates, where frames were lost, latency
 * percentiles from arrival on A's wire to the last bit leaving B's, the core's load, the
 * model's diagnostics and the host's speed. */
#include <stdlib.h>
#include <string.h>

#include "netsim_int.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return (double)v[i < n ? i : n - 1];
}

void
ns_lat_pct(uint64_t *v, size_t n, struct netsim_pct *o)
{
	memset(o, 0, sizeof(*o));
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_u64);
	o->p50 = (uint64_t)pct(v, n, 50);
	o->p90 = (uint64_t)pct(v, n, 90);
	o->p99 = (uint64_t)pct(v, n, 99);
	o->p999 = (uint64_t)pct(v, n, 99.9);
	o->max = v[n - 1];
}

void
ns_print_pct(FILE *f, const char *label, const struct netsim_pct *p, double us)
{
	fprintf(f, "  %s us: p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f\n", label,
	        (double)p->p50 * us, (double)p->p90 * us, (double)p->p99 * us, (double)p->p999 * us,
	        (double)p->max * us);
}

void
ns_print_lat(FILE *f, const char *label, const uint64_t *lat, size_t n, double us)
{
	uint64_t *v = n ? malloc(n * sizeof(*v)) : NULL;
	struct netsim_pct p;

	if (!v)
		return;
	memcpy(v, lat, n * sizeof(*v));
	ns_lat_pct(v, n, &p);
	ns_print_pct(f, label, &p, us);
	free(v);
}

/* App l2fwd: the step's own metrics page, as user/l2fwd.c prints it (BENCH lines in cycles of
 * the profile: instructions on the qemu profile) and in microseconds. */
static void
l2_print(const struct netsim_cfg *c, const struct netsim_result *r, FILE *f)
{
	const struct netsim_l2 *l = &r->l2;
	const struct fp_hist_summary *s = &l->lat;
	double us = 1e6 / (double)c->hz;

	fprintf(f, "  l2fwd: frames %llu batches %llu full %llu drops %llu, stop frame %s\n",
	        (unsigned long long)l->frames, (unsigned long long)l->batches,
	        (unsigned long long)l->full, (unsigned long long)l->drops,
	        l->stopped ? "seen" : "none");
	fprintf(f, "  l2fwd: latency us: p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f (%llu)\n",
	        (double)s->p50 * us, (double)s->p90 * us, (double)s->p99 * us, (double)s->p999 * us,
	        (double)s->max * us, (unsigned long long)s->count);
	if (l->full) {
		fprintf(f, "BENCH l2fwd_sim_pkt %llu cycles\n",
		        (unsigned long long)(l->batch_min / NET_BATCH));
		fprintf(f, "BENCH l2fwd_sim_pkt_mean %llu cycles\n",
		        (unsigned long long)(l->full_cycles / (l->full * NET_BATCH)));
		fprintf(f, "BENCH l2fwd_sim_rxtx_pkt %llu cycles\n",
		        (unsigned long long)(l->io_min / NET_BATCH));
	}
	if (r->received)
		fprintf(f, "BENCH l2fwd_sim_busy_pkt %llu cycles\n",
		        (unsigned long long)(r->busy / r->received));
	fprintf(f, "BENCH l2fwd_sim_lat_p50 %llu cycles\n", (unsigned long long)s->p50);
	fprintf(f, "BENCH l2fwd_sim_lat_p99 %llu cycles\n", (unsigned long long)s->p99);
	fprintf(f, "BENCH l2fwd_sim_lat_p999 %llu cycles\n", (unsigned long long)s->p999);
	fprintf(f, "BENCH l2fwd_sim_lat_max %llu cycles\n", (unsigned long long)s->max);
	fprintf(f, "BENCH l2fwd_sim_irqs %llu interrupts\n", (unsigned long long)r->interrupts);
}

void
netsim_print(const struct netsim_cfg *c, const struct netsim_result *r, FILE *f, bool host)
{
	static const char *const nics[] = { "e1000", "rtl8139", "rtl8168" };
	static const char *const arr[] = { "fixed", "poisson", "bursty", "pcap", "closed" };
	double win = (double)c->duration / (double)c->hz, us = 1e6 / (double)c->hz;

	if (r->core) {
		ns_cores_print(c, r, f, host);
		return;
	}
	if (c->arrival == NETSIM_CLOSED)
		fprintf(
		    f,
		    "net: %s -> %s, l2fwd's step, user/l2gen.c's closed loop: %u %u-byte frames "
		    "in batches of %u, one in flight, pace %llu cycles, ring %u, polling%s\n",
		    nics[c->nic], nics[c->nic], c->frames, c->frame + 4, c->batch,
		    (unsigned long long)c->pace, c->ring,
		    c->cost.serial ? ", serial CPUs (one instruction clock)" : "");
	else if (c->arrival == NETSIM_PCAP)
		fprintf(f,
		        "net: %s -> %s forwarding, the frames of %s for at most %.3f ms, batch %u, "
		        "ring %u, %s\n",
		        nics[c->nic], nics[c->nic], c->pcap, win * 1e3, c->batch, c->ring,
		        c->intr ? "interrupts" : "polling");
	else
		fprintf(f,
		        "net: %s -> %s %s, %u-byte frames, %s %.3f Mpps offered for %.3f "
		        "ms, batch "
		        "%u, ring %u, %s\n",
		        nics[c->nic], nics[c->nic],
		        c->app == NETSIM_APP_L2FWD ? "l2fwd's step" : "forwarding", c->frame + 4,
		        arr[c->arrival], c->rate / 1e6, win * 1e3, c->batch, c->ring,
		        c->intr ? "interrupts" : "polling");
	if (c->pipeline)
		fprintf(
		    f,
		    "  pipeline: core 0 fp_l2fwd_rx_stage %.1f%% busy, core 1 fp_l2fwd_tx_stage "
		    "%.1f%% busy, an SPSC ring of %u slots between them (%llu frames refused), "
		    "%llu cycles per index handoff\n",
		    r->window ? 100.0 * (double)r->pipe_busy[0] / (double)r->window : 0.0,
		    r->window ? 100.0 * (double)r->pipe_busy[1] / (double)r->window : 0.0,
		    c->stage_ring, (unsigned long long)r->pipe_ring_drops,
		    (unsigned long long)c->xfer);
	if (c->app == NETSIM_APP_L2FWD)
		l2_print(c, r, f);
	fprintf(f, "  frames: offered %llu, received %llu, forwarded %llu, sunk %llu (%llu bad)\n",
	        (unsigned long long)r->offered, (unsigned long long)r->received,
	        (unsigned long long)r->forwarded, (unsigned long long)r->sunk,
	        (unsigned long long)r->sunk_bad);
	fprintf(f, "  rate: %.3f Mpps forwarded (%.3f Gb/s of frames)\n",
	        (double)r->sunk / win / 1e6, (double)r->sunk_bytes * 8 / win / 1e9);
	fprintf(f,
	        "  drops: %llu (NIC A ring full %llu, link down %llu, wire %llu, corrupted %llu, "
	        "driver rx %llu/%llu err/drop, tx refused %llu)\n",
	        (unsigned long long)(r->offered - r->sunk), (unsigned long long)r->nic_missed_model,
	        (unsigned long long)r->link_lost, (unsigned long long)r->wire_dropped,
	        (unsigned long long)r->corrupted, (unsigned long long)r->drv_a.rx_errors,
	        (unsigned long long)r->drv_a.rx_dropped, (unsigned long long)r->tx_refused);
	ns_print_lat(f, "latency", r->lat, r->nlat, us);
	fprintf(f, "  %s: %.1f%% busy, %llu net_rx calls, %llu MMIO accesses, %llu interrupts\n",
	        c->pipeline ? "both cores" : "core",
	        r->window ? 100.0 * (double)r->busy / (double)r->window : 0.0,
	        (unsigned long long)r->rx_calls, (unsigned long long)r->mmio,
	        (unsigned long long)r->interrupts);
	fprintf(f, "  diagnostics: %u%s%s\n", r->diags, r->diags ? ", first: " : "", r->first_diag);
	if (host && r->window)
		fprintf(f, "  host: %.3f s for %.3f simulated ms: %.2f host s per simulated s\n",
		        r->host_seconds, (double)r->window / (double)c->hz * 1e3,
		        r->host_seconds / ((double)r->window / (double)c->hz));
}
