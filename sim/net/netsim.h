/* exosim's network run: the real NIC driver (lib/drivers/net, compiled unchanged) as simulated
 * LibOS code on one simulated core, forwarding between two NICs the way user/netfwd.c does
 * (net_rx of a batch on NIC A, net_tx of the same buffers on NIC B), against the
 * register-level models (sim/dev/e1000_model.c, sim/dev/rtl_model.c) behind sim/hal's MMIO
 * dispatch, in sim/hal's simulated physical memory.  A traffic generator puts frames on A's
 * wire at times from the workload (fixed rate, Poisson, bursty on/off); a sink on B's wire
 * measures what the driver transmits (rate, latency from arrival to the last bit leaving).
 * The driver's cost in cycles comes from hw/NAME/nic.json (docs/sim.md, "NICs: the real
 * driver in exosim"). */
#ifndef EXOSIM_NETSIM_H
#define EXOSIM_NETSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fp_metrics.h"
#include "netdev.h"

#define NETSIM_MAX_FAULTS 16
/* Owned cores one run simulates together (the legion profile's 12 hardware threads). */
#define NETSIM_MAX_CORES 12

enum netsim_nic { NETSIM_E1000, NETSIM_RTL8139, NETSIM_RTL8168 };
enum netsim_arrival { NETSIM_FIXED, NETSIM_POISSON, NETSIM_BURSTY, NETSIM_PCAP, NETSIM_CLOSED };
/* What the core runs: user/netfwd.c's loop (net_rx, net_tx), or l2fwd's forwarding step
 * (lib/fastpath/l2fwd/l2fwd_loop.c under lib/fastpath's poll loop, sim/net/netsim_fp.c). */
enum netsim_app { NETSIM_APP_FORWARD, NETSIM_APP_L2FWD };

/* The driver's cost in cycles (hw/NAME/nic.json "driver_costs"). */
struct netsim_cost {
	uint64_t mmio_read, mmio_write; /* per register access */
	uint64_t rx_call, rx_pkt;       /* per net_rx call, per frame it returns */
	uint64_t tx_call, tx_pkt;       /* per net_tx call, per frame it queues */
	uint64_t fwd_pkt;               /* the forwarding loop's own work per frame */
	uint64_t irq;                   /* per interrupt wake-up (interrupt mode) */
	/* app l2fwd (optional in nic.json, 0 when absent): the step's own work per frame
	 * (latency record, rewrite) and per batch (counters); user/l2gen.c's stamp per frame
	 * and, on a machine whose CPUs share one clock (serial), the cycles from its transmit
	 * until the forwarder's CPU runs again (the sleep call, going idle). */
	uint64_t l2fwd_pkt, l2fwd_batch, gen_stamp, gen_gap;
	bool serial; /* QEMU -icount: one vCPU runs at a time on one instruction clock */
};

/* Faults on A's wire and in the forwarder, declared in the workload. */
enum netsim_fault_kind { NSF_LINK, NSF_DROP, NSF_CORRUPT, NSF_STALL };
struct netsim_fault {
	enum netsim_fault_kind kind;
	uint64_t at, len; /* LINK: down at `at` (cycles after the traffic starts) for `len`;
	                   * STALL: the core stops as long */
	uint64_t every;   /* DROP, CORRUPT: every n-th frame offered (1-based) */
};

