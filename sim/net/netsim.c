/* exosim's network run: the forwarding loop of the simulated LibOS core (netsim.h).  Each
 * round: the frames due by the core's clock are put on A's wire, net_rx takes a batch from A,
 * net_tx queues the same buffers on B (zero copy, as user/netfwd.c), each call charged from
 * the profile.  An empty poll lets time pass to the next arrival (busy polling), or, in
 * interrupt mode, to it plus the interrupt's cost. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netsim_int.h"

static const struct net_driver *
driver(enum netsim_nic k)
{
	return k == NETSIM_E1000     ? net_driver_find(0x8086, 0x100e)
	       : k == NETSIM_RTL8139 ? net_driver_find(0x10ec, 0x8139)
	                             : net_driver_find(0x10ec, 0x8168);
}

int
ns_setup(struct ns *s, char *err, size_t errlen)
{
	const struct netsim_cfg *c = s->cfg;

	for (unsigned i = 0; i < 2; i++) {
		struct nsnic *n = &s->nic[i];
		struct net_pool *pool = c->shared_pool ? &s->nic[0].pool : &n->pool;
		int r = i == 0 || !c->shared_pool ? net_pool_init(pool, &n->ops, NET_POOL_MAX) : 0;
		if (r == 0)
			r = net_dev_init(&n->dev, driver(c->nic), &n->ops, pool, c->ring, c->ring);
		if (r < 0) {
			snprintf(err, errlen, "net: NIC %c: init failed (%d)%s%s", 'A' + i, r,
			         s->res->first_diag[0] ? ": " : "", s->res->first_diag);
			return -1;
		}
		n->up = true;
	}
	if (c->intr)
		s->nic[0].dev.drv->irq_enable(&s->nic[0].dev, true);
	if (c->tamper)
		c->tamper(&s->nic[0].dev, &s->nic[1].dev);
	return 0;
}

/* A declared stall: the core stops (descheduled, a long interrupt) while frames arrive. */
static void
stalls(struct ns *s)
{
	for (unsigned i = 0; i < s->cfg->nfaults; i++) {
		const struct netsim_fault *f = &s->cfg->fault[i];
		uint64_t at = s->start + f->at;
		if (f->kind == NSF_STALL && !s->fired[i] && s->cyc >= at) {
			s->fired[i] = true;
			ns_inject_until(s, at + f->len);
			if (s->cyc < at + f->len)
				s->cyc = at + f->len;
		}
	}
}

/* One round: returns the frames net_rx took. */
static unsigned
round_trip(struct ns *s)
{
	const struct netsim_cfg *c = s->cfg;
	struct net_dev *a = &s->nic[0].dev, *b = &s->nic[1].dev;
	struct net_buf *bufs[NET_POOL_MAX];
	uint64_t t0 = s->cyc;
	unsigned k, sent;

	s->res->rx_calls++;
	k = net_rx(a, bufs, c->batch);
	s->cyc += c->cost.rx_call + (uint64_t)k * (c->cost.rx_pkt + c->cost.fwd_pkt);
	if (k == 0)
		return 0;
	s->res->received += k;
	sent = net_tx(b, bufs, k);
	s->cyc += c->cost.tx_call + (uint64_t)sent * c->cost.tx_pkt;
	s->res->forwarded += sent;
	for (unsigned i = sent; i < k; i++) {
		net_buf_free(bufs[i]);
		s->res->tx_refused++;
	}
	s->res->busy += s->cyc - t0;
	ns_trace_call(s, t0, k);
	return k;
}

static bool
irq_line(struct nsnic *n)
{
	return n->kind == NETSIM_E1000 ? e1000_model_irq(&n->e) : rtl_model_irq(&n->r);
}

/* Nothing received: time passes to the next arrival (busy polling), or, with interrupts, the
 * core sleeps until NIC A raises its interrupt line (the model's causes and mask, as the
 * driver set them), pays the wake-up and the driver acknowledges the causes.  A driver that
 * never enabled its interrupts sleeps through the rest of the traffic. */
