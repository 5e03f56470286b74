/* The machine under the real NVMe driver in exosim: the ops table (MMIO through sim/hal to the
 * model, each access charged to the simulated core; DMA from simulated physical memory; the
 * clock of the core; `wait` runs the engine), the controller's timing (completions as engine
 * events at times from the SSD profile) and the faults the workload declares. */
#include <string.h>

#include "hal.h"
#include "nvsim_int.h"
#include "simhal.h"

static const struct simhal_mmio_ops model_mmio = {
	.read = nvme_model_mmio_read,
	.write = nvme_model_mmio_write,
};

static volatile void *
reg(uint32_t off)
{
	return (volatile uint8_t *)simhal_mmio_ptr(NVS_BAR0) + off;
}

static uint32_t
op_read32(void *ctx, uint32_t off)
{
	struct nvs *s = ctx;

	s->cyc += s->cfg->cost.mmio_read;
	s->res->mmio++;
	return hal_mmio_read32(reg(off));
}

static uint64_t
op_read64(void *ctx, uint32_t off)
{
	struct nvs *s = ctx;

	s->cyc += s->cfg->cost.mmio_read;
	s->res->mmio++;
	return hal_mmio_read64(reg(off));
}

static void
op_write32(void *ctx, uint32_t off, uint32_t v)
{
	struct nvs *s = ctx;

	s->cyc += s->cfg->cost.mmio_write;
	s->res->mmio++;
	hal_mmio_write32(reg(off), v);
}

static void
op_write64(void *ctx, uint32_t off, uint64_t v)
{
	struct nvs *s = ctx;

	s->cyc += s->cfg->cost.mmio_write;
	s->res->mmio++;
	hal_mmio_write64(reg(off), v);
}

/* A bump allocator over simulated physical memory (the run frees everything at its end). */
int
nvs_dma(struct nvs *s, size_t len, struct nvme_dma *out)
{
	len = (len + 4095) & ~(size_t)4095;
	if (s->dma_next + len > NVS_MEM_BYTES)
		return -1;
	out->pa = s->dma_next;
	out->va = hal_phys_to_virt(out->pa);
	out->len = len;
	memset(out->va, 0, len);
	s->dma_next += len;
	return 0;
}

static int
op_dma_alloc(void *ctx, size_t len, struct nvme_dma *out)
{
	return nvs_dma(ctx, len, out) < 0 ? -12 /* E_NOMEM */ : 0;
}

static void
op_dma_free(void *ctx, struct nvme_dma *dma)
{
}

static uint64_t
op_now(void *ctx)
{
	struct nvs *s = ctx;

	return (uint64_t)((unsigned __int128)s->cyc * 1000000000u / s->cfg->hz);
}

/* Dispatches the events that happened while the driver ran (up to the core's clock). */
void
nvs_catch_up(struct nvs *s)
{
	if (s->cyc > s->eng.now)
		sim_run_until(&s->eng, s->cyc);
}

/* Blocks the core until an event that can wake it (a completion, an arrival) or the deadline:
 * time jumps; a wake-up by MSI-X costs the interrupt's cycles. */
void
nvs_wait_cycles(struct nvs *s, uint64_t until)
{
	nvs_catch_up(s);
	if (until <= s->cyc)
		return;
	s->irq_woke = false;
	sim_run_until(&s->eng, until);
	s->cyc = s->eng.now > s->cyc ? s->eng.now : s->cyc;
	if (s->irq_woke && s->cfg->intr)
		s->cyc += s->cfg->cost.irq;
}

static void
op_wait(void *ctx, uint64_t deadline_ns)
{
	struct nvs *s = ctx;
	uint64_t c =
	    (uint64_t)(((unsigned __int128)deadline_ns * s->cfg->hz + 999999999u) / 1000000000u);

	nvs_wait_cycles(s, c);
}

/* A completion event: post it unless the controller was reset since (generation) or has a
 * fatal status (then it is lost, as on a real controller). */
static void
on_cqe(struct sim_engine *e, const struct sim_event *ev)
{
	struct nvs *s = e->ctx;
	struct nvs_pend *p = &s->pend[ev->arg];
	bool irq;

	if (p->gen == s->model.resets &&
	    nvme_model_complete(&s->model, p->sqid, p->cid, p->status, &irq)) {
		if (irq)
			s->res->interrupts++;
		s->irq_woke |= irq;
	}
	s->pend_free[s->npend_free++] = ev->arg;
	if (ev->cycle > s->cyc)
		e->stop = true;
}

static void
on_arrival(struct sim_engine *e, const struct sim_event *ev)
{
	struct nvs *s = e->ctx;

	nvs_arrival(s, ev->arg, ev->cycle);
	if (ev->cycle > s->cyc)
		e->stop = true;
}

static void
on_fault(struct sim_engine *e, const struct sim_event *ev)
{
	struct nvs *s = e->ctx;

	nvme_model_fatal(&s->model);
	s->res->faults_fired++;
}

