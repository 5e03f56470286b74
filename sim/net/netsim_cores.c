/* exosim's fast path on several owned cores in one run (app l2fwd, "cores": n > 1; docs/sim.md
 * "Several owned cores"): the scale-out layout, as DPDK's l2fwd runs one lcore per port pair.
 * Core i owns NIC port pair i (its own two e1000 or RTL models at their own BARs, its own DMA
 * memory, its own generator on its A wire offering the workload's rate, its own sink on its B
 * wire) and runs lib/fastpath's poll loop over fp_l2fwd_poll, the code one core runs
 * (netsim_fp.c).  The models have one receive and one transmit queue each (the 82540EM and
 * the RTL chips exosim models are single-queue), so the split is by port pair, not by queue.
 *
 * One clock: every core's next poll iteration sits in one queue ordered by simulated time, and
 * the core whose clock is furthest behind runs next (the lower core first on a tie), so every
 * arrival, register access and transmit of every core happens in global time order.  The queue
 * is a scan of at most NETSIM_MAX_CORES clocks.  No core reads another's state in this layout,
 * which is why core i's numbers equal a one-core run's on the same arrivals. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netsim_int.h"

struct mc {
	const struct netsim_cfg *cfg;
	struct ns *s; /* one per core */
	struct fpsim **p;
	bool live[NETSIM_MAX_CORES];
	unsigned n, up; /* cores; cores whose machine was set up */
};

/* Runs the earliest core's next iteration until every core is done: 0, or -1 (memory). */
static int
schedule(struct mc *m)
{
	for (;;) {
		unsigned best = m->n;
		for (unsigned i = 0; i < m->n; i++)
			if (m->live[i] && (best == m->n || m->s[i].cyc < m->s[best].cyc))
				best = i;
		if (best == m->n)
			return 0;
		int r = ns_fp_step(m->p[best]);
		if (r < 0)
			return -1;
		if (r == 0)
			m->live[best] = false;
	}
}

static void
add_stats(struct net_stats *t, const struct net_stats *a)
{
	t->rx_packets += a->rx_packets;
	t->rx_bytes += a->rx_bytes;
	t->rx_errors += a->rx_errors;
	t->rx_dropped += a->rx_dropped;
	t->tx_packets += a->tx_packets;
	t->tx_bytes += a->tx_bytes;
	t->tx_errors += a->tx_errors;
}

/* The value of rank `want` (0-based) in the union of the cores' sorted latencies, walking
 * them as a k-way merge from position `at` (ranks asked in increasing order). */
static uint64_t
union_rank(const struct netsim_result *t, size_t *pos, size_t *at, size_t want)
{
	uint64_t v = 0;

	while (*at <= want) {
		unsigned best = t->ncores;
		for (unsigned i = 0; i < t->ncores; i++)
			if (pos[i] < t->core[i].nlat &&
			    (best == t->ncores ||
			     t->core[i].lat[pos[i]] < t->core[best].lat[pos[best]]))
				best = i;
		v = t->core[best].lat[pos[best]++];
		++*at;
	}
	return v;
}

/* Each core's latency percentiles (its array sorted in place) and the totals', of every
 * core's frames, without a copy of them all (the same ranks as netsim_report.c's pct). */
static void
merge_lat(struct netsim_result *t)
{
	static const double p[] = { 50, 90, 99, 99.9 };
	size_t pos[NETSIM_MAX_CORES] = { 0 }, at = 0, n = 0;
	uint64_t *out[] = { &t->pct.p50, &t->pct.p90, &t->pct.p99, &t->pct.p999 };

	for (unsigned i = 0; i < t->ncores; i++) {
		ns_lat_pct(t->core[i].lat, t->core[i].nlat, &t->core[i].pct);
		n += t->core[i].nlat;
		if (t->core[i].pct.max > t->pct.max)
			t->pct.max = t->core[i].pct.max;
	}
	t->nlat = n;
	for (unsigned k = 0; n && k < 4; k++) {
		size_t want = (size_t)(p[k] / 100.0 * (double)(n - 1) + 0.5);
		*out[k] = union_rank(t, pos, &at, want < n ? want : n - 1);
	}
}

