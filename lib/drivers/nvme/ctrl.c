/* NVMe controller bring-up and recovery: reset and enable (NVMe 1.4 §7.6.1), the admin queue,
 * Identify, Set Features (Number of Queues), I/O queue creation, and the controller reset that
 * resubmits every uncompleted command (§7.3.2).  The I/O path is in io.c. */
#include "abi/error.h"
#include "drv_mmio.h"
#include "nvme_regs.h"
#include "nvme_wp.h"
#include "xstring.h"

/* Macros, not functions, so that a host build records the caller's line (drv_mmio.h). */
#define rd32(c, off)    DRV_RD32(&(c)->ops, (off))
#define wr32(c, off, v) DRV_WR32(&(c)->ops, (off), (v))

static uint64_t
now(struct nvme_ctrl *c)
{
	return c->ops.now_ns(c->ops.ctx);
}

/* Waits up to CAP.TO for CSTS.RDY to equal `rdy` (§3.1.1: CAP.TO is the worst-case time for
 * RDY to follow CC.EN either way).  A fatal status (CSTS.CFS) ends the wait early. */
static int
wait_ready(struct nvme_ctrl *c, bool rdy)
{
	uint64_t deadline = now(c) + c->ready_ns;

	for (;;) {
		uint32_t csts = rd32(c, NVME_REG_CSTS);
		if (csts == 0xffffffffu || (rdy && (csts & NVME_CSTS_CFS)))
			return E_AGAIN;
		if (!!(csts & NVME_CSTS_RDY) == rdy)
			return 0;
		uint64_t t = now(c);
		if (t >= deadline)
			return E_AGAIN;
		if (c->ops.wait != NULL)
			c->ops.wait(c->ops.ctx, t + 1000000 < deadline ? t + 1000000 : deadline);
	}
}

/* §7.6.1 steps 1-2 (and §7.3.2): clear CC.EN and wait for CSTS.RDY to clear.  If the
 * controller is still becoming ready, wait for that first (`settle`): clearing EN while
 * CSTS.RDY lags CC.EN is undefined (§3.1.5 CC.EN); not after it already failed to get ready. */
static int
ctrl_disable(struct nvme_ctrl *c, bool settle)
{
	uint32_t cc = rd32(c, NVME_REG_CC);

	if (cc & NVME_CC_EN) {
		if (settle && !(rd32(c, NVME_REG_CSTS) & NVME_CSTS_RDY))
			(void)wait_ready(c, true);
		wr32(c, NVME_REG_CC, cc & ~NVME_CC_EN);
	}
	return wait_ready(c, false);
}

/* §7.6.1 steps 3-5: admin queue attributes and bases, then CC (NVM command set, 4 KiB pages,
 * round robin, entry sizes) with EN, and wait for CSTS.RDY. */
static int
ctrl_enable(struct nvme_ctrl *c)
{
	struct nvme_qpair *aq = &c->admin;

	nvme_qpair_reset_state(aq);
	wr32(c, NVME_REG_AQA, (uint32_t)(aq->depth - 1) << 16 | (uint32_t)(aq->depth - 1));
	DRV_WR64(&c->ops, NVME_REG_ASQ, aq->sq.pa);
	DRV_WR64(&c->ops, NVME_REG_ACQ, aq->cq.pa);
	wr32(c, NVME_REG_CC,
	     NVME_CC_CSS_NVM | NVME_CC_MPS(0) | NVME_CC_IOSQES(NVME_SQE_SIZE_LOG2) |
	         NVME_CC_IOCQES(NVME_CQE_SIZE_LOG2) | NVME_CC_EN);
	return wait_ready(c, true);
}

static int
qpair_alloc(struct nvme_ctrl *c, struct nvme_qpair *qp, uint16_t qid, unsigned depth)
{
	int r;

	qp->ctrl = c;
	qp->qid = qid;
	qp->depth = (uint16_t)depth;
	if ((r = c->ops.dma_alloc(c->ops.ctx, depth * 64u, &qp->sq)) < 0)
		return r;
	if ((r = c->ops.dma_alloc(c->ops.ctx, depth * 16u, &qp->cq)) < 0)
		return r;
	if (qid != 0)
		r = c->ops.dma_alloc(c->ops.ctx, depth * NVME_PAGE_SIZE, &qp->prp);
	return r;
}

