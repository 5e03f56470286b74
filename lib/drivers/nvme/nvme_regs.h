/* NVMe register offsets, field layouts and command formats the driver uses (NVMe 1.4 §3.1
 * controller registers, §4.2 submission entry, §4.6 completion entry, §5 admin commands,
 * §6 NVM commands).  Private to lib/drivers/nvme. */
#ifndef EXOLAB_NVME_REGS_H
#define EXOLAB_NVME_REGS_H

#include "nvme.h"

/* §3.1: controller registers in BAR0. */
#define NVME_REG_CAP  0x00 /* 64-bit capabilities */
#define NVME_REG_VS   0x08
#define NVME_REG_CC   0x14
#define NVME_REG_CSTS 0x1c
#define NVME_REG_AQA  0x24
#define NVME_REG_ASQ  0x28 /* 64-bit */
#define NVME_REG_ACQ  0x30 /* 64-bit */
#define NVME_REG_DBS  0x1000

/* §3.1.1 CAP. */
#define NVME_CAP_MQES(c)    ((uint32_t)((c)&0xffff))         /* 0-based */
#define NVME_CAP_TO(c)      ((uint32_t)(((c) >> 24) & 0xff)) /* 500 ms units */
#define NVME_CAP_DSTRD(c)   ((uint32_t)(((c) >> 32) & 0xf))
#define NVME_CAP_CSS_NVM    (1ull << 37)
#define NVME_CAP_MPSMIN(c)  ((uint32_t)(((c) >> 48) & 0xf))
#define NVME_CAP_TO_UNIT_NS 500000000ull

/* §3.1.5 CC and §3.1.6 CSTS. */
#define NVME_CC_EN         (1u << 0)
#define NVME_CC_CSS_NVM    (0u << 4)
#define NVME_CC_MPS(v)     ((uint32_t)(v) << 7)
#define NVME_CC_IOSQES(v)  ((uint32_t)(v) << 16)
#define NVME_CC_IOCQES(v)  ((uint32_t)(v) << 20)
#define NVME_CSTS_RDY      (1u << 0)
#define NVME_CSTS_CFS      (1u << 1)
#define NVME_SQE_SIZE_LOG2 6 /* 64-byte submission entries */
#define NVME_CQE_SIZE_LOG2 4 /* 16-byte completion entries */

/* §3.1.8-3.1.9 doorbells: SQy tail at 0x1000 + (2y) * stride, CQy head at (2y + 1). */
static inline uint32_t
nvme_sq_db(const struct nvme_ctrl *c, unsigned qid)
{
	return NVME_REG_DBS + (2 * qid) * c->dstrd;
}

static inline uint32_t
nvme_cq_db(const struct nvme_ctrl *c, unsigned qid)
{
	return NVME_REG_DBS + (2 * qid + 1) * c->dstrd;
}

/* §4.2 submission queue entry, as dwords: CDW0 = opcode | CID << 16; PRP1 in dwords 6-7,
 * PRP2 in 8-9, command dwords 10-15. */
#define SQE_CDW0  0
#define SQE_NSID  1
#define SQE_PRP1  6
#define SQE_PRP2  8
#define SQE_CDW10 10
#define SQE_CDW11 11
#define SQE_CDW12 12

/* §4.6 completion queue entry: DW0 result, DW2 SQHD | SQID << 16, DW3 CID | P << 16 | SF << 17. */
#define CQE_DW0 0
#define CQE_DW2 2
#define CQE_DW3 3

/* §5 admin opcodes. */
#define NVME_ADM_CREATE_SQ 0x01
#define NVME_ADM_CREATE_CQ 0x05
#define NVME_ADM_IDENTIFY  0x06
#define NVME_ADM_ABORT     0x08
#define NVME_ADM_SET_FEAT  0x09
#define NVME_FEAT_NQUEUES  0x07 /* §5.21.1.7 Number of Queues */
#define NVME_CNS_NS        0x00
#define NVME_CNS_CTRL      0x01

/* Internal to the driver (ctrl.c <-> io.c). */
int nvme_admin_cmd(struct nvme_ctrl *c, uint32_t sqe[16], uint32_t *dw0, uint16_t *status);
/* Identify (NVMe 1.4 §5.15) into the page `buf`: CNS 1 the controller, 0 namespace `nsid`, 2
 * the active namespace IDs.  An admin command, no I/O (user/hwinfo.c uses it too). */
int nvme_identify(struct nvme_ctrl *c, struct nvme_dma *buf, uint32_t nsid, uint32_t cns);
void nvme_sqe_put(struct nvme_qpair *qp, const uint32_t sqe[16]);
void nvme_sq_ring(struct nvme_qpair *qp);
bool nvme_cqe_take(struct nvme_qpair *qp, uint32_t cqe[4]);
void nvme_qpair_reset_state(struct nvme_qpair *qp);
int nvme_qpair_resubmit(struct nvme_qpair *qp);

#endif