/* The totals: sums, the longest window, every core's latencies. */
static void
merge(struct netsim_result *t)
{
	for (unsigned i = 0; i < t->ncores; i++) {
		const struct netsim_result *c = &t->core[i];
		t->offered += c->offered;
		t->injected += c->injected;
		t->nic_missed += c->nic_missed;
		t->nic_missed_model += c->nic_missed_model;
		t->link_lost += c->link_lost;
		t->wire_dropped += c->wire_dropped;
		t->corrupted += c->corrupted;
		t->received += c->received;
		t->forwarded += c->forwarded;
		t->tx_refused += c->tx_refused;
		t->sunk += c->sunk;
		t->sunk_bytes += c->sunk_bytes;
		t->sunk_bad += c->sunk_bad;
		t->busy += c->busy;
		t->mmio += c->mmio;
		t->interrupts += c->interrupts;
		t->rx_calls += c->rx_calls;
		t->diags += c->diags;
		t->cycles = c->cycles > t->cycles ? c->cycles : t->cycles;
		t->window = c->window > t->window ? c->window : t->window;
		add_stats(&t->drv_a, &c->drv_a);
		add_stats(&t->drv_b, &c->drv_b);
		t->l2.frames += c->l2.frames;
		t->l2.drops += c->l2.drops;
		t->strict_stop |= c->strict_stop;
		if (!t->first_diag[0] && c->first_diag[0])
			snprintf(t->first_diag, sizeof(t->first_diag), "core %u: %.290s", i,
			         c->first_diag);
	}
	merge_lat(t);
}

/* Sets up every core's port pair and step; 0, or -1 with a message. */
static int
start(struct mc *m, char *err, size_t errlen)
{
	for (unsigned i = 0; i < m->n; i++) {
		struct ns *s = &m->s[i];
		if (ns_host_init(s, err, errlen) < 0)
			return -1;
		m->up = i + 1;
	}
	for (unsigned i = 0; i < m->n; i++) {
		struct ns *s = &m->s[i];
		if (ns_setup(s, err, errlen) < 0)
			return -1;
		s->start = s->cyc;
		s->end = s->start + m->cfg->duration;
		s->next = (double)s->start;
		if (!(m->p[i] = ns_fp_start(s))) {
			snprintf(err, errlen, "net: out of memory setting up core %u", i);
			return -1;
		}
		m->live[i] = true;
	}
	return 0;
}

