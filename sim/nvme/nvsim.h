/* exosim's NVMe run: the real driver (lib/drivers/nvme, compiled unchanged) as simulated LibOS
 * code on one simulated core, against the register-level controller model (sim/dev/nvme_model*)
 * behind sim/hal's MMIO dispatch, in sim/hal's simulated physical memory.  Completions and
 * MSI-X messages are engine events at times from the SSD profile; the driver's clock (ops.now_ns)
 * is the core's cycle clock; the driver's cost in cycles comes from the profile's cost table
 * (docs/sim.md, "NVMe: the real driver in exosim"). */
#ifndef EXOSIM_NVSIM_H
#define EXOSIM_NVSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nvme.h"
#include "workload/workload.h"

#define NVSIM_MAX_FAULTS 16

/* One SSD's service model: a command occupies one of `units` parallel flash units (chosen by
 * its LBA: 4 KiB stripes) for a time drawn from the unit distribution, then the controller
 * adds a fixed latency and the transfer over the link. */
struct nvsim_op_model {
	struct wl_dist unit; /* cycles on the flash unit */
	uint64_t fixed;      /* cycles of controller latency (pipelined: not a unit's time) */
};
struct nvsim_ssd {
	char name[32];
	unsigned units;
	double link_bytes_per_cycle;
	struct nvsim_op_model read, write;
};

/* The driver's cost in cycles (hw/NAME/nvme.json "driver_costs"). */
struct nvsim_cost {
	uint64_t mmio_read, mmio_write;   /* per register access */
	uint64_t submit_call, submit_req; /* per nvme_submit call, per request it queues */
	uint64_t poll_call, poll_cqe;     /* per nvme_poll call that reaps, per completion */
	uint64_t irq;                     /* per MSI-X wake-up (interrupt mode) */
};

enum nvsim_fault_kind { NVF_ERROR, NVF_LOST, NVF_CFS, NVF_SLOW };
struct nvsim_fault {
	enum nvsim_fault_kind kind;
	uint64_t cmd;    /* ERROR, LOST, SLOW: the n-th I/O command the controller runs (1-based) */
	uint64_t at;     /* CFS: the cycle */
	uint64_t delay;  /* SLOW: extra cycles */
	uint16_t status; /* ERROR: the status field (SCT << 8 | SC) */
};

struct nvsim_cfg {
	uint64_t hz, seed, duration; /* duration in cycles of issuing requests */
	unsigned nq, qd;             /* queue pairs, outstanding requests per queue */
	uint32_t bs;                 /* bytes per request, a multiple of 4096 */
	unsigned read_pct;           /* 0..100 */
	uint64_t span;               /* bytes of the disk the requests fall in */
	double rate;                 /* open loop: Poisson arrivals per second in total; 0 closed */
	uint64_t on, off; /* bursty open loop: cycles on (arrivals at `rate`), off (none); 0 0 */
	bool intr, strict, verify;
	uint64_t timeout_ns; /* the driver's per-command timeout (ctrl->cmd_timeout) */
	struct nvsim_ssd ssd;
	struct nvsim_cost cost;
	struct nvsim_fault fault[NVSIM_MAX_FAULTS];
	unsigned nfaults;
	/* Tests: called after nvme_init, to break the driver on purpose. */
	void (*tamper)(struct nvme_ctrl *c);
	bool trace; /* keep the core's driver calls for nvsim_trace */
};

struct nvsim_qstat {
	uint64_t done, errors, bytes;
	uint64_t *lat;   /* cycles, one per completion */
	uint64_t *start; /* its arrival or submission cycle */
	uint8_t *write;  /* whether it was a write */
	size_t nlat, cap;
};

struct nvsim_result {
	uint64_t cycles, events, mmio, interrupts, polls, model_cmds;
	double host_seconds;
	struct nvsim_qstat q[NVME_MAX_IOQ];
	struct nvme_stats drv;
	uint64_t submitted, reaped, failed, faults_fired;
	uint64_t acked_writes, verified, verify_bad; /* verify mode */
	unsigned diags;                              /* the model's protocol errors */
	char first_diag[300];
	bool strict_stop;     /* --strict: the run stopped at first_diag */
	uint64_t measured;    /* cycles of the issuing window (for rates) */
	uint64_t loop_cycles; /* the workload loop (issuing and draining), timed by host_seconds */
	uint64_t loop_events; /* engine events up to the loop's end */
	/* With cfg.trace: the core's nvme_submit and nvme_poll calls that moved requests. */
	struct nvsim_call {
		uint64_t t, len; /* start, cycles */
		uint32_t n;      /* requests submitted or completions reaped */
		uint8_t qid;     /* 1.. */
		bool submit;
	} * calls;
	size_t ncalls, ccap;
};

/* Runs the workload.  Returns 0 (see res), or -1 with a message in err (setup failed, the
 * driver's nvme_init failed, a stalled run). */
int nvsim_run(const struct nvsim_cfg *cfg, struct nvsim_result *res, char *err, size_t errlen);
void nvsim_result_free(struct nvsim_result *res);

/* Loading (nvsim_load.c): whether `path` is an NVMe workload (a top-level "nvme" object);
 * the workload plus the SSD profile and costs from hw_dir/machine/nvme.json.  Errors are
 * "FILE:LINE:COL: what" (as the task workloads' loader gives them) in err; returns 0 or -1. */
bool nvsim_is_workload(const char *path);
int nvsim_load(const char *path, const char *hw_dir, const char *machine, uint64_t hz,
               struct nvsim_cfg *cfg, char *err, size_t errlen);
int nvsim_load_buffer(const char *text, size_t len, const char *name, uint64_t hz,
                      struct nvsim_cfg *cfg, char *err, size_t errlen);

/* An SSD profile's text (hw/NAME/nvme.json): the SSD `ssd` (NULL: its default_ssd) and the
 * driver costs into cfg (cfg->hz set). */
int nvsim_profile(const char *text, size_t len, const char *name, struct nvsim_cfg *cfg,
                  const char *ssd, char *err, size_t errlen);

/* A Chrome trace (Perfetto): one async track per device queue, a slice per request from its
 * arrival (or submission) to its reaping, and (a run made with cfg.trace) the core's track
 * with a slice per driver call.  Returns 0 or -1 on a write error. */
int nvsim_trace(const struct nvsim_cfg *cfg, const struct nvsim_result *res, FILE *f);

/* The summary: per queue IOPS, bandwidth, latency percentiles (nvsim_report.c). */
void nvsim_print(const struct nvsim_cfg *cfg, const struct nvsim_result *res, FILE *f, bool host);

#endif