struct netsim_cfg {
	uint64_t hz, seed, duration; /* duration in cycles of offered traffic */
	enum netsim_nic nic;
	unsigned frame; /* bytes without FCS, 60..1514 */
	double rate;    /* frames per second offered (the mean while on, for bursty) */
	enum netsim_arrival arrival;
	uint64_t on, off; /* bursty: cycles on, cycles off */
	char pcap[256];   /* pcap: the capture replayed (its own times and frames) */
	double link_bps;  /* both wires */
	unsigned ring, batch;
	bool intr, strict;
	bool shared_pool; /* one pool for both NICs (else one each, as user/netfwd.c) */
	enum netsim_app app;
	unsigned frames; /* closed loop: frames in batches of `batch`, one batch in flight */
	uint64_t pace;   /* closed loop: the generator's sleep after each batch (cycles) */
	struct netsim_cost cost;
	/* app l2fwd, open loop: owned cores simulated together, each with its own NIC port
	 * pair and its own generator offering `rate` (docs/sim.md "Several owned cores"). */
	unsigned cores;
	/* "layout": "pipeline" (cores 2): core 0 runs fp_l2fwd_rx_stage, core 1
	 * fp_l2fwd_tx_stage on one port pair, joined by a lib/fastpath SPSC ring of
	 * `stage_ring` slots; each index handoff costs `xfer` cycles (hw/NAME/machine.json
	 * costs.cache_line_transfer) to the core that takes it. */
	bool pipeline;
	unsigned stage_ring;
	uint64_t xfer;
	bool trace; /* keep what netsim_trace writes (arrivals, the core's driver calls) */
	struct netsim_fault fault[NETSIM_MAX_FAULTS];
	unsigned nfaults;
	/* Tests: called after both drivers' init, to break the driver on purpose. */
	void (*tamper)(struct net_dev *a, struct net_dev *b);
};

/* app l2fwd: what the step's own metrics page says (as user/l2fwd.c reports it). */
struct netsim_l2 {
	uint64_t frames, batches, full, full_cycles, drops, batch_min, io_min, stopped;
	struct fp_hist_summary lat;
};

struct netsim_result {
	uint64_t offered, injected, nic_missed, nic_missed_model, link_lost, wire_dropped,
	    corrupted;
	uint64_t received, forwarded, tx_refused, sunk, sunk_bytes, sunk_bad;
	uint64_t cycles, busy, mmio, interrupts, rx_calls, window;
	struct net_stats drv_a, drv_b;
	uint64_t *lat; /* cycles from arrival to the last bit leaving B, one per frame sunk */
	size_t nlat, cap;
	/* With cfg.trace: the cycle each frame of `lat` arrived on A's wire (same index), and
	 * the core's driver calls that took frames (net_rx and the forward or l2fwd step). */
	uint64_t *arrive;
	struct netsim_call {
		uint64_t t, len; /* start, cycles */
		uint32_t frames;
	} * calls;
	size_t ncalls, ccap;
	double host_seconds;
	unsigned diags;
	char first_diag[320];
	bool strict_stop;
	struct netsim_l2 l2;
	/* cfg.cores > 1: each core's own result (this one holds the totals, its `lat` every
	 * core's frames); NULL with one core. */
	struct netsim_result *core;
	unsigned ncores;
	/* cfg.pipeline: frames the receive stage's ring refused; each core's cycles in
	 * iterations that took frames (the receive core's, the transmit core's). */
	uint64_t pipe_ring_drops, pipe_busy[2];
	struct netsim_pct {
		uint64_t p50, p90, p99, p999, max; /* cycles, of `lat` (set with `core`) */
	} pct;
};

/* Runs the workload: 0 (see res), or -1 with a message in err. */
int netsim_run(const struct netsim_cfg *cfg, struct netsim_result *res, char *err, size_t errlen);
void netsim_result_free(struct netsim_result *res);

/* Whether `path` is a network workload (a top-level "net" object); loading it plus the cost
 * table from hw_dir/machine/nic.json.  Errors "FILE:LINE:COL: what"; returns 0 or -1. */
bool netsim_is_workload(const char *path);
int netsim_load(const char *path, const char *hw_dir, const char *machine, uint64_t hz,
                struct netsim_cfg *cfg, char *err, size_t errlen);
int netsim_load_buffer(const char *text, size_t len, const char *name, uint64_t hz,
                       struct netsim_cfg *cfg, char *err, size_t errlen);
int netsim_profile(const char *text, size_t len, const char *name, struct netsim_cfg *cfg,
                   char *err, size_t errlen);

void netsim_print(const struct netsim_cfg *cfg, const struct netsim_result *res, FILE *f,
                  bool host);
/* A run made with cfg.trace as a Chrome trace (sim/net/netsim_trace.c): 0, or -1 on a write
 * error. */
int netsim_trace(const struct netsim_cfg *cfg, const struct netsim_result *res, FILE *f);

#endif
