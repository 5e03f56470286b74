/* The NVMe controller model's registers, doorbells and queue processing (NVMe 1.4 §3.1,
 * §4.1, §7.6.1).  Commands themselves are executed by nvme_model_cmd.c. */
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
	memset(m->outstanding, 0, sizeof(m->outstanding));
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
	bool bad = true;

	if (!m->aqa_set || !m->asq_set || !m->acq_set) {
		char miss[16] = "";
		const char *name[3] = { "AQA", "ASQ", "ACQ" };
		bool set[3] = { m->aqa_set, m->asq_set, m->acq_set };
		for (unsigned i = 0; i < 3; i++) {
			if (!set[i])
				snprintf(miss + strlen(miss), sizeof(miss) - strlen(miss), "%s%s",
				         miss[0] ? "/" : "", name[i]);
		}
		nvmem_diag(m, "CC.EN = 1 before %s written (NVMe 1.4 §7.6.1)", miss);
	} else if (sqs < 2 || cqs < 2)
		nvmem_diag(m,
		           "CC.EN = 1 with AQA 0x%x: admin queues need 2 entries (NVMe 1.4 §3.1.8)",
		           m->aqa);
	else if ((m->asq | m->acq) & (PAGE_SIZE - 1))
		nvmem_diag(
		    m, "CC.EN = 1 with ASQ 0x%llx ACQ 0x%llx not page aligned (NVMe 1.4 §3.1.9)",
		    (unsigned long long)m->asq, (unsigned long long)m->acq);
	else if (((m->cc >> 7) & 0xf) != 0)
		nvmem_diag(m, "CC.MPS %u outside CAP.MPSMIN..MPSMAX 0..0 (NVMe 1.4 §3.1.5)",
		           (m->cc >> 7) & 0xf);
	else if (((m->cc >> 4) & 7) != 0)
		nvmem_diag(m, "CC.CSS %u is not the NVM command set (NVMe 1.4 §3.1.5)",
		           (m->cc >> 4) & 7);
	else if (!nvmem_range_ok(m, m->asq, sqs * 64ull) || !nvmem_range_ok(m, m->acq, cqs * 16ull))
		nvmem_diag(m, "CC.EN = 1 with admin queues outside memory (NVMe 1.4 §3.1.9)");
	else
		bad = false;
	if (bad) {
		m->csts |= CSTS_CFS;
		return;
	}
	m->sq[0] = (struct nvmem_sq){ true, m->asq, sqs, 0, 0, 0 };
	m->cq[0] = (struct nvmem_cq){ true, m->acq, cqs, 0, 0, 1, false, 0 };
}

static void
write_cc(struct nvme_model *m, uint32_t val)
{
	bool was = m->cc & CC_EN, en = val & CC_EN;

	if (!was && en && (m->csts & CSTS_RDY))
		nvmem_diag(m, "CC.EN = 1 while CSTS.RDY is still 1 from the last disable "
		              "(NVMe 1.4 §3.1.5)");
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
	case REG_ASQ + 4:
		return m->asq >> 32;
	case REG_ACQ:
		return m->acq;
	case REG_ACQ + 4:
		return m->acq >> 32;
	default:
		return 0;
	}
}

static const char *
reg_name(uint64_t off)
{
	switch (off) {
	case REG_CAP:
		return "CAP";
	case REG_VS:
		return "VS";
	case REG_CC:
		return "CC";
	case REG_CSTS:
		return "CSTS";
	case REG_AQA:
		return "AQA";
	default:
		return off >= REG_DBS ? "doorbell" : "reserved";
	}
}

/* §3.1: CAP, ASQ and ACQ are 64-bit (and may be accessed as two dwords); every other register
 * is 32 bits wide and a qword access to it is an error. */
static bool
width_ok(struct nvme_model *m, uint64_t off, unsigned size, const char *what)
{
	bool wide = off == REG_CAP || off == REG_ASQ || off == REG_ACQ;

	if (size == 8 && !wide) {
		nvmem_diag(m, "8-byte %s of 32-bit register %s at 0x%llx (NVMe 1.4 §3.1)", what,
		           reg_name(off), (unsigned long long)off);
		return false;
	}
	return true;
}

uint64_t
nvme_model_mmio_read(void *ctx, uint64_t off, unsigned size)
{
	struct nvme_model *m = ctx;
	uint64_t v;

	if (!width_ok(m, off, size, "read"))
		return ~0ull;
	v = read_reg(m, off);
	return size == 8 ? v : (uint32_t)v;
}

