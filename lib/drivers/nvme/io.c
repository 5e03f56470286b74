/* The NVMe I/O path: building Read/Write/Flush entries with PRPs (NVMe 1.4 §4.3), batch
 * submission with one doorbell write, completion by the phase tag (§4.6), and per-command
 * timeouts: Abort (§5.1), and when that fails a controller reset with resubmission. */
#include "abi/error.h"
#include "drv_mmio.h"
#include "nvme_regs.h"
#include "nvme_wp.h"
#include "xstring.h"

void
nvme_sqe_put(struct nvme_qpair *qp, const uint32_t sqe[16])
{
	/* LAB 5: copy the 64-byte entry into the submission queue's slot at the tail (qp->sq.va)
	 * and advance the tail, wrapping at qp->depth (§4.1: a circular queue). */
	/* BEGIN LAB 5 */
	memcpy((uint32_t *)qp->sq.va + 16u * qp->sq_tail, sqe, 64);
	qp->sq_tail = (uint16_t)((qp->sq_tail + 1) % qp->depth);
	/* END LAB 5 */
}

/* The entries must be visible to the device before it sees the new tail (§4.1). */
void
nvme_sq_ring(struct nvme_qpair *qp)
{
	/* LAB 5: tell the controller the new tail: write it to this queue's SQ tail doorbell
	 * (nvme_sq_db, §3.1.8), after a release fence so that the entries are in memory first. */
	/* BEGIN LAB 5 */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	DRV_WR32(&qp->ctrl->ops, nvme_sq_db(qp->ctrl, qp->qid), qp->sq_tail);
	/* END LAB 5 */
}

/* Takes the entry at the CQ head if its phase tag is the current phase (§4.6: the controller
 * inverts the tag on each pass through the queue), and tells the controller the new head. */
bool
nvme_cqe_take(struct nvme_qpair *qp, uint32_t cqe[4])
{
	/* LAB 5: if the entry at the CQ head carries the current phase tag (DW3 bit 16), copy it
	 * to cqe (after an acquire fence: read the tag before the rest), note the SQ head the
	 * controller reports (DW2 bits 15:0), advance the head (flipping qp->phase when it
	 * wraps), write the new head to the CQ head doorbell (nvme_cq_db, §3.1.9), return true.
	 * Otherwise return false. */
	/* BEGIN LAB 5 */
	volatile uint32_t *e = (volatile uint32_t *)qp->cq.va + 4u * qp->cq_head;

	if (((e[CQE_DW3] >> 16) & 1) != qp->phase)
		return false;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < 4; i++)
		cqe[i] = e[i];
	qp->sq_head = (uint16_t)(cqe[CQE_DW2] & 0xffff);
	if (++qp->cq_head == qp->depth) {
		qp->cq_head = 0;
		qp->phase ^= 1;
	}
	DRV_WR32(&qp->ctrl->ops, nvme_cq_db(qp->ctrl, qp->qid), qp->cq_head);
	return true;
	/* END LAB 5 */
	/* STUB LAB 5: return false; */
}

/* Empty queues as after creation: entries zeroed so that no stale phase tag reads as new. */
void
nvme_qpair_reset_state(struct nvme_qpair *qp)
{
	memset(qp->sq.va, 0, (size_t)qp->depth * 64);
	memset(qp->cq.va, 0, (size_t)qp->depth * 16);
	qp->sq_tail = qp->sq_head = qp->cq_head = 0;
	qp->phase = 1;
}

int
nvme_qpair_resubmit(struct nvme_qpair *qp)
{
	uint64_t deadline = qp->ctrl->ops.now_ns(qp->ctrl->ops.ctx) + qp->ctrl->cmd_timeout;
	unsigned n = 0;

	for (unsigned cid = 0; cid < qp->depth; cid++) {
		struct nvme_slot *s = &qp->slots[cid];
		if (!s->busy || s->dead)
			continue;
		if (s->resubmits >= NVME_MAX_RESUBMIT) {
			/* The reset dropped it in the device: nvme_poll reports it failed. */
			s->dead = true;
			qp->ndead++;
			qp->ctrl->stats.dropped++;
			continue;
		}
		s->resubmits++;
		s->deadline = deadline;
		s->abort_sent = false;
		nvme_sqe_put(qp, s->sqe);
		n++;
	}
	if (n > 0)
		nvme_sq_ring(qp);
	qp->ctrl->stats.resubmitted += n;
	return 0;
}

/* §4.3: PRP1 addresses the first byte, possibly with an offset into its page; the rest are page
 * addresses.  Two pages: PRP2 is the second page.  More: PRP2 points at a list of page
 * addresses (here the slot's own list page, which is page aligned, so it holds 512). */
