/* exosim's fast-path run (app l2fwd, docs/sim.md "The fast path in exosim"): the simulated
 * core runs lib/fastpath's poll loop (fp_poll_once) over l2fwd's forwarding step
 * (fp_l2fwd_poll, lib/fastpath/l2fwd/l2fwd_loop.c), the code user/l2fwd.c runs on its owned
 * core, compiled unchanged, against the NIC models.  The step reads its clock through
 * fp_clock: here the simulated core's cycle count, to which each read first adds the cost of
 * the work the step did since the previous read, from the profile (nic.json), in the order
 * fp_l2fwd.h documents.  The generator is either an open-loop stream (netsim_host.c; the
 * stamp is the arrival on A's wire) or user/l2gen.c's closed loop: a batch stamped frame by
 * frame, one transmit, a sleep of `pace`, the next batch when the previous one is back; on a
 * serial machine (QEMU -icount runs one vCPU at a time) the forwarder's CPU stands still
 * from the generator's first stamp to the end of its gap. */
#include <stdlib.h>
#include <string.h>

#include "netsim_int.h"

struct fpsim {
	struct ns *s;
	struct fp_l2fwd f;
	struct fp_metrics m;
	struct fp_poll_shared sh;
	struct fp_source src;
	struct fp_poller pl;
	void *page;    /* the metrics page */
	uint64_t *cyc; /* this core's clock: s->cyc, or s->cyc1 for the pipeline's tx core */
	enum ns_fp_role role;
	uint64_t busy;  /* cycles in iterations that took frames */
	unsigned reads; /* clock reads in the current poll iteration */
	/* The closed-loop generator: frames sent, the cycle its next batch may start. */
	uint32_t seq;
	uint64_t gen_ready, sent;
	bool stop_sent;
};

static uint64_t
fp_clock_now(void *ctx)
{
	struct fpsim *p = ctx;
	const struct netsim_cfg *cfg = p->s->cfg;
	const struct netsim_cost *c = &cfg->cost;
	uint64_t *cyc = p->cyc;

	switch (++p->reads) {
	case 2: /* after net_rx, or the transmit stage's dequeue: the tail's line */
		*cyc +=
		    p->role == NS_FP_TX ? cfg->xfer : c->rx_call + (uint64_t)p->f.rx_n * c->rx_pkt;
		break;
	case 3: /* before net_tx: the latency records and the rewrite */
		*cyc += (uint64_t)p->f.rx_n * c->l2fwd_pkt;
		break;
	case 4: /* after net_tx */
		*cyc += c->tx_call + (uint64_t)p->f.tx_n * c->tx_pkt;
		break;
	case 5: /* the end of a full batch: the counters */
		*cyc += c->l2fwd_batch;
		break;
	default:
		break;
	}
	return *cyc;
}

/* user/l2gen.c's next batch, when the previous one is back: n frames stamped one after the
 * other, one net_tx (the frames reach A at its tail write), then the gap and the pace. */
static void
gen_batch(struct fpsim *p)
{
	struct ns *s = p->s;
	const struct netsim_cfg *c = s->cfg;
	const struct netsim_cost *k = &c->cost;
	bool stop = p->seq >= c->frames;
	unsigned n = stop ? 1 : (c->frames - p->seq < c->batch ? c->frames - p->seq : c->batch);
	uint64_t start = p->gen_ready > s->cyc ? p->gen_ready : s->cyc, tdt;

	tdt = start + n * k->gen_stamp + k->tx_call + n * k->tx_pkt;
	s->cyc = tdt;
	for (unsigned j = 0; j < n; j++)
		ns_inject_l2(s, p->seq + j, stop ? L2_FLAG_STOP : 0,
		             start + (j + 1) * k->gen_stamp);
	p->sent += n;
	p->seq += stop ? 0 : n;
	p->stop_sent = stop;
	p->gen_ready = tdt + k->gen_gap + c->pace;
	if (k->serial)
		s->cyc = tdt + k->gen_gap; /* the forwarder's CPU ran none of this */
}

/* One poll iteration; the frames received. */
static uint32_t
iteration(struct fpsim *p, struct fp_poller *pl)
{
	struct ns *s = p->s;
	const struct netsim_cost *c = &s->cfg->cost;
	uint64_t *cyc = p->cyc, t0 = *cyc;
	uint32_t k;

	p->reads = 0;
	s->res->rx_calls += p->role != NS_FP_TX;
	k = (uint32_t)fp_poll_once(pl);
	if (p->role == NS_FP_RX) /* the stage reads no clock: net_rx, the tail's line */
		*cyc += c->rx_call + (uint64_t)k * c->rx_pkt + (k ? s->cfg->xfer : 0);
	else if (p->reads <= 1)
		*cyc += p->role == NS_FP_TX ? 0 : c->rx_call; /* an empty net_rx */
	else if (p->reads == 4)
		*cyc += c->l2fwd_batch; /* a batch of less than NET_BATCH: no fifth read */
	if (k) {
		s->res->received += p->role != NS_FP_TX ? k : 0;
		s->res->busy += *cyc - t0;
		p->busy += *cyc - t0;
		ns_trace_call(s, t0, k);
	}
	return k;
}