void
nvmem_post(struct nvme_model *m, uint16_t cqid, uint32_t dw0, uint16_t sqid, uint16_t cid,
           uint16_t status)
{
	struct nvmem_cq *cq = &m->cq[cqid];
	uint32_t e[4] = { dw0, 0, (uint32_t)m->sq[sqid].head | (uint32_t)sqid << 16,
		          (uint32_t)cid | (uint32_t)cq->phase << 16 | (uint32_t)status << 17 };

	nvmem_cid_done(m, sqid, cid);
	if ((uint16_t)((cq->tail + 1) % cq->size) == cq->head) {
		nvmem_diag(m, "CQ%u full: completion of SQ%u command %u lost (NVMe 1.4 §4.1)", cqid,
		           sqid, cid);
		return;
	}
	/* §4.6: the phase tag is written last, so the entry becomes valid only when complete. */
	memcpy(m->mem + cq->base + cq->tail * 16ull, e, 12);
	memcpy(m->mem + cq->base + cq->tail * 16ull + 12, &e[3], 4);
	cq->posted++;
	if (cq->ien)
		m->interrupts++;
	if (++cq->tail == cq->size) {
		cq->tail = 0;
		cq->phase ^= 1;
	}
}

bool
nvme_model_complete(struct nvme_model *m, uint16_t sqid, uint16_t cid, uint16_t status, bool *irq)
{
	struct nvmem_sq *sq = &m->sq[sqid];
	struct nvmem_cq *cq;

	*irq = false;
	if (sqid >= NVMEM_NQ || !sq->live || (m->csts & CSTS_CFS))
		return false;
	cq = &m->cq[sq->cqid];
	if ((uint16_t)((cq->tail + 1) % cq->size) == cq->head)
		return false;
	nvmem_post(m, sq->cqid, 0, sqid, cid, status);
	*irq = cq->ien;
	return true;
}

void
nvme_model_fatal(struct nvme_model *m)
{
	m->csts |= CSTS_CFS;
}

/* §4.1: consume entries from the SQ head to the tail while the bound CQ has room (a full CQ
 * stalls the SQ until the host frees entries with the CQ head doorbell).  A controller with a
 * fatal status processes nothing. */
static void
process_sq(struct nvme_model *m, uint16_t sqid)
{
	struct nvmem_sq *sq = &m->sq[sqid];

	while (sq->live && sq->head != sq->tail && (m->csts & CSTS_RDY) && !(m->csts & CSTS_CFS)) {
		struct nvmem_cq *cq = &m->cq[sq->cqid];
		uint32_t sqe[16], dw0 = 0;
		if ((uint16_t)((cq->tail + 1) % cq->size) == cq->head)
			break;
		memcpy(sqe, m->mem + sq->base + sq->head * 64ull, 64);
		sq->head = (uint16_t)((sq->head + 1) % sq->size);
		m->commands++;
		m->cur_sqid = sqid;
		m->cur_cid = (uint16_t)(sqe[0] >> 16);
		nvmem_cid_busy(m, sqid, m->cur_cid);
		uint16_t status = nvmem_execute(m, sqid, sqe, &dw0);
		if (status == NVMEM_HELD)
			continue;
		if (m->defer != NULL && sqid != 0)
			m->defer(m->hook_ctx, sqid, m->cur_cid, status, sqe);
		else
			nvmem_post(m, sq->cqid, dw0, sqid, m->cur_cid, status);
	}
}

/* Entries from `from` forward to `to` in a ring of `size`. */
static unsigned
ring_dist(uint16_t from, uint16_t to, uint16_t size)
{
	return (unsigned)((to + size - from) % size);
}

static void
sq_doorbell(struct nvme_model *m, uint16_t qid, uint32_t val)
{
	struct nvmem_sq *sq = &m->sq[qid];

	if (!sq->live) {
		nvmem_diag(
		    m, "SQ%u tail doorbell %u for a queue that does not exist (NVMe 1.4 §3.1.24)",
		    qid, val);
		return;
	}
	if (val >= sq->size) {
		nvmem_diag(m, "SQ%u tail doorbell %u >= queue size %u (NVMe 1.4 §3.1.24)", qid, val,
		           sq->size);
		return;
	}
	/* §4.1.2: the queue is full at tail + 1 == head: at most size - 1 entries outstanding. */
	unsigned used = ring_dist(sq->head, sq->tail, sq->size),
	         added = ring_dist(sq->tail, (uint16_t)val, sq->size);
	if (used + added > (unsigned)sq->size - 1u) {
		nvmem_diag(m,
		           "SQ%u tail doorbell %u overruns head %u: %u entries in a queue of %u "
		           "(NVMe 1.4 §4.1.2)",
		           qid, val, sq->head, used + added, sq->size);
		return;
	}
	sq->tail = (uint16_t)val;
	if (!m->deferred)
		process_sq(m, qid);
}

