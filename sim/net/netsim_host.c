/* The machine under the real NIC driver in exosim: two NICs (models behind sim/hal's MMIO
 * dispatch at two BARs), the ops table the driver reaches them through (each register access
 * charged to the simulated core from the profile; DMA from simulated physical memory; the
 * core's clock), the generator putting frames on A's wire and the sink taking B's. */
#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "netsim_int.h"
#include "simhal.h"

static const struct simhal_mmio_ops e1000_mmio = {
	.read = e1000_model_mmio_read,
	.write = e1000_model_mmio_write,
};
static const struct simhal_mmio_ops rtl_mmio = {
	.read = rtl_model_mmio_read,
	.write = rtl_model_mmio_write,
};

static volatile void *
reg(struct nsnic *n, uint32_t off)
{
	return (volatile uint8_t *)simhal_mmio_ptr(n->bar) + off;
}

static void
charge(struct nsnic *n, bool write)
{
	*n->clk += write ? n->s->cfg->cost.mmio_write : n->s->cfg->cost.mmio_read;
	n->s->res->mmio++;
}

static uint8_t
op_read8(void *ctx, uint32_t off)
{
	charge(ctx, false);
	return hal_mmio_read8(reg(ctx, off));
}

static uint16_t
op_read16(void *ctx, uint32_t off)
{
	charge(ctx, false);
	return hal_mmio_read16(reg(ctx, off));
}

static uint32_t
op_read32(void *ctx, uint32_t off)
{
	charge(ctx, false);
	return hal_mmio_read32(reg(ctx, off));
}

static void
op_write8(void *ctx, uint32_t off, uint8_t v)
{
	charge(ctx, true);
	hal_mmio_write8(reg(ctx, off), v);
}

static void
op_write16(void *ctx, uint32_t off, uint16_t v)
{
	charge(ctx, true);
	hal_mmio_write16(reg(ctx, off), v);
}

static void
op_write32(void *ctx, uint32_t off, uint32_t v)
{
	charge(ctx, true);
	hal_mmio_write32(reg(ctx, off), v);
}

/* A bump allocator over simulated physical memory (everything is freed with the run). */
static int
op_dma_alloc(void *ctx, size_t len, struct net_dma *out)
{
	struct ns *s = ((struct nsnic *)ctx)->s;

	len = (len + 4095) & ~(size_t)4095;
	if (s->dma_next + len > (uint64_t)(s->lane + 1) * NS_MEM_BYTES)
		return -12; /* E_NOMEM */
	out->pa = s->dma_next;
	out->va = hal_phys_to_virt(out->pa);
	out->len = len;
	memset(out->va, 0, len);
	s->dma_next += len;
	return 0;
}

static void
op_dma_free(void *ctx, struct net_dma *dma)
{
}

static uint64_t
op_now(void *ctx)
{
	struct nsnic *n = ctx;

	return (uint64_t)((unsigned __int128)*n->clk * 1000000000u / n->s->cfg->hz);
}

/* The driver waits (a reset in progress): time passes to the deadline or by 1 us, whichever is
 * first (netdev.h: a wait may return early; the models progress per register read). */
static void
op_wait(void *ctx, uint64_t deadline_ns)
{
	struct nsnic *n = ctx;
	uint64_t *cyc = n->clk;
	uint64_t c = (uint64_t)((unsigned __int128)deadline_ns * n->s->cfg->hz / 1000000000u);

	uint64_t step = *cyc + n->s->cfg->hz / 1000000; /* the device may progress within 1 us */

	*cyc = c < step ? (c > *cyc ? c : *cyc) : step;
}

/* The sink on B's wire: the frame leaves after those before it (preamble, FCS and the
 * inter-frame gap: 24 bytes more than the frame, IEEE 802.3 §4.4.2); latency from its arrival
 * on A's wire, read from the stamp the generator put in it. */
