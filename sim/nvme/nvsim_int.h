/* Internals of exosim's NVMe run (nvsim.c the workload loop, nvsim_host.c the machine). */
#ifndef EXOSIM_NVSIM_INT_H
#define EXOSIM_NVSIM_INT_H

#include <setjmp.h>
#include <stdio.h>

#include "engine/engine.h"
#include "nvme_model.h"
#include "nvsim.h"
#include "rng/rng.h"

#define NVS_MEM_BYTES (64u << 20)
#define NVS_BAR0      0xfeb00000u
#define NVS_MAX_PEND  (NVMEM_NQ * 256)
#define NVS_MAX_QD    (NVME_MAX_DEPTH - 1)

enum { NVS_EV_CQE, NVS_EV_ARRIVAL, NVS_EV_FAULT };

struct nvs_pend {
	uint16_t sqid, cid, status;
	uint64_t gen; /* the model's reset count when it was scheduled */
};

/* One request slot of a queue: its buffer and what is in flight in it. */
struct nvs_req {
	bool busy, write;
	uint64_t t0;  /* arrival (open loop) or submission (closed loop), cycles */
	uint64_t blk; /* bs-sized block index */
	uint32_t ver; /* write: the version its data carries */
	struct nvme_dma buf;
};

struct nvs_queue {
	struct nvs_req req[NVS_MAX_QD];
	unsigned busy;
	uint64_t *arr; /* open loop: arrival times waiting, a ring */
	size_t arr_head, arr_n, arr_cap;
	struct rng arr_rng;
};

struct nvs {
	const struct nvsim_cfg *cfg;
	struct nvsim_result *res;
	struct sim_engine eng;
	struct nvme_model model;
	struct nvme_ctrl ctrl;
	struct nvme_ops ops;
	uint64_t cyc; /* the simulated core's clock */
	uint64_t dma_next;
	bool irq_woke, oom;
	struct nvs_pend pend[NVS_MAX_PEND];
	uint32_t pend_free[NVS_MAX_PEND], npend_free;
	uint64_t unit_free[256];
	uint64_t io_cmds, slow_extra;
	struct rng svc_rng, lba_rng;
	struct nvs_queue q[NVME_MAX_IOQ];
	uint64_t nblk;
	uint32_t *ver, *alt; /* verify: acknowledged and possible versions per block */
	uint8_t *blk_busy;
	uint32_t next_ver;
	uint64_t
	    arr0; /* open loop: the first arrival, where a bursty pattern's first "on" starts */
	jmp_buf jmp;
	bool jmp_armed;
};

int nvs_dma(struct nvs *s, size_t len, struct nvme_dma *out);
void nvs_catch_up(struct nvs *s);
void nvs_wait_cycles(struct nvs *s, uint64_t until);
int nvs_host_init(struct nvs *s, char *err, size_t errlen);
void nvs_host_fini(struct nvs *s);
void nvs_arrival(struct nvs *s, unsigned q, uint64_t cycle);

#endif
