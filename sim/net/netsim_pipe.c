/* exosim's fast path as a two-core pipeline ("layout": "pipeline", "cores": 2; docs/sim.md
 * "Several owned cores"): core 0 runs lib/fastpath's poll loop over fp_l2fwd_rx_stage (net_rx
 * on NIC A, the buffers onto a ring), core 1 over fp_l2fwd_tx_stage (off the ring, the rewrite,
 * the latency, net_tx on NIC B), DPDK's pipeline model.  The ring is lib/fastpath's SPSC ring
 * (lib/fastpath/ring.c, compiled unchanged) in sim/hal's simulated physical memory; NIC A runs
 * on core 0's clock (s->cyc), NIC B and the sink on core 1's (s->cyc1).
 *
 * One clock: the core whose clock is behind runs its next poll iteration (core 0 on a tie).  A
 * step of one core can end past the other's clock, so a ring index it stored is not yet
 * visible there: each index keeps the values its writer stored with the cycle of the store,
 * and while the other core runs at cycle t the index holds the last value stored by t (the
 * store reaches the other core's cache no earlier; the newest value is back before its
 * writer runs again).  Taking an index the other core moved costs a cache-line transfer
 * (hw/NAME/machine.json costs.cache_line_transfer): the receive core pays one per batch it
 * enqueues (the tail's line back from the consumer), the transmit core one per batch it
 * dequeues.  A transmit core that finds the ring empty spins until the next store becomes
 * visible (the spin's own cost is not modelled: its poll of a line in its own cache is a few
 * cycles).  The buffer pools are shared without a cost (DPDK gives each core a cache). */
#include <stdlib.h>
#include <string.h>

#include "netsim_int.h"

#define VIS_MAX 8

/* A ring index as the other core sees it. */
struct vis {
	uint32_t *word;
	uint32_t base, real; /* visible to both cores; the writer's own value while hidden */
	struct {
		uint32_t v;
		uint64_t t;
	} q[VIS_MAX]; /* stores not yet visible to the reader, oldest first */
	unsigned n;
};

static void
vis_pop(struct vis *x)
{
	x->base = x->q[0].v;
	memmove(x->q, x->q + 1, --x->n * sizeof(x->q[0]));
}

/* After the writer's step, which ended at cycle t: a new value, visible from t. */
static void
vis_record(struct vis *x, uint64_t t)
{
	uint32_t v = __atomic_load_n(x->word, __ATOMIC_ACQUIRE);

	if (v == (x->n ? x->q[x->n - 1].v : x->base))
		return;
	if (x->n == VIS_MAX)
		vis_pop(x); /* never with one step of lead; shown early rather than lost */
	x->q[x->n].v = v;
	x->q[x->n++].t = t;
}

/* Around the reader's step at cycle t: the word holds the last value stored by t. */
static void
vis_show(struct vis *x, uint64_t t)
{
	while (x->n && x->q[0].t <= t)
		vis_pop(x);
	x->real = __atomic_load_n(x->word, __ATOMIC_ACQUIRE);
	__atomic_store_n(x->word, x->base, __ATOMIC_RELEASE);
}

static void
vis_restore(struct vis *x)
{
	__atomic_store_n(x->word, x->real, __ATOMIC_RELEASE);
}

struct pipe {
	struct ns *s;
	struct fpsim *rx, *tx;
	struct fp_ring prod, cons;
	struct vis tail, head;
};

/* 0 when both cores are done, -1 out of memory. */
static int
run(struct pipe *q)
{
	struct ns *s = q->s;
	bool rx_live = true;

	for (;;) {
		if (rx_live && s->cyc <= s->cyc1) {
			vis_show(&q->head, s->cyc);
			int r = ns_fp_step(q->rx);
			vis_restore(&q->head);
			vis_record(&q->tail, s->cyc);
			if (r < 0)
				return -1;
			rx_live = r > 0;
			continue;
		}
		vis_show(&q->tail, s->cyc1);
		int k = ns_fp_poll(q->tx);
		vis_restore(&q->tail);
		vis_record(&q->head, s->cyc1);
		if (s->oom)
			return -1;
		if (k)
			continue;
		/* Nothing visible: spin to the next store's cycle, or core 0's clock. */
		if (q->tail.n)
			s->cyc1 = q->tail.q[0].t > s->cyc1 ? q->tail.q[0].t : s->cyc1 + 1;
		else if (rx_live)
			s->cyc1 = s->cyc > s->cyc1 ? s->cyc : s->cyc1 + 1;
		else
			return 0;
	}
}

/* The ring in simulated memory, both handles on it, both stages; 0 or -1. */
static int
start(struct pipe *q, char *err, size_t errlen)
{
	struct ns *s = q->s;
	struct nsnic *a = &s->nic[0];
	size_t bytes = fp_ring_bytes(s->cfg->stage_ring, sizeof(struct net_buf *));
	struct net_dma mem;
	int r;

	if (a->ops.dma_alloc(a, bytes, &mem) < 0) {
		snprintf(err, errlen, "net: no simulated memory for the pipeline's ring");
		return -1;
	}
	r = fp_ring_init(&q->prod, FP_RING_PRODUCER, mem.va, bytes, s->cfg->stage_ring,
	                 sizeof(struct net_buf *));
	if (r == 0)
		r = fp_ring_attach(&q->cons, FP_RING_CONSUMER, mem.va, bytes,
		                   sizeof(struct net_buf *));
	if (r != 0) {
		snprintf(err, errlen, "net: the pipeline's ring: error %d", r);
		return -1;
	}
	q->tail.word = &q->prod.sh->tail;
	q->head.word = &q->prod.sh->head;
	s->cyc1 = s->cyc;
	q->rx = ns_fp_start_role(s, NS_FP_RX, &q->prod);
	q->tx = ns_fp_start_role(s, NS_FP_TX, &q->cons);
	if (!q->rx || !q->tx) {
		snprintf(err, errlen, "net: out of memory");
		return -1;
	}
	return 0;
}

int
ns_pipe_loop(struct ns *s, char *err, size_t errlen)
{
	struct pipe q = { .s = s };
	const char *why = ns_cores_refuse(s->cfg);
	int r = -1;

	err[0] = '\0';
	if (why)
		snprintf(err, errlen, "%s", why);
	else if (start(&q, err, errlen) == 0 && (r = run(&q)) < 0)
		snprintf(err, errlen, "net: out of memory during the run");
	if (q.rx && q.tx) {
		s->res->pipe_busy[0] = ns_fp_busy(q.rx);
		s->res->pipe_busy[1] = ns_fp_busy(q.tx);
	}
	ns_fp_end(q.rx, r == 0);
	ns_fp_end(q.tx, r == 0);
	if (s->cyc1 > s->cyc)
		s->cyc = s->cyc1; /* the window ends with the later core */
	return r;
}
