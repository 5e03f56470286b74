/* Fixture of the network drivers' host tests: simulated physical memory (sim/hal), a NIC model
 * behind a BAR through hal_mmio_*, a bump DMA allocator and a fake clock (1 us per reading,
 * jumping to a wait's deadline), so every run is deterministic. */
#ifndef EXOLAB_NETFIX_H
#define EXOLAB_NETFIX_H

#include <stdint.h>

#include "netdev.h"
#include "rtl_model.h"

#define FIX_MEM_BYTES (16u << 20)
#define FIX_BAR       0xfebf0000u

extern struct rtl_model fix_rtl;
extern struct net_dev fix_dev;
extern struct net_pool fix_pool;
extern uint64_t fix_clock_ns;
extern const uint8_t fix_mac[6];

/* Simulated memory, the clock and the DMA allocator, fresh; no device yet. */
void fix_setup_mem(void);
/* Memory and the model for `chip`; the driver not yet initialised. */
void fix_setup_rtl(enum rtlm_chip chip);
/* fix_setup_rtl, a pool of `nbuf` buffers and the chip's driver with `nring` descriptors
 * each way, asserted. */
void fix_start_rtl(enum rtlm_chip chip, unsigned nbuf, unsigned nring);
void fix_teardown(void);
const struct net_ops *fix_ops(void);
const struct net_driver *fix_driver(enum rtlm_chip chip);

/* A deterministic frame: to `dst` (NULL: our MAC), from 02:00:00:00:00:01, EtherType 0x88b5
 * (local experimental), then bytes from seed `seq`; `len` bytes in all. */
void fix_frame(uint8_t *out, unsigned len, uint32_t seq, const uint8_t *dst);

/* The length the frame with sequence number `seq` gets in the tests: 60 to 1514. */
unsigned fix_len(uint32_t seq);

#endif
