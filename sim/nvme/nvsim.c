/* exosim's NVMe run: the workload loop of the simulated LibOS core that drives the real
 * driver (nvsim.h).  Closed loop (qd requests outstanding per queue) or open loop (Poisson
 * arrivals queued in software); in verify mode every write carries a pattern naming its block
 * and version, every read is checked against what was acknowledged, and at the end every
 * block written is read back. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "abi/error.h"
#include "nvsim_int.h"

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Version 0 is a block never written: zeros. */
static void
pattern(void *va, uint32_t bs, uint64_t blk, uint32_t ver)
{
	uint64_t *w = va;

	for (uint32_t i = 0; i < bs / 8; i++)
		w[i] = ver ? mix(blk << 32 ^ (uint64_t)ver << 12 ^ i) : 0;
}

static bool
matches(const void *va, uint32_t bs, uint64_t blk, uint32_t ver)
{
	const uint64_t *w = va;

	for (uint32_t i = 0; i < bs / 8; i++) {
		if (w[i] != (ver ? mix(blk << 32 ^ (uint64_t)ver << 12 ^ i) : 0))
			return false;
	}
	return true;
}

static int
lat_push(struct nvsim_qstat *q, uint64_t start, uint64_t v, bool write)
{
	if (q->nlat == q->cap) {
		size_t cap = q->cap ? 2 * q->cap : 4096;
		uint64_t *p = realloc(q->lat, cap * sizeof(*p)), *t;
		if (p)
			q->lat = p;
		t = realloc(q->start, cap * sizeof(*t));
		if (t)
			q->start = t;
		uint8_t *w = realloc(q->write, cap);
		if (w)
			q->write = w;
		if (!p || !t || !w)
			return -1;
		q->cap = cap;
	}
	q->start[q->nlat] = start;
	q->write[q->nlat] = write;
	q->lat[q->nlat++] = v;
	return 0;
}

/* With cfg.trace: a driver call on queue qi from cycle t0 to now that moved n requests. */
static void
call_push(struct nvs *s, unsigned qi, uint64_t t0, int n, bool submit)
{
	struct nvsim_result *r = s->res;

	if (!s->cfg->trace || n <= 0)
		return;
	if (r->ncalls == r->ccap) {
		size_t cap = r->ccap ? 2 * r->ccap : 4096;
		struct nvsim_call *p = realloc(r->calls, cap * sizeof(*p));
		if (!p) {
			s->oom = true;
			return;
		}
		r->calls = p;
		r->ccap = cap;
	}
	r->calls[r->ncalls++] =
	    (struct nvsim_call){ t0, s->cyc - t0, (uint32_t)n, (uint8_t)(qi + 1), submit };
}

/* The time `gap` cycles of "on" after `t` in a bursty pattern (on, off from s->arr0): a
 * Poisson process that runs only while on is memoryless, so a gap that outlasts the current
 * on period continues in the next one.  Without a pattern, t + gap. */
static uint64_t
on_time_after(const struct nvs *s, uint64_t t, uint64_t gap)
{
	uint64_t on = s->cfg->on, period = on + s->cfg->off, p;

	if (on == 0)
		return t + gap;
	p = (t - s->arr0) % period;
	if (p >= on)
		t += period - p, p = 0; /* in an off period: the next on starts */
	while (gap > on - p) {
		gap -= on - p;
		t += period - p;
		p = 0;
	}
	return t + gap;
}

/* Open loop: an arrival joins its queue's software FIFO; the next one is drawn. */
void
nvs_arrival(struct nvs *s, unsigned qi, uint64_t cycle)
{
	struct nvs_queue *q = &s->q[qi];
	double mean = (double)s->cfg->hz * s->cfg->nq / s->cfg->rate;

	if (q->arr_n == q->arr_cap) {
		size_t cap = q->arr_cap ? 2 * q->arr_cap : 256;
		uint64_t *p = malloc(cap * sizeof(*p));
		if (!p) {
			s->oom = true;
			return;
		}
		for (size_t i = 0; i < q->arr_n; i++)
			p[i] = q->arr[(q->arr_head + i) % q->arr_cap];
		free(q->arr);
		q->arr = p, q->arr_cap = cap, q->arr_head = 0;
	}
	q->arr[(q->arr_head + q->arr_n++) % q->arr_cap] = cycle;
	if (sim_schedule(&s->eng, on_time_after(s, cycle, 1 + (uint64_t)rng_exp(&q->arr_rng, mean)),
	                 1, NVS_EV_ARRIVAL, qi, 0) < 0)
		s->oom = true;
}

static bool
next_t0(struct nvs *s, struct nvs_queue *q, uint64_t *t0)
{
	if (s->cfg->rate <= 0) {
		*t0 = s->cyc;
		return true;
	}
	if (q->arr_n == 0)
		return false;
	*t0 = q->arr[q->arr_head];
	q->arr_head = (q->arr_head + 1) % q->arr_cap;
	q->arr_n--;
	return true;
}