static int
build_prps(struct nvme_qpair *qp, unsigned cid, uint64_t pa, uint32_t len, uint32_t *sqe)
{
	/* LAB 5: fill PRP1 (dwords 6-7) and PRP2 (dwords 8-9) for `len` bytes at `pa`: no PRP2
	 * within the first page, the second page's address for two, else the physical address
	 * of a list (the slot's page at qp->prp, cid * NVME_PAGE_SIZE in) holding every page
	 * after the first.  E_RANGE if the list would not fit in its page. */
	/* BEGIN LAB 5 */
	uint64_t first = NVME_PAGE_SIZE - (pa & (NVME_PAGE_SIZE - 1));
	uint64_t prp2 = 0;

	if (len > first) {
		uint64_t next = pa + first;
		uint32_t rest = len - (uint32_t)first;
		unsigned npages = (rest + NVME_PAGE_SIZE - 1) / NVME_PAGE_SIZE;
		if (npages == 1) {
			prp2 = next;
		} else {
			uint64_t *list = (uint64_t *)((uint8_t *)qp->prp.va + cid * NVME_PAGE_SIZE);
			if (npages > NVME_PAGE_SIZE / 8)
				return E_RANGE;
			for (unsigned i = 0; i < npages; i++)
				list[i] = next + (uint64_t)i * NVME_PAGE_SIZE;
			prp2 = qp->prp.pa + (uint64_t)cid * NVME_PAGE_SIZE;
		}
	}
	sqe[SQE_PRP1] = (uint32_t)pa;
	sqe[SQE_PRP1 + 1] = (uint32_t)(pa >> 32);
	sqe[SQE_PRP2] = (uint32_t)prp2;
	sqe[SQE_PRP2 + 1] = (uint32_t)(prp2 >> 32);
	return 0;
	/* END LAB 5 */
	/* STUB LAB 5: return E_NOSYS; */
}

static int
free_cid(struct nvme_qpair *qp)
{
	/* Slots are taken in SQ order, so the slot at the tail is normally free. */
	for (unsigned i = 0; i < qp->depth; i++) {
		unsigned cid = (qp->sq_tail + i) % qp->depth;
		if (!qp->slots[cid].busy)
			return (int)cid;
	}
	return E_BUSY;
}

/* §6.8 Read, §6.15 Write (SLBA in CDW10-11, 0-based NLB in CDW12), §6.8 Flush. */
static int
build_io(struct nvme_qpair *qp, unsigned cid, const struct nvme_req *rq, uint32_t *sqe)
{
	struct nvme_ctrl *c = qp->ctrl;

	memset(sqe, 0, 64);
	sqe[SQE_CDW0] = rq->op | (uint32_t)cid << 16;
	sqe[SQE_NSID] = 1;
	if (rq->op == NVME_OP_FLUSH)
		return 0;
	if (rq->op != NVME_OP_READ && rq->op != NVME_OP_WRITE)
		return E_INVAL;
	if (rq->nblocks == 0 || rq->nblocks > 0x10000 || (rq->buf_pa & 3) != 0 ||
	    (uint64_t)rq->nblocks * c->lba_size > c->max_xfer)
		return E_INVAL;
	/* LAB 5: the starting LBA (CDW10 low, CDW11 high) and the number of blocks (CDW12 bits
	 * 15:0, a 0's based value: §6.9 and §6.15). */
	/* BEGIN LAB 5 */
	sqe[SQE_CDW10] = (uint32_t)rq->lba;
	sqe[SQE_CDW10 + 1] = (uint32_t)(rq->lba >> 32);
	sqe[SQE_CDW12] = rq->nblocks - 1;
	/* END LAB 5 */
	return build_prps(qp, cid, rq->buf_pa, rq->nblocks * c->lba_size, sqe);
}

int
nvme_submit(struct nvme_qpair *qp, const struct nvme_req *reqs, unsigned n)
{
	uint64_t deadline = qp->ctrl->ops.now_ns(qp->ctrl->ops.ctx) + qp->ctrl->cmd_timeout;
	unsigned done = 0;
	int err = 0;

	while (done < n && qp->inflight + 1 < qp->depth) {
		int cid = free_cid(qp);
		if (cid < 0)
			break;
		struct nvme_slot *s = &qp->slots[cid];
		const struct nvme_req *rq = &reqs[done];
		/* The write protection (nvme_wp.h) sees every command before the queue does. */
		if ((err = nvme_wp_check_io(qp->ctrl->ops.wp, rq->op, rq->lba, rq->nblocks)) < 0)
			break;
		if ((err = build_io(qp, (unsigned)cid, rq, s->sqe)) < 0)
			break;
		s->busy = true;
		s->abort_sent = s->dead = false;
		s->resubmits = 0;
		s->cookie = reqs[done].cookie;
		s->deadline = deadline;
		nvme_sqe_put(qp, s->sqe);
		qp->inflight++;
		done++;
	}
	if (done > 0)
		nvme_sq_ring(qp);
	qp->ctrl->stats.submitted += done;
	return done == 0 && err < 0 ? err : (int)done;
}

