/* The portable NVMe driver (lib/drivers/nvme): its public API and the ops table through which
 * it reaches the machine.  The driver has no x86 code and no libc beyond lib/: the LibOS
 * fills the ops with its device capability's BAR0 mapping (through the HAL's MMIO calls) and
 * its DMA frames; exosim and the host tests fill them with sim/dev/nvme_model.c.  References
 * are to the NVM Express Base Specification, revision 1.4 ("NVMe 1.4"). */
#ifndef EXOLAB_NVME_H
#define EXOLAB_NVME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVME_PAGE_SIZE    4096u /* CC.MPS = 0: the memory page size the driver programs */
#define NVME_MAX_IOQ      4     /* I/O queue pairs per controller (one per CPU that uses it) */
#define NVME_MAX_DEPTH    64    /* entries per I/O queue; at most depth - 1 commands in flight */
#define NVME_ADMIN_DEPTH  16
#define NVME_MAX_XFER     (512u * NVME_PAGE_SIZE) /* one PRP list page (NVMe 1.4 §4.3) */
#define NVME_MAX_RESUBMIT 2 /* resets a command survives before it fails with E_AGAIN */

/* A physically contiguous, page-aligned, zeroed DMA region. */
struct nvme_dma {
	void *va;
	uint64_t pa;
	size_t len;
};

/* Everything the driver needs from the machine.  Offsets are in BAR0.  `dma_alloc` returns 0
 * or a negative E_* code.  `now_ns` is monotonic.  `wait` is optional (NULL: busy polling): it
 * blocks until the device may have made progress (a notification bound to the controller's
 * interrupt) or until `deadline_ns`, whichever is first; it may return early.  `intr`: the
 * controller's interrupt is bound (the LibOS: nvme_libos_irq_bind), so I/O completion queues
 * are created with interrupts enabled (IEN, vector 0, §5.3); false: they never interrupt.
 * `wp`: the write protection (nvme_wp.h; NULL: none): every I/O and admin command is checked
 * against it before it is queued, and nvme_init reads the partition tables it needs. */
struct nvme_wp;
struct nvme_ops {
	void *ctx;
	bool intr;
	struct nvme_wp *wp;
	uint32_t (*read32)(void *ctx, uint32_t off);
	uint64_t (*read64)(void *ctx, uint32_t off);
	void (*write32)(void *ctx, uint32_t off, uint32_t val);
	void (*write64)(void *ctx, uint32_t off, uint64_t val);
	int (*dma_alloc)(void *ctx, size_t len, struct nvme_dma *out);
	void (*dma_free)(void *ctx, struct nvme_dma *dma);
	uint64_t (*now_ns)(void *ctx);
	void (*wait)(void *ctx, uint64_t deadline_ns);
};

/* A command slot: its command identifier is its index in the queue pair.  The submitted entry
 * is kept so that a controller reset can resubmit it. */
struct nvme_slot {
	uint32_t sqe[16];
	uint64_t deadline;
	void *cookie;
	bool busy;
	bool abort_sent;
	bool dead; /* dropped by a reset after NVME_MAX_RESUBMIT resubmissions */
	uint8_t resubmits;
};

struct nvme_ctrl;

struct nvme_qpair {
	struct nvme_ctrl *ctrl;
	uint16_t qid;
	uint16_t depth;
	uint16_t sq_tail;
	uint16_t sq_head; /* as last reported by the controller (CQE DW2.SQHD) */
	uint16_t cq_head;
	uint8_t phase; /* the phase tag that marks a new completion entry (§4.6) */
	unsigned inflight;
	unsigned ndead; /* slots a reset dropped, not yet reported */
	struct nvme_dma sq, cq;
	struct nvme_dma prp; /* one PRP list page per slot */
	struct nvme_slot slots[NVME_MAX_DEPTH];
};

struct nvme_stats {
	uint64_t submitted, completed, errors, timeouts, aborts, resets, resubmitted, dropped;
};