/* The model's deferred completion: the command's time on its flash unit (LBA-striped), the
 * controller's fixed latency, the transfer, and an injected delay. */
static void
model_defer(void *ctx, uint16_t sqid, uint16_t cid, uint16_t status, const uint32_t *sqe)
{
	struct nvs *s = ctx;
	const struct nvsim_ssd *d = &s->cfg->ssd;
	bool wr = (sqe[0] & 0xff) == 0x01;
	const struct nvsim_op_model *om = wr ? &d->write : &d->read;
	uint64_t lba = sqe[10] | (uint64_t)sqe[11] << 32, bytes = ((sqe[12] & 0xffff) + 1ull) * 512;
	unsigned u = (unsigned)((lba / 8) % d->units);
	uint64_t start = s->unit_free[u] > s->cyc ? s->unit_free[u] : s->cyc, done;

	if (status == 0 && (sqe[0] & 0xff) != 0x00) {
		done = start + wl_dist_sample(&om->unit, &s->svc_rng);
		s->unit_free[u] = done;
	} else {
		done = s->cyc;
	}
	done += om->fixed + (uint64_t)((double)bytes / d->link_bytes_per_cycle) + s->slow_extra;
	s->slow_extra = 0;
	if (s->npend_free == 0) {
		s->oom = true;
		return;
	}
	uint32_t i = s->pend_free[--s->npend_free];
	s->pend[i] = (struct nvs_pend){ sqid, cid, status, s->model.resets };
	if (sim_schedule(&s->eng, done, 0, NVS_EV_CQE, i, 0) < 0)
		s->oom = true;
}

/* The workload's faults on the n-th I/O command the controller runs. */
static uint16_t
model_inject(void *ctx, uint16_t sqid, const uint32_t *sqe)
{
	struct nvs *s = ctx;
	uint64_t n = ++s->io_cmds;

	for (unsigned i = 0; i < s->cfg->nfaults; i++) {
		const struct nvsim_fault *f = &s->cfg->fault[i];
		if (f->kind == NVF_CFS || f->cmd != n)
			continue;
		s->res->faults_fired++;
		if (f->kind == NVF_ERROR)
			return f->status;
		if (f->kind == NVF_LOST)
			return NVMEM_HELD;
		s->slow_extra += f->delay;
	}
	return 0;
}

static void
model_error(void *ctx, const char *msg)
{
	struct nvs *s = ctx;

	if (!s->res->first_diag[0])
		snprintf(s->res->first_diag, sizeof(s->res->first_diag), "%s", msg);
	if (s->cfg->strict && s->jmp_armed) {
		s->res->strict_stop = true;
		longjmp(s->jmp, 1);
	}
}

int
nvs_host_init(struct nvs *s, char *err, size_t errlen)
{
	uint64_t nblocks = s->cfg->span / 512;

	if (simhal_init(NVS_MEM_BYTES) < 0 ||
	    nvme_model_init(&s->model, hal_phys_to_virt(0), simhal_phys_size(), nblocks, 0, 2) <
	        0 ||
	    simhal_mmio_register(NVS_BAR0, NVMEM_BAR0_BYTES, &model_mmio, &s->model) < 0 ||
	    sim_engine_init(&s->eng, 1024, s) < 0) {
		snprintf(err, errlen, "nvme: out of memory setting up the machine");
		return -1;
	}
	s->model.clock = &s->cyc;
	s->model.hook_ctx = s;
	s->model.on_error = model_error;
	s->model.defer = model_defer;
	s->model.inject = model_inject;
	s->eng.handler[NVS_EV_CQE] = on_cqe;
	s->eng.handler[NVS_EV_ARRIVAL] = on_arrival;
	s->eng.handler[NVS_EV_FAULT] = on_fault;
	for (uint32_t i = 0; i < NVS_MAX_PEND; i++)
		s->pend_free[s->npend_free++] = NVS_MAX_PEND - 1 - i;
	s->dma_next = 1u << 20;
	s->ops = (struct nvme_ops){ .ctx = s,
		                    .intr = s->cfg->intr,
		                    .read32 = op_read32,
		                    .read64 = op_read64,
		                    .write32 = op_write32,
		                    .write64 = op_write64,
		                    .dma_alloc = op_dma_alloc,
		                    .dma_free = op_dma_free,
		                    .now_ns = op_now,
		                    .wait = op_wait };
	for (unsigned i = 0; i < s->cfg->nfaults; i++) {
		if (s->cfg->fault[i].kind == NVF_CFS &&
		    sim_schedule(&s->eng, s->cfg->fault[i].at, 1, NVS_EV_FAULT, i, 0) < 0)
			return -1;
	}
	return 0;
}

void
nvs_host_fini(struct nvs *s)
{
	sim_engine_free(&s->eng);
	nvme_model_fini(&s->model);
	simhal_fini();
}
