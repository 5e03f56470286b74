/* Fixture of the NVMe driver's host tests: simulated physical memory (sim/hal), the
 * controller model (sim/dev/nvme_model.c) behind BAR0 through hal_mmio_*, a bump DMA allocator,
 * and a fake clock that moves 1 us per reading (and jumps to a wait's deadline), so timeouts
 * are deterministic. */
#ifndef EXOLAB_NVMEFIX_H
#define EXOLAB_NVMEFIX_H

#include <stdint.h>

#include "nvme.h"
#include "nvme_model.h"

#define FIX_MEM_BYTES (32u << 20)
#define FIX_NBLOCKS   16384u /* an 8 MiB RAM disk */
#define FIX_BAR0      0xfeb00000u

extern struct nvme_model fix_model;
extern struct nvme_ctrl fix_ctrl;
extern uint64_t fix_clock_ns;

/* Sets up memory and the model (doorbell stride 4 << dstrd, CAP.TO = 2: one second); the
 * driver is not initialised. */
void fix_setup_model(unsigned dstrd);
/* fix_setup_model(0), then nvme_init with `nioq` queue pairs of `depth` entries, asserted. */
void fix_setup(unsigned nioq, unsigned depth);
void fix_teardown(void);
const struct nvme_ops *fix_ops(void);
/* A zeroed DMA buffer of `len` bytes: its physical address, *va its host pointer. */
uint64_t fix_dma(size_t len, void **va);

/* Deterministic data: xorshift64 from a fixed seed, and a checksum (FNV-1a 64). */
uint64_t fix_rand(uint64_t *state);
void fix_fill(void *buf, size_t len, uint64_t seed);
uint64_t fix_sum(const void *buf, size_t len);

#endif