static int
closed(struct fpsim *p, struct fp_poller *pl, char *err, size_t errlen)
{
	struct ns *s = p->s;

	while (!__atomic_load_n(&p->sh.stop, __ATOMIC_ACQUIRE)) {
		if (iteration(p, pl) != 0 || s->oom)
			continue;
		/* Idle: the batch in flight is back (the models transmit at the tail write). */
		if (p->stop_sent) {
			snprintf(err, errlen, "net: the stop frame was lost (NIC A had no room)");
			return -1;
		}
		gen_batch(p);
	}
	return s->oom ? -1 : 0;
}

/* One open-loop step: the frames due arrive, one poll iteration, and when it found nothing
 * the core busy-polls to the next arrival.  1 more to do, 0 done, -1 out of memory. */
static int
open_step(struct fpsim *p, struct fp_poller *pl)
{
	struct ns *s = p->s;

	ns_inject_until(s, s->cyc);
	if (iteration(p, pl) != 0 || s->oom)
		return s->oom ? -1 : 1;
	if (ns_gen_done(s)) {
		if (s->cyc < s->end)
			s->cyc = s->end;
		return 0;
	}
	if ((uint64_t)s->next + 1 > s->cyc)
		s->cyc = (uint64_t)s->next + 1; /* busy polling until the next arrival */
	return 1;
}

static int
open_loop(struct fpsim *p, struct fp_poller *pl)
{
	int r;

	while ((r = open_step(p, pl)) > 0)
		;
	return r;
}

static void
collect(struct fpsim *p)
{
	struct netsim_l2 *o = &p->s->res->l2;
	struct fp_hist h;

	o->frames = fp_counter_read(&p->m, FP_L2_FRAMES);
	o->batches = fp_counter_read(&p->m, FP_L2_BATCHES);
	o->full = fp_counter_read(&p->m, FP_L2_FULL);
	o->full_cycles = fp_counter_read(&p->m, FP_L2_CYCLES);
	o->drops = fp_counter_read(&p->m, FP_L2_DROPS);
	o->io_min = p->f.io_min;
	o->stopped = p->sh.stop;
	fp_hist_snapshot(&p->m, FP_L2_H_BATCH, &h);
	o->batch_min = h.count ? h.min : 0;
	fp_hist_snapshot(&p->m, FP_L2_H_LAT, &h);
	fp_hist_summarize(&h, &o->lat);
	p->s->res->forwarded = o->frames;
	p->s->res->tx_refused = o->drops;
}

struct fpsim *
ns_fp_start(struct ns *s)
{
	return ns_fp_start_role(s, NS_FP_WHOLE, NULL);
}

struct fpsim *
ns_fp_start_role(struct ns *s, enum ns_fp_role role, struct fp_ring *ring)
{
	struct fpsim *p = calloc(1, sizeof(*p));
	size_t bytes = fp_metrics_bytes(FP_L2_NHISTS);

	if (!p)
		return NULL;
	p->page = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	if (!p->page || fp_metrics_init(&p->m, p->page, bytes, FP_L2_NHISTS) != 0) {
		free(p->page);
		free(p);
		return NULL;
	}
	p->src = (struct fp_source){ .name = "A",
		                     .poll = role == NS_FP_RX   ? fp_l2fwd_rx_stage
		                             : role == NS_FP_TX ? fp_l2fwd_tx_stage
		                                                : fp_l2fwd_poll,
		                     .ctx = &p->f };
	p->role = role;
	p->cyc = role == NS_FP_TX ? &s->cyc1 : &s->cyc;
	p->pl =
	    (struct fp_poller){ .src = &p->src, .nsrc = 1, .budget = s->cfg->batch, .sh = &p->sh };
	p->s = s;
	fp_l2fwd_name_metrics(&p->m);
	p->f = (struct fp_l2fwd){ .in = &s->nic[0].dev,
		                  .out = &s->nic[1].dev,
		                  .m = &p->m,
		                  .sh = &p->sh,
		                  .clk = { .now = fp_clock_now, .ctx = p, .hz = s->cfg->hz },
		                  .io_min = ~0ull,
		                  .stage_out = role == NS_FP_RX ? ring : NULL,
		                  .stage_in = role == NS_FP_TX ? ring : NULL };
	memcpy(p->f.rewrite, ns_l2_dst, 6);
	memcpy(p->f.rewrite + 6, s->nic[1].dev.mac, 6);
	p->gen_ready = s->cyc;
	return p;
}

int
ns_fp_step(struct fpsim *p)
{
	return open_step(p, &p->pl);
}

int
ns_fp_poll(struct fpsim *p)
{
	return (int)iteration(p, &p->pl);
}

uint64_t
ns_fp_busy(const struct fpsim *p)
{
	return p->busy;
}

void
ns_fp_end(struct fpsim *p, bool ok)
{
	if (!p)
		return;
	if (ok && p->role == NS_FP_RX)
		p->s->res->pipe_ring_drops = fp_counter_read(&p->m, FP_L2_DROPS);
	else if (ok)
		collect(p);
	free(p->page);
	free(p);
}

int
ns_fp_loop(struct ns *s, char *err, size_t errlen)
{
	struct fpsim *p;
	int r = -1;

	if (s->cfg->pipeline)
		return ns_pipe_loop(s, err, errlen);
	p = ns_fp_start(s);
	err[0] = '\0';
	if (p)
		r = s->cfg->arrival == NETSIM_CLOSED ? closed(p, &p->pl, err, errlen)
		                                     : open_loop(p, &p->pl);
	ns_fp_end(p, r == 0);
	if (r < 0 && !err[0])
		snprintf(err, errlen, "net: out of memory during the run");
	return r;
}