struct nvme_ctrl {
	struct nvme_ops ops;
	uint64_t cap;
	unsigned dstrd;       /* doorbell stride: 4 << CAP.DSTRD bytes */
	uint64_t ready_ns;    /* CAP.TO in nanoseconds (§3.1.1) */
	uint64_t cmd_timeout; /* per-command timeout, ns; the caller may change it */
	uint32_t max_xfer;    /* bytes, from MDTS and NVME_MAX_XFER */
	uint32_t lba_size;    /* bytes, namespace 1 */
	uint64_t nsze;        /* blocks, namespace 1 */
	uint32_t nn;
	bool not_ready; /* CSTS.RDY did not follow CC.EN = 1 within CAP.TO */
	char model[41], serial[21];
	struct nvme_qpair admin;
	unsigned nioq;
	struct nvme_qpair ioq[NVME_MAX_IOQ];
	struct nvme_stats stats;
};

/* I/O opcodes (NVM command set, NVMe 1.4 §6). */
enum nvme_io_op { NVME_OP_FLUSH = 0x00, NVME_OP_WRITE = 0x01, NVME_OP_READ = 0x02 };

/* One I/O: `buf_pa` is the physical address of a physically contiguous buffer, dword aligned
 * (§4.3: PRP offsets have bits 1:0 clear), of nblocks * lba_size bytes (none for Flush). */
struct nvme_req {
	uint8_t op;
	uint64_t lba;
	uint32_t nblocks;
	uint64_t buf_pa;
	void *cookie;
};

/* One finished I/O: err is 0 or a negative E_* code; status is the completion's status field
 * (CQE DW3 bits 31:17, §4.6.1), 0 on success, decoded by nvme_status_name. */
struct nvme_done {
	void *cookie;
	int err;
	uint16_t status;
};

/* The status field: SC bits 7:0, SCT bits 10:8, CRD 12:11, M bit 13, DNR bit 14. */
#define NVME_SF_SC(sf)        ((sf)&0xffu)
#define NVME_SF_SCT(sf)       (((sf) >> 8) & 0x7u)
#define NVME_SF_DNR(sf)       (((sf) >> 14) & 1u)
#define NVME_SF(sct, sc)      ((uint16_t)(((sct) << 8) | (sc)))
#define NVME_SCT_GENERIC      0
#define NVME_SCT_CMD_SPECIFIC 1
#define NVME_SCT_MEDIA        2
#define NVME_SCT_PATH         3
#define NVME_SCT_VENDOR       7

/* Resets and enables the controller, identifies it and namespace 1, and creates `nioq` I/O
 * queue pairs of `depth` entries.  `ctrl` is zeroed here.  Returns 0 or E_INVAL (bad
 * arguments, an unsupported controller), E_NOMEM, E_AGAIN (the controller timed out), or the
 * error of a failed admin command. */
int nvme_init(struct nvme_ctrl *ctrl, const struct nvme_ops *ops, unsigned nioq, unsigned depth);
/* Disables the controller and frees its DMA memory. */
void nvme_fini(struct nvme_ctrl *ctrl);

/* Queues up to `n` requests and rings the doorbell once.  Returns how many were queued (fewer
 * when the queue fills), or E_INVAL when reqs[0] is malformed, E_PERM when the write
 * protection refuses it (a later malformed or refused request stops the batch there). */
int nvme_submit(struct nvme_qpair *qp, const struct nvme_req *reqs, unsigned n);
/* Reaps up to `max` completions into `out` and handles commands past their timeout (Abort,
 * then controller reset and resubmission; a command still unanswered after NVME_MAX_RESUBMIT
 * resubmissions is reported with E_AGAIN).  Returns the number reaped or a negative error. */
int nvme_poll(struct nvme_qpair *qp, struct nvme_done *out, unsigned max);
/* Submits one request and polls until it is done: returns its err (status in *status). */
int nvme_io(struct nvme_qpair *qp, const struct nvme_req *req, uint16_t *status);

/* Resets the controller, recreates every I/O queue pair and resubmits every command that has
 * not completed (§7.3.2 and §7.6.1).  Called on an unanswered timeout; 0 or an error. */
int nvme_reset(struct nvme_ctrl *ctrl);

/* Status decoding (status.c, NVMe 1.4 §4.6.1.2): a name for every (SCT, SC), e.g. "LBA Out of
 * Range"; reserved and vendor-specific codes get a name saying so.  Never NULL. */
const char *nvme_status_name(uint16_t status);
const char *nvme_sct_name(unsigned sct);
/* The E_* code for a status (0 for success). */
int nvme_status_err(uint16_t status);
/* Whether (SCT, SC) is a code the specification defines (false for reserved codes). */
bool nvme_status_defined(uint16_t status);

#endif