/* §5.1 Abort: CDW10 = SQID | CID << 16; DW0 bit 0 of its completion is 0 when the command was
 * aborted (it then completes on its own queue with Command Abort Requested). */
static bool
try_abort(struct nvme_qpair *qp, unsigned cid)
{
	uint32_t sqe[16] = { 0 }, dw0 = 1;

	sqe[SQE_CDW0] = NVME_ADM_ABORT;
	sqe[SQE_CDW10] = qp->qid | (uint32_t)cid << 16;
	qp->ctrl->stats.aborts++;
	return nvme_admin_cmd(qp->ctrl, sqe, &dw0, NULL) == 0 && (dw0 & 1) == 0;
}

/* Commands past their deadline: the first time, Abort; if the Abort fails, or the aborted
 * command still has not completed by its next deadline, reset the controller. */
static int
check_timeouts(struct nvme_qpair *qp)
{
	struct nvme_ctrl *c = qp->ctrl;
	uint64_t t = c->ops.now_ns(c->ops.ctx);

	for (unsigned cid = 0; cid < qp->depth; cid++) {
		struct nvme_slot *s = &qp->slots[cid];
		if (!s->busy || s->dead || t < s->deadline)
			continue;
		c->stats.timeouts++;
		if (!s->abort_sent && try_abort(qp, cid)) {
			s->abort_sent = true;
			s->deadline = c->ops.now_ns(c->ops.ctx) + c->cmd_timeout;
			continue;
		}
		return nvme_reset(c);
	}
	return 0;
}

/* Reports the commands a reset dropped (see nvme_qpair_resubmit). */
static unsigned
reap_dead(struct nvme_qpair *qp, struct nvme_done *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned cid = 0; cid < qp->depth && n < max; cid++) {
		struct nvme_slot *s = &qp->slots[cid];
		if (!s->dead)
			continue;
		s->dead = s->busy = false;
		qp->inflight--;
		qp->ndead--;
		out[n++] = (struct nvme_done){ s->cookie, E_AGAIN, 0 };
		qp->ctrl->stats.errors++;
	}
	return n;
}

int
nvme_poll(struct nvme_qpair *qp, struct nvme_done *out, unsigned max)
{
	uint32_t cqe[4];
	unsigned n = qp->ndead > 0 ? reap_dead(qp, out, max) : 0;

	while (n < max && nvme_cqe_take(qp, cqe)) {
		/* LAB 5: find the command this entry completes: its CID (DW3 bits 15:0) names the
		 * slot, which must be busy and not dropped, on this queue (DW2 bits 31:16 SQID);
		 * any other entry is counted in stats.errors and skipped (the device's word is not
		 * trusted).  Free the slot and report its cookie, the status field (DW3 bits 31:17)
		 * and its error (nvme_status_err), counting errors and completions in the stats. */
		/* BEGIN LAB 5 */
		unsigned cid = cqe[CQE_DW3] & 0xffff;
		uint16_t sf = (uint16_t)(cqe[CQE_DW3] >> 17);
		struct nvme_slot *s = cid < qp->depth ? &qp->slots[cid] : NULL;
		if (s == NULL || !s->busy || s->dead || (cqe[CQE_DW2] >> 16) != qp->qid) {
			qp->ctrl->stats.errors++; /* a completion for nothing we submitted */
			continue;
		}
		s->busy = false;
		qp->inflight--;
		out[n].cookie = s->cookie;
		out[n].status = sf;
		out[n].err = nvme_status_err(sf);
		if (out[n].err < 0)
			qp->ctrl->stats.errors++;
		qp->ctrl->stats.completed++;
		n++;
		/* END LAB 5 */
		/* STUB LAB 5: qp->ctrl->stats.errors++; */
	}
	if (n == 0 && qp->inflight > 0) {
		int r = check_timeouts(qp);
		if (r < 0)
			return r;
	}
	return (int)n;
}

/* Synchronous helper for a queue with nothing else in flight. */
int
nvme_io(struct nvme_qpair *qp, const struct nvme_req *req, uint16_t *status)
{
	struct nvme_ctrl *c = qp->ctrl;
	struct nvme_req rq = *req;
	struct nvme_done d;
	int marker, r;

	if (qp->inflight != 0)
		return E_BUSY; /* it would reap the other commands' completions */
	rq.cookie = &marker;
	if ((r = nvme_submit(qp, &rq, 1)) <= 0)
		return r < 0 ? r : E_BUSY;
	for (;;) {
		if ((r = nvme_poll(qp, &d, 1)) < 0)
			return r;
		if (r == 1 && d.cookie == &marker)
			break;
		if (r == 0 && c->ops.wait != NULL) {
			uint64_t t = c->ops.now_ns(c->ops.ctx);
			c->ops.wait(c->ops.ctx, t + c->cmd_timeout / 16);
		}
	}
	if (status != NULL)
		*status = d.status;
	return d.err;
}
