/* The NVMe controller model's registers, doorbells and queue processing (NVMe 1.4 §3.1,
 * §4.1, §7.6.1).  Commands themselves are executed by nvme_model_cmd.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvme_model.h"

#define REG_CAP  0x00
#define REG_VS   0x08
#define REG_CC   0x14
#define REG_CSTS 0x1c
#define REG_AQA  0x24
#define REG_ASQ  0x28
#define REG_ACQ  0x30
#define REG_DBS  0x1000

#define CC_EN     1u
#define CSTS_RDY  1u
#define CSTS_CFS  2u
#define PAGE_SIZE 4096u

void
nvmem_error(struct nvme_model *m, const char *fmt, ...)
{
	va_list ap;

	m->protocol_errors++;
	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
	va_end(ap);
}

bool
nvmem_range_ok(const struct nvme_model *m, uint64_t pa, uint64_t len)
{
	return pa <= m->mem_size && len <= m->mem_size - pa;
}

int
nvme_model_init(struct nvme_model *m, void *mem, size_t mem_size, uint64_t nblocks, unsigned dstrd,
                unsigned to)
{
	memset(m, 0, sizeof(*m));
	m->mem = mem;
	m->mem_size = mem_size;
	m->nblocks = nblocks;
	m->disk = calloc(nblocks, NVMEM_LBA_SIZE);
	if (m->disk == NULL)
		return -1;
	/* §3.1.1 CAP: MQES, CQR (contiguous queues required, bit 16), TO (31:24), DSTRD (35:32),
	 * CSS bit 37 (NVM command set), MPSMIN = MPSMAX = 0 (4 KiB pages). */
	m->cap = NVMEM_MQES | 1ull << 16 | (uint64_t)(to & 0xff) << 24 |
	         (uint64_t)(dstrd & 0xf) << 32 | 1ull << 37;
	m->rdy_delay = 3;
	return 0;
}

void
nvme_model_fini(struct nvme_model *m)
{
	free(m->disk);
	m->disk = NULL;
}

void
nvme_model_withhold(struct nvme_model *m, uint64_t lo, uint64_t hi, unsigned count,
                    bool abort_ignored)
{
	m->withhold_count = count;
	m->withhold_lo = lo;
	m->withhold_hi = hi;
	m->abort_ignored = abort_ignored;
}

/* §7.3.2: a controller reset (CC.EN 1 -> 0) deletes every I/O queue and forgets every command;
 * the admin queue registers keep their values. */
static void
controller_reset(struct nvme_model *m)
{
	memset(m->sq, 0, sizeof(m->sq));
	memset(m->cq, 0, sizeof(m->cq));
	m->nheld = 0;
	m->nsq_granted = m->ncq_granted = 0;
	m->csts &= ~CSTS_CFS;
	m->resets++;
}

/* §7.6.1 step 4 / §3.1.5: CC.EN 0 -> 1 with the admin queue attributes (sizes 0-based, at
 * least 2 entries) and page-aligned bases that lie in memory.  A bad set is a fatal status. */
static void
controller_enable(struct nvme_model *m)
{
	uint16_t sqs = (uint16_t)((m->aqa & 0xfff) + 1),
	         cqs = (uint16_t)(((m->aqa >> 16) & 0xfff) + 1);

	if (sqs < 2 || cqs < 2 || (m->asq & (PAGE_SIZE - 1)) || (m->acq & (PAGE_SIZE - 1)) ||
	    !nvmem_range_ok(m, m->asq, sqs * 64ull) || !nvmem_range_ok(m, m->acq, cqs * 16ull) ||
	    ((m->cc >> 7) & 0xf) != 0 || ((m->cc >> 4) & 7) != 0) {
		nvmem_error(m, "nvme: CC.EN set with bad AQA/ASQ/ACQ/CC (§7.6.1): CFS");
		m->csts |= CSTS_CFS;
		return;
	}
	m->sq[0] = (struct nvmem_sq){ true, m->asq, sqs, 0, 0, 0 };
	m->cq[0] = (struct nvmem_cq){ true, m->acq, cqs, 0, 0, 1 };
}

static void
write_cc(struct nvme_model *m, uint32_t val)
{
	bool was = m->cc & CC_EN, en = val & CC_EN;

	m->cc = val;
	if (was && !en)
		controller_reset(m);
	else if (!was && en)
		controller_enable(m);
	if (was != en)
		m->rdy_countdown = m->rdy_delay;
}

static uint32_t
read_csts(struct nvme_model *m)
{
	if (m->rdy_countdown > 0 && --m->rdy_countdown == 0) {
		bool en = m->cc & CC_EN;
		if (en && !(m->csts & CSTS_CFS) && !m->never_ready)
			m->csts |= CSTS_RDY;
		else if (!en)
			m->csts &= ~CSTS_RDY;
	}
	return m->csts;
}

static uint64_t
read_reg(struct nvme_model *m, uint64_t off)
{
	switch (off) {
	case REG_CAP:
		return m->cap;
	case REG_CAP + 4:
		return m->cap >> 32;
	case REG_VS:
		return 0x00010400; /* 1.4.0 */
	case REG_CC:
		return m->cc;
	case REG_CSTS:
		return read_csts(m);
	case REG_AQA:
		return m->aqa;
	case REG_ASQ:
		return m->asq;
	case REG_ACQ:
		return m->acq;
	default:
		return 0;
	}
}