static void
cq_doorbell(struct nvme_model *m, uint16_t qid, uint32_t val)
{
	struct nvmem_cq *cq = &m->cq[qid];

	if (!cq->live) {
		nvmem_diag(
		    m, "CQ%u head doorbell %u for a queue that does not exist (NVMe 1.4 §3.1.25)",
		    qid, val);
		return;
	}
	if (val >= cq->size) {
		nvmem_diag(m, "CQ%u head doorbell %u >= queue size %u (NVMe 1.4 §3.1.25)", qid, val,
		           cq->size);
		return;
	}
	unsigned moved = ring_dist(cq->head, (uint16_t)val, cq->size);
	if (moved > cq->posted) {
		nvmem_diag(m,
		           "CQ%u head doorbell %u moves past entries not yet posted (head %u, "
		           "tail %u) (NVMe 1.4 §4.1)",
		           qid, val, cq->head, cq->tail);
		return;
	}
	cq->posted = (uint16_t)(cq->posted - moved);
	cq->head = (uint16_t)val;
	for (uint16_t s = 0; s < NVMEM_NQ && !m->deferred; s++) {
		if (m->sq[s].live && m->sq[s].cqid == qid)
			process_sq(m, s);
	}
}

/* §3.1.24-3.1.25: doorbells at 0x1000 + (2y + is_cq) * (4 << CAP.DSTRD).  A write to a queue
 * that does not exist or a value beyond the queue is an Invalid Doorbell error (§5.2,
 * Asynchronous Event); the model reports it and ignores the write. */
static void
write_doorbell(struct nvme_model *m, uint64_t off, uint32_t val)
{
	uint64_t stride = 4ull << ((m->cap >> 32) & 0xf), idx = (off - REG_DBS) / stride;
	uint16_t qid = (uint16_t)(idx / 2);

	if ((off - REG_DBS) % stride != 0 || qid >= NVMEM_NQ) {
		nvmem_diag(m,
		           "doorbell write at 0x%llx matches no queue (stride %llu) "
		           "(NVMe 1.4 §3.1.24)",
		           (unsigned long long)off, (unsigned long long)stride);
		return;
	}
	if (!(m->csts & CSTS_RDY)) {
		nvmem_diag(m, "%cQ%u doorbell written while CSTS.RDY = 0 (NVMe 1.4 §7.6.1)",
		           idx % 2 ? 'C' : 'S', qid);
		return;
	}
	if (idx % 2 == 0)
		sq_doorbell(m, qid, val);
	else
		cq_doorbell(m, qid, val);
}

void
nvme_model_run(struct nvme_model *m)
{
	for (uint16_t s = 0; s < NVMEM_NQ; s++)
		process_sq(m, s);
}

/* §3.1.8-3.1.10: AQA, ASQ and ACQ are set while the controller is disabled. */
static bool
admin_reg_ok(struct nvme_model *m, const char *name)
{
	if (m->cc & CC_EN) {
		nvmem_diag(m, "%s written while CC.EN = 1 (NVMe 1.4 §7.6.1)", name);
		return false;
	}
	return true;
}

static void
write_reg(struct nvme_model *m, uint64_t off, unsigned size, uint64_t val)
{
	switch (off) {
	case REG_CC:
		write_cc(m, (uint32_t)val);
		break;
	case REG_AQA:
		if (admin_reg_ok(m, "AQA"))
			m->aqa = (uint32_t)val, m->aqa_set = true;
		break;
	case REG_ASQ:
	case REG_ASQ + 4:
		if (!admin_reg_ok(m, "ASQ"))
			break;
		if (size == 8)
			m->asq = val;
		else if (off == REG_ASQ)
			m->asq = (m->asq & ~0xffffffffull) | (uint32_t)val;
		else
			m->asq = (m->asq & 0xffffffffull) | val << 32;
		m->asq_set = true;
		break;
	case REG_ACQ:
	case REG_ACQ + 4:
		if (!admin_reg_ok(m, "ACQ"))
			break;
		if (size == 8)
			m->acq = val;
		else if (off == REG_ACQ)
			m->acq = (m->acq & ~0xffffffffull) | (uint32_t)val;
		else
			m->acq = (m->acq & 0xffffffffull) | val << 32;
		m->acq_set = true;
		break;
	case REG_CAP:
	case REG_CAP + 4:
	case REG_VS:
	case REG_CSTS:
		nvmem_diag(m, "write of read-only register %s (0x%llx) (NVMe 1.4 §3.1)",
		           reg_name(off == REG_CAP + 4 ? REG_CAP : off), (unsigned long long)off);
		break;
	default:
		nvmem_diag(m, "write of reserved or unmodelled register 0x%llx (NVMe 1.4 §3.1)",
		           (unsigned long long)off);
	}
}

void
nvme_model_mmio_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
	struct nvme_model *m = ctx;

	if (!width_ok(m, off, size, "write"))
		return;
	if (off >= REG_DBS)
		write_doorbell(m, off, (uint32_t)val);
	else
		write_reg(m, off, size, val);
}