/* Runs every core on one clock; 0 (a --strict stop included), or -1 with a message. */
static int
run(struct mc *m, struct netsim_result *res, char *err, size_t errlen)
{
	struct ns *s0 = &m->s[0];
	struct timespec t0, t1;

	s0->jmp_armed = true;
	if (setjmp(s0->jmp) != 0)
		return 1; /* --strict: stopped at the first protocol error */
	if (start(m, err, errlen) < 0)
		return -1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	if (schedule(m) < 0) {
		snprintf(err, errlen, "net: out of memory during the run");
		return -1;
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	res->host_seconds =
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return 0;
}

const char *
ns_cores_refuse(const struct netsim_cfg *cfg)
{
	if (cfg->app != NETSIM_APP_L2FWD || cfg->arrival == NETSIM_CLOSED)
		return "net: \"cores\" above 1 needs app l2fwd with an open-loop arrival";
	if (cfg->cost.serial)
		return "net: \"cores\" above 1 on a profile with serial CPUs (QEMU -icount runs "
		       "one vCPU at a time): not modelled";
	if (cfg->trace)
		return "net: --trace follows one core: run with \"cores\": 1";
	return NULL;
}

int
ns_cores_run(const struct netsim_cfg *cfg, struct netsim_result *res, char *err, size_t errlen)
{
	struct mc m = { .cfg = cfg, .n = cfg->cores };
	const char *why = ns_cores_refuse(cfg);
	int rc = -1;

	if (why || m.n > NETSIM_MAX_CORES) {
		snprintf(err, errlen, "%s", why ? why : "net: too many cores");
		return -1;
	}
	m.s = calloc(m.n, sizeof(*m.s));
	m.p = calloc(m.n, sizeof(*m.p));
	res->core = calloc(m.n, sizeof(*res->core));
	if (!m.s || !m.p || !res->core) {
		free(m.s);
		free(m.p);
		snprintf(err, errlen, "net: out of memory");
		return -1;
	}
	res->ncores = m.n;
	for (unsigned i = 0; i < m.n; i++)
		m.s[i] = (struct ns){ .cfg = cfg, .res = &res->core[i], .lane = i, .top = &m.s[0] };
	rc = run(&m, res, err, errlen);
	m.s[0].jmp_armed = false;
	for (unsigned i = 0; i < m.n; i++) {
		ns_fp_end(m.p[i], rc == 0);
		res->core[i].window = m.s[i].cyc - m.s[i].start;
		res->core[i].cycles = m.s[i].cyc;
		if (rc == 0)
			ns_finish(&m.s[i]);
	}
	if (rc >= 0)
		merge(res);
	for (unsigned i = m.up; i-- > 0;)
		ns_host_fini(&m.s[i]);
	free(m.s);
	free(m.p);
	return rc < 0 ? -1 : 0;
}

void
ns_cores_print(const struct netsim_cfg *c, const struct netsim_result *r, FILE *f, bool host)
{
	static const char *const nics[] = { "e1000", "rtl8139", "rtl8168" };
	static const char *const arr[] = { "fixed", "poisson", "bursty", "pcap", "closed" };
	double win = (double)c->duration / (double)c->hz, us = 1e6 / (double)c->hz;
	char label[32];

	fprintf(f,
	        "net: %s -> %s l2fwd's step on %u owned cores (scale-out: a NIC port pair each), "
	        "%u-byte frames, %s %.3f Mpps offered per port for %.3f ms, batch %u, ring %u, "
	        "polling\n",
	        nics[c->nic], nics[c->nic], r->ncores, c->frame + 4, arr[c->arrival], c->rate / 1e6,
	        win * 1e3, c->batch, c->ring);
	for (unsigned i = 0; i < r->ncores; i++) {
		const struct netsim_result *k = &r->core[i];
		fprintf(f,
		        "  core %u: offered %llu, forwarded %llu, sunk %llu (%llu bad), drops %llu "
		        "(NIC ring full %llu), %.3f Mpps, %.1f%% busy\n",
		        i, (unsigned long long)k->offered, (unsigned long long)k->forwarded,
		        (unsigned long long)k->sunk, (unsigned long long)k->sunk_bad,
		        (unsigned long long)(k->offered - k->sunk),
		        (unsigned long long)k->nic_missed_model, (double)k->sunk / win / 1e6,
		        k->window ? 100.0 * (double)k->busy / (double)k->window : 0.0);
		snprintf(label, sizeof(label), "core %u latency", i);
		ns_print_pct(f, label, &k->pct, us);
	}
	fprintf(
	    f,
	    "  total: offered %llu, forwarded %llu, sunk %llu (%llu bad), drops %llu, %.3f Mpps "
	    "forwarded (%.3f Gb/s of frames)\n",
	    (unsigned long long)r->offered, (unsigned long long)r->forwarded,
	    (unsigned long long)r->sunk, (unsigned long long)r->sunk_bad,
	    (unsigned long long)(r->offered - r->sunk), (double)r->sunk / win / 1e6,
	    (double)r->sunk_bytes * 8 / win / 1e9);
	ns_print_pct(f, "total latency", &r->pct, us);
	fprintf(f, "  diagnostics: %u%s%s\n", r->diags, r->diags ? ", first: " : "", r->first_diag);
	if (host && r->window)
		fprintf(f,
		        "  host: %.3f s for %.3f simulated ms on %u cores: %.2f host s per "
		        "simulated s\n",
		        r->host_seconds, (double)r->window / (double)c->hz * 1e3, r->ncores,
		        r->host_seconds / ((double)r->window / (double)c->hz));
}