static bool
pick_block(struct nvs *s, uint64_t *blk)
{
	for (int tries = 0; tries < 16; tries++) {
		*blk = rng_below(&s->lba_rng, s->nblk);
		if (!s->blk_busy || !s->blk_busy[*blk])
			return true;
	}
	return false;
}

static void
issue(struct nvs *s, unsigned qi)
{
	const struct nvsim_cfg *c = s->cfg;
	struct nvs_queue *q = &s->q[qi];
	struct nvme_req batch[NVS_MAX_QD];
	unsigned n = 0;

	for (unsigned i = 0; i < c->qd && q->busy + n < c->qd; i++) {
		struct nvs_req *r = &q->req[i];
		uint64_t t0, blk;
		if (r->busy)
			continue;
		if (!pick_block(s, &blk) || !next_t0(s, q, &t0))
			break;
		r->busy = true;
		r->t0 = t0;
		r->blk = blk;
		r->write = rng_below(&s->lba_rng, 100) >= c->read_pct;
		if (r->write) {
			r->ver = ++s->next_ver;
			if (c->verify)
				pattern(r->buf.va, c->bs, blk, r->ver);
		}
		if (s->blk_busy)
			s->blk_busy[blk] = 1;
		batch[n++] = (struct nvme_req){ r->write ? NVME_OP_WRITE : NVME_OP_READ,
			                        blk * (c->bs / 512), c->bs / 512, r->buf.pa, r };
	}
	if (n == 0)
		return;
	uint64_t t0 = s->cyc;
	s->cyc += c->cost.submit_call + n * c->cost.submit_req;
	int k = nvme_submit(&s->ctrl.ioq[qi], batch, n);
	call_push(s, qi, t0, k, true);
	for (unsigned i = k > 0 ? (unsigned)k : 0; i < n; i++) {
		struct nvs_req *r = batch[i].cookie;
		r->busy = false;
		if (s->blk_busy)
			s->blk_busy[r->blk] = 0;
	}
	if (k > 0) {
		q->busy += (unsigned)k;
		s->res->submitted += (unsigned)k;
	}
}

/* What a finished request means for the blocks' versions (verify mode). */
static void
account(struct nvs *s, struct nvs_req *r, int err)
{
	if (r->write && err == 0) {
		s->ver[r->blk] = r->ver, s->alt[r->blk] = 0;
		s->res->acked_writes++;
	} else if (r->write) {
		s->alt[r->blk] = r->ver; /* not acknowledged: either version may be there */
	} else if (err == 0) {
		if (matches(r->buf.va, s->cfg->bs, r->blk, s->ver[r->blk]))
			return;
		if (s->alt[r->blk] && matches(r->buf.va, s->cfg->bs, r->blk, s->alt[r->blk]))
			s->ver[r->blk] = s->alt[r->blk], s->alt[r->blk] = 0;
		else
			s->res->verify_bad++;
	}
}

static int
reap(struct nvs *s, unsigned qi)
{
	const struct nvsim_cfg *c = s->cfg;
	struct nvme_done d[NVS_MAX_QD];
	struct nvsim_qstat *st = &s->res->q[qi];
	uint64_t t0 = s->cyc;
	int n = nvme_poll(&s->ctrl.ioq[qi], d, NVS_MAX_QD);

	s->res->polls++;
	if (n <= 0)
		return n;
	s->cyc += c->cost.poll_call + (uint64_t)n * c->cost.poll_cqe;
	call_push(s, qi, t0, n, false);
	for (int i = 0; i < n; i++) {
		struct nvs_req *r = d[i].cookie;
		if (c->verify)
			account(s, r, d[i].err);
		st->done++;
		if (d[i].err < 0) {
			st->errors++;
			s->res->failed++;
		} else {
			st->bytes += c->bs;
		}
		if (lat_push(st, r->t0, s->cyc - r->t0, r->write) < 0)
			s->oom = true;
		if (s->blk_busy)
			s->blk_busy[r->blk] = 0;
		r->busy = false;
		s->q[qi].busy--;
		s->res->reaped++;
	}
	return n;
}

/* Issue until the window ends, then drain; every submitted request must come back (done or
 * reported failed) within a bounded time after the window. */
static int
loop(struct nvs *s, char *err, size_t errlen)
{
	const struct nvsim_cfg *c = s->cfg;
	uint64_t start = s->cyc, end = start + c->duration,
	         step = c->timeout_ns * c->hz / 16000000000u + 1,
	         limit = end + 200 * (step * 16) + c->hz;

	for (;;) {
		unsigned outstanding = 0;
		int got = 0;
		nvs_catch_up(s);
		bool draining = s->cyc >= end;
		for (unsigned qi = 0; qi < c->nq; qi++) {
			if (!draining)
				issue(s, qi);
			int n = reap(s, qi);
			if (n < 0) {
				snprintf(err, errlen, "nvme: the driver failed: nvme_poll %d", n);
				return -1;
			}
			got += n;
			outstanding += s->q[qi].busy;
		}
		if (s->oom) {
			snprintf(err, errlen, "nvme: out of memory during the run");
			return -1;
		}
		if (draining && outstanding == 0)
			break;
		if (s->cyc > limit) {
			snprintf(err, errlen,
			         "nvme: %u requests still outstanding %.3f s after the end",
			         outstanding, (double)(s->cyc - end) / (double)c->hz);
			return -1;
		}
		if (got == 0)
			nvs_wait_cycles(s, draining || s->cyc + step < end ? s->cyc + step : end);
	}
	s->res->measured = end - start;
	s->res->loop_cycles = s->cyc - start;
	s->res->loop_events = s->eng.dispatched;
	return 0;
}

