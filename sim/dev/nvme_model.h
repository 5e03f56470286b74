/* A register-level NVMe controller model for exosim and the host tests (sim/dev/nvme_model.c
 * registers, doorbells and queues; nvme_model_cmd.c admin and NVM commands, PRP walks).  It
 * runs over a "physical memory" given as one host array and a RAM disk of 512-byte blocks,
 * and executes commands synchronously when a doorbell is written.  Whatever the driver writes
 * (registers, queue entries, PRPs), the model answers with the NVMe-defined status or a
 * counted protocol error; it never reads or writes outside the memory it was given.
 * References are to the NVM Express Base Specification 1.4. */
#ifndef EXOLAB_NVME_MODEL_H
#define EXOLAB_NVME_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVMEM_NQ         9   /* queue ids 0 (admin) to 8 */
#define NVMEM_MQES       255 /* CAP.MQES: at most 256 entries per queue (0-based) */
#define NVMEM_MDTS       7   /* 2^7 pages = 512 KiB per command */
#define NVMEM_LBA_SIZE   512
#define NVMEM_MAX_HELD   8
#define NVMEM_HELD       0xffff /* execute()'s answer for a withheld command */
#define NVMEM_BAR0_BYTES 0x2000

struct nvmem_sq {
	bool live;
	uint64_t base;
	uint16_t size, head, tail, cqid;
};

struct nvmem_cq {
	bool live;
	uint64_t base;
	uint16_t size, head, tail;
	uint8_t phase;
	bool ien;        /* interrupts enabled (CDW11 bit 1, §5.3) */
	uint16_t posted; /* entries posted and not yet released by the head doorbell */
};

struct nvmem_held {
	uint16_t sqid, cid;
};

struct nvme_model {
	uint8_t *mem; /* simulated physical memory, address 0 at mem[0] */
	size_t mem_size;
	uint8_t *disk;
	uint64_t nblocks;

	/* Registers (§3.1). */
	uint64_t cap, asq, acq;
	uint32_t cc, csts, aqa;
	unsigned rdy_delay;     /* CSTS reads before RDY follows a change of CC.EN */
	unsigned rdy_countdown; /* reads left; 0 when RDY matches EN */
	bool never_ready;       /* injection: RDY never follows EN = 1 */
	bool deferred;          /* doorbells only record; nvme_model_run executes */

	struct nvmem_sq sq[NVMEM_NQ];
	struct nvmem_cq cq[NVMEM_NQ];
	uint16_t nsq_granted, ncq_granted; /* Number of Queues feature, 0-based */

	/* Injection: the next `withhold_count` I/O commands starting in [withhold_lo,
	 * withhold_hi) are consumed but never completed, until an Abort (refused when
	 * abort_ignored) or a controller reset. */
	unsigned withhold_count;
	bool abort_ignored;
	uint64_t withhold_lo, withhold_hi;
	struct nvmem_held held[NVMEM_MAX_HELD];
	unsigned nheld;

	uint64_t commands, aborts_done, resets;
	unsigned protocol_errors;
	char last_error[300];

	/* Protocol checking (nvme_model_check.c): each mistake is one line "nvme: RULE: evidence
	 * (NVMe 1.4 §x) at cycle N", N read from *clock (0 without one), kept in last_error and
	 * passed to on_error (exosim's --strict stops there). */
	const uint64_t *clock;
	void (*on_error)(void *ctx, const char *msg);
	void *hook_ctx;
	bool aqa_set, asq_set, acq_set;    /* written since the last reset */
	uint16_t cur_sqid, cur_cid;        /* the command being executed */
	uint64_t outstanding[NVMEM_NQ][4]; /* CIDs < 256 consumed and not yet completed */
	/* Timed completion (exosim): when set, an I/O command's completion goes to `defer`
	 * instead of the CQ, and nvme_model_complete posts it when its service time is over. */
	void (*defer)(void *ctx, uint16_t sqid, uint16_t cid, uint16_t status, const uint32_t *sqe);
	/* Fault injection (exosim): asked before an I/O command runs; 0 runs it, NVMEM_HELD
	 * withholds it (a lost completion), anything else completes it with that status. */
	uint16_t (*inject)(void *ctx, uint16_t sqid, const uint32_t *sqe);
	uint64_t interrupts; /* completions posted to a CQ with IEN (an MSI-X message each) */
};

/* dstrd: CAP.DSTRD (doorbell stride 4 << dstrd); to: CAP.TO in 500 ms units.  Returns 0, or -1
 * when the disk cannot be allocated. */
int nvme_model_init(struct nvme_model *m, void *mem, size_t mem_size, uint64_t nblocks,
                    unsigned dstrd, unsigned to);
void nvme_model_fini(struct nvme_model *m);

/* BAR0 accesses; `off` within NVMEM_BAR0_BYTES, `size` 4 or 8.  The signatures match
 * simhal_mmio_ops, so a model can be registered with sim/hal directly. */
uint64_t nvme_model_mmio_read(void *m, uint64_t off, unsigned size);
void nvme_model_mmio_write(void *m, uint64_t off, unsigned size, uint64_t val);

/* Executes what the doorbells rang since the last call (deferred mode: the device makes
 * progress only when simulated time passes, as a real one does while the driver polls). */
void nvme_model_run(struct nvme_model *m);

/* Withholds the next `count` I/O commands whose first LBA is in [lo, hi). */
void nvme_model_withhold(struct nvme_model *m, uint64_t lo, uint64_t hi, unsigned count,
                         bool abort_ignored);

/* Posts a deferred completion (see `defer`); false when the queue is gone (a reset since) or
 * full.  Raises the CQ's interrupt: the return tells whether it has IEN set. */
bool nvme_model_complete(struct nvme_model *m, uint16_t sqid, uint16_t cid, uint16_t status,
                         bool *irq);
/* Sets CSTS.CFS: the controller stops processing commands until a reset (§3.1.6). */
void nvme_model_fatal(struct nvme_model *m);

/* Internal (nvme_model.c <-> nvme_model_cmd.c <-> nvme_model_check.c). */
void nvmem_diag(struct nvme_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nvmem_cid_busy(struct nvme_model *m, uint16_t sqid, uint16_t cid);
void nvmem_cid_done(struct nvme_model *m, uint16_t sqid, uint16_t cid);
bool nvmem_range_ok(const struct nvme_model *m, uint64_t pa, uint64_t len);
void nvmem_post(struct nvme_model *m, uint16_t cqid, uint32_t dw0, uint16_t sqid, uint16_t cid,
                uint16_t status);
uint16_t nvmem_execute(struct nvme_model *m, uint16_t sqid, const uint32_t *sqe, uint32_t *dw0);

#endif