static void
sink(void *ctx, const uint8_t *f, unsigned len)
{
	struct nsnic *n = ctx;
	struct ns *s = n->s;
	struct netsim_result *r = s->res;
	uint64_t bits = (uint64_t)(len + 24) * 8, t0, leave, now = *n->clk;

	leave = (s->wire_free > now ? s->wire_free : now) +
	        (uint64_t)((double)bits * (double)s->cfg->hz / s->cfg->link_bps);
	s->wire_free = leave;
	r->sunk++;
	r->sunk_bytes += len;
	if (s->cfg->arrival == NETSIM_PCAP
	        ? len < 30 || memcmp(f, s->out_hdr, 6) != 0
	        : len != s->cfg->frame || memcmp(f, s->out_hdr, 14) != 0 ||
	              memcmp(f + 30, s->frame + 30, len - 30) != 0) {
		r->sunk_bad++;
		return;
	}
	memcpy(&t0, f + s->stamp_off, 8);
	if (r->nlat == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 65536;
		uint64_t *p = realloc(r->lat, cap * sizeof(*p));
		if (p)
			r->lat = p;
		if (p && s->cfg->trace && (p = realloc(r->arrive, cap * sizeof(*p))) != NULL)
			r->arrive = p;
		if (!p) {
			s->oom = true;
			return;
		}
		r->cap = cap;
	}
	if (s->cfg->trace)
		r->arrive[r->nlat] = t0;
	r->lat[r->nlat++] = leave - t0;
}

void
ns_trace_call(struct ns *s, uint64_t t0, unsigned k)
{
	struct netsim_result *r = s->res;

	if (!s->cfg->trace || k == 0)
		return;
	if (r->ncalls == r->ccap) {
		size_t cap = r->ccap ? 2 * r->ccap : 4096;
		struct netsim_call *p = realloc(r->calls, cap * sizeof(*p));
		if (!p) {
			s->oom = true;
			return;
		}
		r->calls = p;
		r->ccap = cap;
	}
	r->calls[r->ncalls++] = (struct netsim_call){ t0, s->cyc - t0, k };
}

static void
on_error(void *ctx, const char *msg)
{
	struct ns *s = ((struct nsnic *)ctx)->s;

	if (!s->res->first_diag[0])
		snprintf(s->res->first_diag, sizeof(s->res->first_diag), "%s", msg);
	if (s->cfg->strict && s->top->jmp_armed) {
		s->res->strict_stop = true;
		longjmp(s->top->jmp, 1);
	}
}

static const uint8_t mac_a[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t mac_b[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x57 };
const uint8_t ns_l2_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };

/* Core i's port pair: the BARs NS_BAR_STEP * i further on, the MACs' last byte 2 * i more. */
static int
nic_init(struct ns *s, struct nsnic *n, uintptr_t bar0, const uint8_t *mac0)
{
	void *mem = hal_phys_to_virt(0);
	size_t sz = simhal_phys_size();
	uintptr_t bar = bar0 + (uintptr_t)s->lane * NS_BAR_STEP;
	uint8_t *mac = n->mac;

	memcpy(mac, mac0, 6);
	mac[5] = (uint8_t)(mac[5] + 2 * s->lane);

	n->s = s;
	/* The pipeline's NIC B is the transmit core's (its clock); else the one core's. */
	n->clk = s->cfg->pipeline && n == &s->nic[1] ? &s->cyc1 : &s->cyc;
	n->kind = s->cfg->nic;
	n->bar = bar;
	if (n->kind == NETSIM_E1000) {
		if (e1000_model_init(&n->e, mem, sz, mac) < 0 ||
		    simhal_mmio_register(bar, E1KM_BAR_BYTES, &e1000_mmio, &n->e) < 0)
			return -1;
		n->e.clock = n->clk;
		n->e.hook_ctx = n;
		n->e.on_error = on_error;
		n->e.on_tx = sink;
	} else {
		enum rtlm_chip c = n->kind == NETSIM_RTL8139 ? RTLM_8139CP : RTLM_8168;
		if (rtl_model_init(&n->r, c, mem, sz, mac) < 0 ||
		    simhal_mmio_register(bar, RTLM_BAR_BYTES, &rtl_mmio, &n->r) < 0)
			return -1;
		n->r.clock = n->clk;
		n->r.hook_ctx = n;
		n->r.on_error = on_error;
		n->r.on_tx = sink;
	}
	n->ops = (struct net_ops){ .ctx = n,
		                   .read8 = op_read8,
		                   .read16 = op_read16,
		                   .read32 = op_read32,
		                   .write8 = op_write8,
		                   .write16 = op_write16,
		                   .write32 = op_write32,
		                   .dma_alloc = op_dma_alloc,
		                   .dma_free = op_dma_free,
		                   .now_ns = op_now,
		                   .wait = op_wait };
	return 0;
}