uint64_t
nvme_model_mmio_read(void *ctx, uint64_t off, unsigned size)
{
	struct nvme_model *m = ctx;
	uint64_t v = read_reg(m, off);

	return size == 8 ? v : (uint32_t)v;
}

void
nvmem_post(struct nvme_model *m, uint16_t cqid, uint32_t dw0, uint16_t sqid, uint16_t cid,
           uint16_t status)
{
	struct nvmem_cq *cq = &m->cq[cqid];
	uint32_t e[4] = { dw0, 0, (uint32_t)m->sq[sqid].head | (uint32_t)sqid << 16,
		          (uint32_t)cid | (uint32_t)cq->phase << 16 | (uint32_t)status << 17 };

	if ((uint16_t)((cq->tail + 1) % cq->size) == cq->head) {
		nvmem_error(m, "nvme: CQ%u full, completion of SQ%u cid %u lost", cqid, sqid, cid);
		return;
	}
	/* §4.6: the phase tag is written last, so the entry becomes valid only when complete. */
	memcpy(m->mem + cq->base + cq->tail * 16ull, e, 12);
	memcpy(m->mem + cq->base + cq->tail * 16ull + 12, &e[3], 4);
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
}

/* §4.1: consume entries from the SQ head to the tail while the bound CQ has room (a full CQ
 * stalls the SQ until the host frees entries with the CQ head doorbell). */
static void
process_sq(struct nvme_model *m, uint16_t sqid)
{
	struct nvmem_sq *sq = &m->sq[sqid];

	while (sq->live && sq->head != sq->tail && (m->csts & CSTS_RDY)) {
		struct nvmem_cq *cq = &m->cq[sq->cqid];
		uint32_t sqe[16], dw0 = 0;
		if ((uint16_t)((cq->tail + 1) % cq->size) == cq->head)
			break;
		memcpy(sqe, m->mem + sq->base + sq->head * 64ull, 64);
		sq->head = (uint16_t)((sq->head + 1) % sq->size);
		m->commands++;
		uint16_t status = nvmem_execute(m, sqid, sqe, &dw0);
		if (status != NVMEM_HELD)
			nvmem_post(m, sq->cqid, dw0, sqid, (uint16_t)(sqe[0] >> 16), status);
	}
}

/* §3.1.8-3.1.9: doorbells at 0x1000 + (2y + is_cq) * (4 << CAP.DSTRD).  A write to a queue that
 * does not exist or a value beyond the queue is an Invalid Doorbell error (§5.2, Asynchronous
 * Event); the model counts it and ignores the write. */
static void
write_doorbell(struct nvme_model *m, uint64_t off, uint32_t val)
{
	uint64_t stride = 4ull << ((m->cap >> 32) & 0xf), idx = (off - REG_DBS) / stride;
	uint16_t qid = (uint16_t)(idx / 2);

	if ((off - REG_DBS) % stride != 0 || qid >= NVMEM_NQ) {
		nvmem_error(m, "nvme: doorbell write at 0x%llx matches no queue (§3.1.8)",
		            (unsigned long long)off);
		return;
	}
	if (!(m->csts & CSTS_RDY)) {
		nvmem_error(m, "nvme: doorbell written while CSTS.RDY = 0 (§7.6.1)");
		return;
	}
	if (idx % 2 == 0) {
		struct nvmem_sq *sq = &m->sq[qid];
		if (!sq->live || val >= sq->size) {
			nvmem_error(m, "nvme: SQ%u tail doorbell %u invalid (§3.1.8)", qid, val);
			return;
		}
		sq->tail = (uint16_t)val;
		if (!m->deferred)
			process_sq(m, qid);
		return;
	}
	struct nvmem_cq *cq = &m->cq[qid];
	if (!cq->live || val >= cq->size) {
		nvmem_error(m, "nvme: CQ%u head doorbell %u invalid (§3.1.9)", qid, val);
		return;
	}
	cq->head = (uint16_t)val;
	for (uint16_t s = 0; s < NVMEM_NQ && !m->deferred; s++) {
		if (m->sq[s].live && m->sq[s].cqid == qid)
			process_sq(m, s);
	}
}

void
nvme_model_run(struct nvme_model *m)
{
	for (uint16_t s = 0; s < NVMEM_NQ; s++)
		process_sq(m, s);
}

void
nvme_model_mmio_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct nvme_model *m = ctx;

	if (off >= REG_DBS) {
		write_doorbell(m, off, (uint32_t)val);
		return;
	}
	switch (off) {
	case REG_CC:
		write_cc(m, (uint32_t)val);
		break;
	case REG_AQA:
		m->aqa = (uint32_t)val;
		break;
	case REG_ASQ:
		m->asq = size == 8 ? val : (m->asq & ~0xffffffffull) | (uint32_t)val;
		break;
	case REG_ASQ + 4:
		m->asq = (m->asq & 0xffffffffull) | val << 32;
		break;
	case REG_ACQ:
		m->acq = size == 8 ? val : (m->acq & ~0xffffffffull) | (uint32_t)val;
		break;
	case REG_ACQ + 4:
		m->acq = (m->acq & 0xffffffffull) | val << 32;
		break;
	default:
		nvmem_error(m, "nvme: write of read-only or reserved register 0x%llx",
		            (unsigned long long)off);
	}
}