/* Reads back every block a write touched and compares it with the acknowledged version. */
static void
verify_all(struct nvs *s)
{
	struct nvs_req *r = &s->q[0].req[0];
	uint32_t bs = s->cfg->bs;

	for (uint64_t b = 0; b < s->nblk; b++) {
		if (!s->ver[b] && !s->alt[b])
			continue;
		struct nvme_req rq = { NVME_OP_READ, b * (bs / 512), bs / 512, r->buf.pa, NULL };
		uint16_t st;
		s->res->verified++;
		if (nvme_io(&s->ctrl.ioq[0], &rq, &st) != 0 ||
		    !(matches(r->buf.va, bs, b, s->ver[b]) ||
		      (s->alt[b] && matches(r->buf.va, bs, b, s->alt[b]))))
			s->res->verify_bad++;
	}
}

static int
setup(struct nvs *s, char *err, size_t errlen)
{
	const struct nvsim_cfg *c = s->cfg;
	int r;

	rng_stream(&s->svc_rng, c->seed, "nvme-service", 0);
	rng_stream(&s->lba_rng, c->seed, "nvme-lba", 0);
	s->nblk = c->span / c->bs;
	if (c->verify) {
		s->ver = calloc(s->nblk, sizeof(*s->ver));
		s->alt = calloc(s->nblk, sizeof(*s->alt));
		s->blk_busy = calloc(s->nblk, 1);
		if (!s->ver || !s->alt || !s->blk_busy) {
			snprintf(err, errlen, "nvme: out of memory");
			return -1;
		}
	}
	if ((r = nvme_init(&s->ctrl, &s->ops, c->nq, c->qd + 1)) < 0) {
		snprintf(err, errlen, "nvme: nvme_init failed (%d)%s%s", r,
		         s->res->first_diag[0] ? ": " : "", s->res->first_diag);
		return -1;
	}
	s->ctrl.cmd_timeout = c->timeout_ns;
	if (c->tamper)
		c->tamper(&s->ctrl);
	for (unsigned qi = 0; qi < c->nq; qi++) {
		rng_stream(&s->q[qi].arr_rng, c->seed, "nvme-arrival", qi);
		for (unsigned i = 0; i < c->qd; i++) {
			if (nvs_dma(s, c->bs, &s->q[qi].req[i].buf) < 0) {
				snprintf(err, errlen,
				         "nvme: simulated memory too small for the buffers");
				return -1;
			}
		}
		s->arr0 = s->cyc;
		if (c->rate > 0)
			nvs_arrival(s, qi, s->cyc);
	}
	return 0;
}

int
nvsim_run(const struct nvsim_cfg *cfg, struct nvsim_result *res, char *err, size_t errlen)
{
	struct nvs *s = calloc(1, sizeof(*s));
	struct timespec t0, t1;
	volatile int rc = -1;

	memset(res, 0, sizeof(*res));
	if (!s) {
		snprintf(err, errlen, "nvme: out of memory");
		return -1;
	}
	s->cfg = cfg;
	s->res = res;
	if (nvs_host_init(s, err, errlen) == 0) {
		s->jmp_armed = true;
		if (setjmp(s->jmp) != 0) {
			rc =
			    0; /* --strict: stopped at the first protocol error (res->first_diag) */
		} else if (setup(s, err, errlen) == 0 &&
		           (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0),
		            loop(s, err, errlen) == 0)) {
			clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
			if (cfg->verify)
				verify_all(s);
			s->jmp_armed = false;
			res->drv = s->ctrl.stats;
			nvme_fini(&s->ctrl);
			rc = 0;
			res->host_seconds = (double)(t1.tv_sec - t0.tv_sec) +
			                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		}
	}
	res->cycles = s->cyc;
	res->events = s->eng.dispatched;
	res->model_cmds = s->model.commands;
	res->diags = s->model.protocol_errors;
	if (rc == 0 && res->drv.submitted == 0)
		res->drv = s->ctrl.stats;
	nvs_host_fini(s);
	for (unsigned qi = 0; qi < NVME_MAX_IOQ; qi++)
		free(s->q[qi].arr);
	free(s->ver);
	free(s->alt);
	free(s->blk_busy);
	free(s);
	return rc;
}

void
nvsim_result_free(struct nvsim_result *res)
{
	for (unsigned qi = 0; qi < NVME_MAX_IOQ; qi++) {
		free(res->q[qi].lat);
		free(res->q[qi].start);
		free(res->q[qi].write);
		res->q[qi].lat = res->q[qi].start = NULL;
		res->q[qi].write = NULL;
	}
	free(res->calls);
	res->calls = NULL;
	res->ncalls = res->ccap = 0;
}