int
ns_host_init(struct ns *s, char *err, size_t errlen)
{
	unsigned cores = s->cfg->cores > 1 ? s->cfg->cores : 1;

	if ((s->lane == 0 && simhal_init((size_t)NS_MEM_BYTES * cores) < 0) ||
	    nic_init(s, &s->nic[0], NS_BAR_A, mac_a) < 0 ||
	    nic_init(s, &s->nic[1], NS_BAR_B, mac_b) < 0) {
		snprintf(err, errlen, "net: out of memory setting up the machine");
		return -1;
	}
	s->dma_next = (uint64_t)s->lane * NS_MEM_BYTES + (1u << 20);
	/* The generator's frame: to A, from a local address, EtherType 0x88b5 (IEEE 802 local
	 * experimental); bytes 14..21 its number, 22..29 its arrival cycle, then a pattern. */
	memcpy(s->frame, s->nic[0].mac, 6);
	memcpy(s->frame + 6, (const uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
	s->frame[12] = 0x88;
	s->frame[13] = 0xb5;
	for (unsigned i = 14; i < sizeof(s->frame); i++)
		s->frame[i] = (uint8_t)(i * 7 + 1);
	/* App l2fwd: user/l2gen.c's layout (lib/fastpath/include/fp_l2fwd.h: sequence number,
	 * flags, stamp) and the header the step writes, DPDK l2fwd's (to 02:00:00:00:00:01,
	 * from B); else the frame's number at 14, its arrival at 22, the header unchanged. */
	memcpy(s->out_hdr, s->frame, 14);
	s->stamp_off = 22;
	if (s->cfg->app == NETSIM_APP_L2FWD) {
		memcpy(s->out_hdr, ns_l2_dst, 6);
		memcpy(s->out_hdr + 6, s->nic[1].mac, 6);
		s->stamp_off = L2_OFF_STAMP;
	}
	rng_stream(&s->rng, s->cfg->seed, "net-arrival", s->lane);
	if (s->cfg->arrival == NETSIM_PCAP)
		return ns_pcap_load(s->cfg->pcap, s->cfg->hz, &s->pcap, err, errlen);
	return 0;
}

void
ns_host_fini(struct ns *s)
{
	for (unsigned i = 0; i < 2; i++) {
		if (s->nic[i].kind == NETSIM_E1000)
			e1000_model_fini(&s->nic[i].e);
		else
			rtl_model_fini(&s->nic[i].r);
	}
	ns_pcap_free(&s->pcap);
	if (s->lane == 0)
		simhal_fini();
}

bool
ns_gen_done(const struct ns *s)
{
	return s->next >= (double)s->end;
}

/* The arrival after `t` (cycles, fractional for exact rates). */
static double
gen_next(struct ns *s, double t)
{
	const struct netsim_cfg *c = s->cfg;
	double period = (double)c->hz / c->rate, cyc, phase;

	switch (c->arrival) {
	case NETSIM_PCAP:
		return ++s->pcap_next < s->pcap.n ? (double)(s->start + s->pcap.pkt[s->pcap_next].t)
		                                  : 1e30;
	case NETSIM_POISSON:
		return t + rng_exp(&s->rng, period);
	case NETSIM_BURSTY:
		t += period;
		cyc = (double)(c->on + c->off);
		phase = t - (double)s->start;
		phase -= cyc * (double)(uint64_t)(phase / cyc);
		return phase < (double)c->on ? t : t - phase + cyc;
	default:
		return t + period;
	}
}

/* The faults that act on the n-th frame offered or on the wire at time t. */
static bool
link_down(const struct ns *s, uint64_t t)
{
	for (unsigned i = 0; i < s->cfg->nfaults; i++) {
		const struct netsim_fault *f = &s->cfg->fault[i];
		if (f->kind == NSF_LINK && t >= s->start + f->at && t < s->start + f->at + f->len)
			return true;
	}
	return false;
}

static bool
every(const struct ns *s, enum netsim_fault_kind k, uint64_t n)
{
	for (unsigned i = 0; i < s->cfg->nfaults; i++)
		if (s->cfg->fault[i].kind == k && n % s->cfg->fault[i].every == 0)
			return true;
	return false;
}

static bool
inject(struct nsnic *a, const uint8_t *f, unsigned len, bool bad)
{
	if (a->kind == NETSIM_E1000)
		return e1000_model_inject(&a->e, f, len, bad ? E1KM_RXE_CE : 0);
	return rtl_model_inject(&a->r, f, len, bad ? RTLM_RX_CRC : RTLM_RX_OK);
}

static void
set_link(struct nsnic *a, bool up)
{
	if (a->kind == NETSIM_E1000)
		a->e.link = up;
	else
		a->r.link = up;
}

void
ns_inject_until(struct ns *s, uint64_t t)
{
	struct netsim_result *r = s->res;
	uint64_t now = s->cyc;

	while (s->next <= (double)t && !ns_gen_done(s)) {
		uint64_t at = (uint64_t)s->next, n = ++r->offered;
		bool down = link_down(s, at);

		set_link(&s->nic[0], !down);
		uint8_t *frame = s->frame;
		unsigned len = s->cfg->frame;
		s->cyc = at; /* the model's diagnostics name the frame's cycle */
		if (s->cfg->arrival == NETSIM_PCAP) {
			/* A replayed frame goes to A (its destination rewritten) and carries
			 * the stamp over its first 16 payload bytes. */
			const struct ns_pkt *p = &s->pcap.pkt[s->pcap_next];
			frame = s->pframe;
			len = p->len;
			memcpy(frame, p->data, len);
			memcpy(frame, s->frame, 6);
		}
		if (s->cfg->app == NETSIM_APP_L2FWD) {
			uint32_t seq = (uint32_t)n;
			memcpy(frame + L2_OFF_SEQ, &seq, 4);
			memset(frame + L2_OFF_FLAGS, 0, 2);
		} else {
			memcpy(frame + 14, &n, 8);
		}
		memcpy(frame + s->stamp_off, &at, 8);
		if (down) {
			r->link_lost++;
		} else if (every(s, NSF_DROP, n)) {
			r->wire_dropped++;
		} else {
			bool bad = every(s, NSF_CORRUPT, n);
			r->corrupted += bad;
			if (inject(&s->nic[0], frame, len, bad))
				r->injected++;
			else if (!bad)
				r->nic_missed++;
		}
		s->next = gen_next(s, s->next);
	}
	s->cyc = now;
	set_link(&s->nic[0], !link_down(s, now));
}

bool
ns_inject_l2(struct ns *s, uint32_t seq, uint16_t flags, uint64_t stamp)
{
	uint64_t now = s->cyc;
	bool ok;

	s->res->offered++;
	memcpy(s->frame + L2_OFF_SEQ, &seq, 4);
	memcpy(s->frame + L2_OFF_FLAGS, &flags, 2);
	memcpy(s->frame + L2_OFF_STAMP, &stamp, 8);
	ok = inject(&s->nic[0], s->frame, s->cfg->frame, false);
	s->res->injected += ok;
	s->res->nic_missed += !ok;
	s->cyc = now;
	return ok;
}