static void
idle(struct ns *s)
{
	struct nsnic *a = &s->nic[0];

	for (;;) {
		if (ns_gen_done(s)) {
			if (s->cyc < s->end)
				s->cyc = s->end; /* nothing more arrives */
			if (!s->cfg->intr || !irq_line(a))
				return;
			break;
		}
		uint64_t next = (uint64_t)s->next + 1;
		if (next > s->cyc)
			s->cyc = next;
		if (!s->cfg->intr)
			return;
		ns_inject_until(s, s->cyc);
		if (irq_line(a))
			break;
	}
	s->cyc += s->cfg->cost.irq;
	s->res->interrupts++;
	(void)a->dev.drv->irq_ack(&a->dev);
}

static int
loop(struct ns *s, char *err, size_t errlen)
{
	for (;;) {
		ns_inject_until(s, s->cyc);
		stalls(s);
		unsigned k = round_trip(s);
		if (s->oom) {
			snprintf(err, errlen, "net: out of memory during the run");
			return -1;
		}
		if (k == 0 && ns_gen_done(s) && s->cyc >= s->end)
			break;
		if (k == 0)
			idle(s);
	}
	return 0;
}

void
ns_finish(struct ns *s)
{
	for (unsigned i = 0; i < 2; i++) {
		struct nsnic *n = &s->nic[i];
		if (!n->up)
			continue;
		(i ? &s->res->drv_b : &s->res->drv_a)[0] = n->dev.stats;
		n->dev.drv->fini(&n->dev);
	}
	for (unsigned i = 0; i < (s->cfg->shared_pool ? 1u : 2u); i++)
		if (s->nic[i].up)
			net_pool_fini(&s->nic[i].pool);
	for (unsigned i = 0; i < 2; i++) {
		struct nsnic *n = &s->nic[i];
		s->res->diags +=
		    n->kind == NETSIM_E1000 ? n->e.protocol_errors : n->r.protocol_errors;
		if (i == 0)
			s->res->nic_missed_model =
			    n->kind == NETSIM_E1000 ? n->e.rx_missed : n->r.rx_missed;
	}
}

int
netsim_run(const struct netsim_cfg *cfg, struct netsim_result *res, char *err, size_t errlen)
{
	struct ns *s = calloc(1, sizeof(*s));
	struct timespec t0, t1;
	volatile int rc = -1;

	memset(res, 0, sizeof(*res));
	if (cfg->cores > 1 && !cfg->pipeline) {
		free(s);
		return ns_cores_run(cfg, res, err, errlen);
	}
	if (!s) {
		snprintf(err, errlen, "net: out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->res = res;
	s->top = s;
	if (ns_host_init(s, err, errlen) == 0) {
		s->jmp_armed = true;
		if (setjmp(s->jmp) != 0) {
			rc =
			    0; /* --strict: stopped at the first protocol error (res->first_diag) */
		} else if (ns_setup(s, err, errlen) == 0) {
			s->start = s->cyc;
			s->end = s->start + cfg->duration;
			s->next = (double)s->start; /* a capture's first frame is at its time 0 */
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
			if ((cfg->app == NETSIM_APP_L2FWD ? ns_fp_loop(s, err, errlen)
			                                  : loop(s, err, errlen)) == 0) {
				clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
				res->host_seconds = (double)(t1.tv_sec - t0.tv_sec) +
				                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
				res->window = s->cyc - s->start;
				s->jmp_armed = false;
				rc = 0;
			}
		}
	}
	res->cycles = s->cyc;
	s->jmp_armed = false;
	if (rc == 0 && !res->strict_stop)
		ns_finish(s);
	else
		for (unsigned i = 0; i < 2; i++)
			res->diags += s->nic[i].kind == NETSIM_E1000 ? s->nic[i].e.protocol_errors
			                                             : s->nic[i].r.protocol_errors;
	ns_host_fini(s);
	free(s);
	return rc;
}

void
netsim_result_free(struct netsim_result *res)
{
	for (unsigned i = 0; res->core && i < res->ncores; i++)
		netsim_result_free(&res->core[i]);
	free(res->core);
	res->core = NULL;
	res->ncores = 0;
	free(res->lat);
	free(res->arrive);
	free(res->calls);
	res->lat = res->arrive = NULL;
	res->calls = NULL;
	res->nlat = res->cap = res->ncalls = res->ccap = 0;
}