static void
qpair_free(struct nvme_ctrl *c, struct nvme_qpair *qp)
{
	struct nvme_dma *d[3] = { &qp->sq, &qp->cq, &qp->prp };

	for (unsigned i = 0; i < 3; i++) {
		if (d[i]->va != NULL && c->ops.dma_free != NULL)
			c->ops.dma_free(c->ops.ctx, d[i]);
		d[i]->va = NULL;
	}
}

/* Copies an ASCII field of Identify data, dropping the trailing spaces (§5.15.2.1). */
static void
copy_ascii(char *dst, const uint8_t *src, unsigned n)
{
	unsigned len = n;

	while (len > 0 && (src[len - 1] == ' ' || src[len - 1] == 0))
		len--;
	for (unsigned i = 0; i < len; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[len] = 0;
}

int
nvme_identify(struct nvme_ctrl *c, struct nvme_dma *buf, uint32_t nsid, uint32_t cns)
{
	uint32_t sqe[16] = { 0 };

	memset(buf->va, 0, NVME_PAGE_SIZE);
	sqe[SQE_CDW0] = NVME_ADM_IDENTIFY;
	sqe[SQE_NSID] = nsid;
	sqe[SQE_PRP1] = (uint32_t)buf->pa;
	sqe[SQE_PRP1 + 1] = (uint32_t)(buf->pa >> 32);
	sqe[SQE_CDW10] = cns;
	return nvme_admin_cmd(c, sqe, NULL, NULL);
}

/* §5.15.2.1 Identify Controller (CNS 01h) and §5.15.2.2 Identify Namespace (CNS 00h). */
static int
identify_all(struct nvme_ctrl *c, struct nvme_dma *buf)
{
	const uint8_t *d = buf->va;
	int r;

	if ((r = nvme_identify(c, buf, 0, NVME_CNS_CTRL)) < 0)
		return r;
	copy_ascii(c->serial, d + 4, 20);
	copy_ascii(c->model, d + 24, 40);
	/* SQES/CQES (bytes 512-513): bits 3:0 the required (minimum) entry size. */
	if ((d[512] & 0xf) > NVME_SQE_SIZE_LOG2 || (d[513] & 0xf) > NVME_CQE_SIZE_LOG2)
		return E_INVAL;
	c->max_xfer = NVME_MAX_XFER;
	/* MDTS (byte 77): a power of two in units of CAP.MPSMIN pages, 0 = no limit. */
	if (d[77] != 0 && d[77] < 20) {
		uint64_t mdts = (uint64_t)NVME_PAGE_SIZE << NVME_CAP_MPSMIN(c->cap) << d[77];
		if (mdts < c->max_xfer)
			c->max_xfer = (uint32_t)mdts;
	}
	c->nn = (uint32_t)d[516] | (uint32_t)d[517] << 8 | (uint32_t)d[518] << 16 |
	        (uint32_t)d[519] << 24;
	if (c->nn == 0)
		return E_INVAL;
	if ((r = nvme_identify(c, buf, 1, NVME_CNS_NS)) < 0)
		return r;
	uint64_t nsze = 0;
	for (unsigned i = 0; i < 8; i++)
		nsze |= (uint64_t)d[i] << (8 * i);
	/* FLBAS (byte 26) bits 3:0 pick the LBA format; LBAF n at 128 + 4n, LBADS in byte 2. */
	unsigned lbads = d[128 + 4 * (d[26] & 0xf) + 2];
	if (nsze == 0 || lbads < 9 || lbads > 12)
		return E_INVAL;
	c->nsze = nsze;
	c->lba_size = 1u << lbads;
	return 0;
}

/* §5.21.1.7 Set Features, Number of Queues (0-based counts in CDW11), then §5.4/§5.3 Create
 * I/O Completion Queue (05h) before its Submission Queue (01h): physically contiguous (PC). */
static int
create_ioq(struct nvme_ctrl *c, struct nvme_qpair *qp)
{
	uint32_t sqe[16] = { 0 };
	int r;

	sqe[SQE_CDW0] = NVME_ADM_CREATE_CQ;
	sqe[SQE_PRP1] = (uint32_t)qp->cq.pa;
	sqe[SQE_PRP1 + 1] = (uint32_t)(qp->cq.pa >> 32);
	sqe[SQE_CDW10] = (uint32_t)(qp->depth - 1) << 16 | qp->qid;
	/* CDW11: IV 31:16 = 0 (INTx and MSI have one vector), IEN bit 1, PC bit 0 (§5.3). */
	sqe[SQE_CDW11] = c->ops.intr ? 3 : 1;
	if ((r = nvme_admin_cmd(c, sqe, NULL, NULL)) < 0)
		return r;
	memset(sqe, 0, sizeof(sqe));
	sqe[SQE_CDW0] = NVME_ADM_CREATE_SQ;
	sqe[SQE_PRP1] = (uint32_t)qp->sq.pa;
	sqe[SQE_PRP1 + 1] = (uint32_t)(qp->sq.pa >> 32);
	sqe[SQE_CDW10] = (uint32_t)(qp->depth - 1) << 16 | qp->qid;
	sqe[SQE_CDW11] = (uint32_t)qp->qid << 16 | 1; /* CQID, PC */
	return nvme_admin_cmd(c, sqe, NULL, NULL);
}

static int
set_nqueues(struct nvme_ctrl *c)
{
	uint32_t sqe[16] = { 0 }, dw0 = 0;
	int r;

	sqe[SQE_CDW0] = NVME_ADM_SET_FEAT;
	sqe[SQE_CDW10] = NVME_FEAT_NQUEUES;
	sqe[SQE_CDW11] = (c->nioq - 1) << 16 | (c->nioq - 1);
	if ((r = nvme_admin_cmd(c, sqe, &dw0, NULL)) < 0)
		return r;
	/* DW0 holds the allocated counts, 0-based; the controller may grant fewer. */
	if ((dw0 & 0xffff) + 1 < c->nioq || (dw0 >> 16) + 1 < c->nioq)
		return E_RANGE;
	return 0;
}

static int
bring_up(struct nvme_ctrl *c, unsigned nioq, unsigned depth)
{
	struct nvme_dma idbuf = { 0 };
	int r;

	if ((r = qpair_alloc(c, &c->admin, 0, NVME_ADMIN_DEPTH)) < 0)
		return r;
	for (unsigned i = 0; i < nioq; i++) {
		if ((r = qpair_alloc(c, &c->ioq[i], (uint16_t)(i + 1), depth)) < 0)
			return r;
	}
	c->nioq = nioq;
	if ((r = ctrl_disable(c, true)) < 0)
		return r;
	if ((r = ctrl_enable(c)) < 0) {
		c->not_ready = true;
		return r;
	}
	if ((r = c->ops.dma_alloc(c->ops.ctx, NVME_PAGE_SIZE, &idbuf)) < 0)
		return r;
	r = identify_all(c, &idbuf);
	if (c->ops.dma_free != NULL)
		c->ops.dma_free(c->ops.ctx, &idbuf);
	if (r < 0 || (r = set_nqueues(c)) < 0)
		return r;
	for (unsigned i = 0; i < nioq && r == 0; i++) {
		nvme_qpair_reset_state(&c->ioq[i]);
		r = create_ioq(c, &c->ioq[i]);
	}
	return r;
}

int
nvme_init(struct nvme_ctrl *c, const struct nvme_ops *ops, unsigned nioq, unsigned depth)
{
	int r;

	if (c == NULL || ops == NULL || ops->read32 == NULL || ops->read64 == NULL ||
	    ops->write32 == NULL || ops->write64 == NULL || ops->dma_alloc == NULL ||
	    ops->now_ns == NULL || nioq == 0 || nioq > NVME_MAX_IOQ || depth < 2 ||
	    depth > NVME_MAX_DEPTH)
		return E_INVAL;
	memset(c, 0, sizeof(*c));
	c->ops = *ops;
	c->cap = ops->read64(ops->ctx, NVME_REG_CAP);
	/* §3.1.1: the NVM command set, 4 KiB pages and queues of `depth` entries (MQES is 0-based).
	 */
	if (c->cap == ~0ull || !(c->cap & NVME_CAP_CSS_NVM) || NVME_CAP_MPSMIN(c->cap) != 0 ||
	    NVME_CAP_MQES(c->cap) + 1 < depth || NVME_CAP_MQES(c->cap) + 1 < NVME_ADMIN_DEPTH)
		return E_INVAL;
	c->dstrd = 4u << NVME_CAP_DSTRD(c->cap);
	c->ready_ns =
	    (uint64_t)(NVME_CAP_TO(c->cap) ? NVME_CAP_TO(c->cap) : 1) * NVME_CAP_TO_UNIT_NS;
	c->cmd_timeout = 1000000000ull;
	if ((r = bring_up(c, nioq, depth)) < 0) {
		nvme_fini(c);
		return r;
	}
	/* Under write protection, the partition tables before the first write (nvme_wp.h); a
	 * failure leaves every write refused, reads work. */
	(void)nvme_wp_load(c);
	return 0;
}

void
nvme_fini(struct nvme_ctrl *c)
{
	if (c->ops.read32 != NULL)
		(void)ctrl_disable(c, !c->not_ready);
	qpair_free(c, &c->admin);
	for (unsigned i = 0; i < NVME_MAX_IOQ; i++)
		qpair_free(c, &c->ioq[i]);
	c->nioq = 0;
}

/* §7.3.2 controller reset: disable, re-enable with the admin queue, recreate every I/O queue
 * pair in the same memory, then resubmit each command still outstanding from its saved entry
 * (their identifiers are unchanged: no completion for them can be pending after the reset). */
int
nvme_reset(struct nvme_ctrl *c)
{
	int r;

	c->stats.resets++;
	if ((r = ctrl_disable(c, true)) < 0)
		return r;
	if ((r = ctrl_enable(c)) < 0) {
		c->not_ready = true;
		return r;
	}
	if ((r = set_nqueues(c)) < 0)
		return r;
	for (unsigned i = 0; i < c->nioq; i++) {
		struct nvme_qpair *qp = &c->ioq[i];
		nvme_qpair_reset_state(qp);
		if ((r = create_ioq(c, qp)) < 0)
			return r;
		if ((r = nvme_qpair_resubmit(qp)) < 0)
			return r;
	}
	return 0;
}

/* One admin command, submitted and polled to completion (admin commands are rare and
 * serialised: one in flight).  CID is the slot index; a timeout returns E_AGAIN. */
int
nvme_admin_cmd(struct nvme_ctrl *c, uint32_t sqe[16], uint32_t *dw0, uint16_t *status)
{
	struct nvme_qpair *aq = &c->admin;
	uint16_t cid = aq->sq_tail;
	uint32_t cqe[4];
	uint64_t deadline = now(c) + c->cmd_timeout;
	int r;

	if ((r = nvme_wp_check_admin(c->ops.wp, (uint8_t)sqe[SQE_CDW0])) < 0)
		return r; /* Format NVM, Sanitize, firmware...: never under write protection */
	sqe[SQE_CDW0] = (sqe[SQE_CDW0] & 0xffff) | (uint32_t)cid << 16;
	nvme_sqe_put(aq, sqe);
	nvme_sq_ring(aq);
	while (!nvme_cqe_take(aq, cqe)) {
		uint64_t t = now(c);
		if (t >= deadline)
			return E_AGAIN;
		if (c->ops.wait != NULL)
			c->ops.wait(c->ops.ctx, deadline);
	}
	uint16_t sf = (uint16_t)(cqe[CQE_DW3] >> 17);
	if (dw0 != NULL)
		*dw0 = cqe[CQE_DW0];
	if (status != NULL)
		*status = sf;
	if ((cqe[CQE_DW3] & 0xffff) != cid)
		return E_FAULT; /* a completion for a command never submitted */
	return nvme_status_err(sf);
}
