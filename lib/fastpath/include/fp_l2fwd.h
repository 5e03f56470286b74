/* lib/fastpath: l2fwd's per-batch forwarding step (issue 15 items 4 and 6), portable C that
 * user/l2fwd.c runs on an owned core and exosim runs on a simulated one (sim/net/netsim_fp.c),
 * compiled unchanged into both: a batch from one NIC port out of the other, the MAC header
 * rewritten as DPDK's l2fwd does, each frame's latency (the reader's clock at receive minus
 * the generator's stamp in the frame) into a lib/fastpath histogram.  The frame layout is the
 * one user/l2gen.c writes (docs/l2fwd.md). */
#ifndef EXOLAB_FP_L2FWD_H
#define EXOLAB_FP_L2FWD_H

#include <stdint.h>

#include "fp_metrics.h"
#include "fp_poll.h"
#include "fp_ring.h"
#include "fp_time.h"
#include "netdev.h"

/* A 60-byte frame (64 on the wire with the FCS the NIC adds): the MAC header, the IEEE
 * 802 local experimental EtherType 88b5 (IEEE Std 802-2014 §9.2.4), then the test header
 * and a pattern that is a function of the sequence number. */
#define L2_FRAME_LEN 60
#define L2_ETHERTYPE 0x88b5
#define L2_OFF_SEQ   14 /* uint32_t, little endian */
#define L2_OFF_FLAGS 18 /* uint16_t */
#define L2_OFF_STAMP 20 /* uint64_t: the generator's clock just before the transmit */
#define L2_OFF_FILL  28
#define L2_FLAG_WARM 1 /* not measured: the first frame, through links that just came up */
#define L2_FLAG_STOP 2 /* the last: the forwarder stops (and drops it) */

/* The metrics page's counters and histograms (names: fp_l2fwd_name_metrics). */
enum { FP_L2_FRAMES, FP_L2_BATCHES, FP_L2_FULL, FP_L2_CYCLES, FP_L2_DROPS, FP_L2_NCOUNTERS };
enum { FP_L2_H_LAT, FP_L2_H_BATCH, FP_L2_NHISTS };

struct fp_l2fwd {
	struct net_dev *in, *out;
	struct fp_metrics *m;      /* FP_L2_NHISTS histograms at least */
	struct fp_poll_shared *sh; /* the stop frame stops this loop */
	struct fp_clock clk;       /* the TSC (user/l2fwd.c) or exosim's simulated clock */
	uint8_t rewrite[12];       /* the new MAC header: destination, source */
	uint64_t io_min;           /* the least net_rx + net_tx of a full batch (set ~0) */
	/* The batch in progress: what net_rx returned, what goes to net_tx.  The clock is read
	 * in this order within a batch: at its start, after net_rx (when it returned frames),
	 * before net_tx, after net_tx, and at the end of a full batch (exosim charges the work
	 * between two reads at the second, docs/sim.md "The fast path in exosim"). */
	uint32_t rx_n, tx_n;
	/* The pipeline (fp_l2fwd_rx_stage, fp_l2fwd_tx_stage; NULL for fp_l2fwd_poll): two
	 * handles on one SPSC ring of buffer pointers (slots of sizeof(struct net_buf *)), the
	 * receive stage's producer handle and the transmit stage's consumer handle. */
	struct fp_ring *stage_out, *stage_in;
};

void fp_l2fwd_name_metrics(struct fp_metrics *m);
/* The fp_source poll function (ctx a struct fp_l2fwd): one batch of at most
 * min(budget, NET_BATCH) frames; returns the frames received. */
uint32_t fp_l2fwd_poll(void *ctx, uint32_t budget);
/* The same step split in two fp_source poll functions around a ring, as a receive core and a
 * transmit core of a pipeline share the work (DPDK's "pipeline" model): the receive stage
 * takes a batch from `in` and enqueues the buffers on f->stage_out (a frame the ring does not
 * take is dropped and counted in FP_L2_DROPS; a stop frame among them still stops the loop);
 * the transmit stage dequeues a batch from f->stage_in and does the rest of fp_l2fwd_poll's
 * work (the rewrite, the latency, net_tx, the counters).  Each returns the frames it took. */
uint32_t fp_l2fwd_rx_stage(void *ctx, uint32_t budget);
uint32_t fp_l2fwd_tx_stage(void *ctx, uint32_t budget);

static inline uint64_t
l2_get64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
l2_get32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
l2_get16(const uint8_t *p)
{
	uint16_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

#endif
