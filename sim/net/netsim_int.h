/* Internals of exosim's network run (netsim.c the forwarding loop, netsim_host.c the machine:
 * the NICs, their ops tables, the traffic generator and the sink). */
#ifndef EXOSIM_NETSIM_INT_H
#define EXOSIM_NETSIM_INT_H

#include <setjmp.h>

#include "e1000_model.h"
#include "fp_l2fwd.h"
#include "netsim.h"
#include "rng/rng.h"
#include "rtl_model.h"

/* Simulated physical memory and the two BARs of each NIC port pair (core i's pair at
 * NS_BAR_A + i * NS_BAR_STEP, its DMA in the i-th NS_MEM_BYTES of memory). */
#define NS_MEM_BYTES (32u << 20)
#define NS_BAR_A     0xfeb00000u
#define NS_BAR_B     0xfeb40000u
#define NS_BAR_STEP  0x80000u

struct ns;

/* A capture to replay (netsim_pcap.c): each frame's time from the first, in cycles. */
struct ns_pkt {
	uint64_t t;
	uint16_t len;
	uint8_t data[NET_ETH_MAX];
};
struct ns_pcap {
	struct ns_pkt *pkt;
	size_t n, cap;
};
/* Through libpcap when exosim was built with it (pcap and pcapng), else the built-in reader
 * of the classic format; ns_pcap_reader() says which ("libpcap" or "built-in"). */
int ns_pcap_load(const char *path, uint64_t hz, struct ns_pcap *pc, char *err, size_t errlen);
/* The built-in reader of the classic pcap format, in every build. */
int ns_pcap_load_classic(const char *path, uint64_t hz, struct ns_pcap *pc, char *err,
                         size_t errlen);
const char *ns_pcap_reader(void);
void ns_pcap_free(struct ns_pcap *pc);

struct nsnic {
	struct ns *s;
	enum netsim_nic kind;
	uintptr_t bar;
	uint8_t mac[6]; /* the model's address */
	uint64_t *clk;  /* the clock of the core that drives it (struct ns cyc or cyc1) */
	struct e1000_model e;
	struct rtl_model r;
	struct net_ops ops;
	struct net_dev dev;
	struct net_pool pool;
	bool up;
};

struct ns {
	const struct netsim_cfg *cfg;
	unsigned lane;  /* the owned core (and its NIC port pair), 0 .. cfg->cores - 1 */
	struct ns *top; /* core 0's: the --strict stop jumps there */
	struct netsim_result *res;
	uint64_t cyc, start, end, dma_next;
	uint64_t cyc1; /* the pipeline's transmit core's clock (cyc the receive core's) */
	struct nsnic nic[2];
	/* The generator: the next arrival (cycles), frames offered so far. */
	double next;
	struct rng rng;
	uint8_t frame[NET_ETH_MAX];
	uint8_t pframe[NET_ETH_MAX]; /* a replayed frame, rewritten */
	uint64_t wire_free;          /* B's wire: the cycle its last frame's last bit leaves */
	struct ns_pcap pcap;         /* arrival "pcap": the frames, next one pcap_next */
	size_t pcap_next;
	uint8_t out_hdr[14]; /* the header a forwarded frame must have at the sink */
	unsigned stamp_off;  /* where the generator's stamp is in a frame */
	bool fired[NETSIM_MAX_FAULTS];
	bool oom;
	jmp_buf jmp;
	bool jmp_armed;
};

/* Core 0's also sets up sim/hal's memory for every core (ns_host_fini of core 0 last). */
int ns_host_init(struct ns *s, char *err, size_t errlen);
void ns_host_fini(struct ns *s);
/* Puts every frame due up to cycle `t` (and before the window's end) on A's wire. */
void ns_inject_until(struct ns *s, uint64_t t);
bool ns_gen_done(const struct ns *s);
/* App l2fwd: the destination the step writes; one user/l2gen.c frame onto A's wire now (the
 * caller sets s->cyc); false when NIC A had no room. */
extern const uint8_t ns_l2_dst[6];
bool ns_inject_l2(struct ns *s, uint32_t seq, uint16_t flags, uint64_t stamp);
/* App l2fwd's run (netsim_fp.c): 0, or -1 with a message. */
int ns_fp_loop(struct ns *s, char *err, size_t errlen);
/* The same open-loop run one poll iteration at a time, for several cores on one clock
 * (netsim_cores.c): start (NULL when out of memory), step (1 more to do, 0 done, -1 out of
 * memory), end (the step's metrics into s->res when `ok`, then freed). */
struct fpsim;
struct fpsim *ns_fp_start(struct ns *s);
/* The pipeline's stages (netsim_pipe.c): NS_FP_RX runs fp_l2fwd_rx_stage on core 0's clock
 * (s->cyc), producer on `ring`; NS_FP_TX fp_l2fwd_tx_stage on core 1's (s->cyc1), consumer;
 * ns_fp_poll one poll iteration of either (the frames it took; the receive stage charged its
 * net_rx), ns_fp_busy its cycles in iterations that took frames.  ns_fp_end of the receive
 * stage puts its ring drops in s->res->pipe_ring_drops; of the others, the step's metrics. */
enum ns_fp_role { NS_FP_WHOLE, NS_FP_RX, NS_FP_TX };
struct fpsim *ns_fp_start_role(struct ns *s, enum ns_fp_role role, struct fp_ring *ring);
int ns_fp_poll(struct fpsim *p);
uint64_t ns_fp_busy(const struct fpsim *p);
/* The pipeline's run (cfg->pipeline): 0, or -1 with a message. */
int ns_pipe_loop(struct ns *s, char *err, size_t errlen);
int ns_fp_step(struct fpsim *p);
void ns_fp_end(struct fpsim *p, bool ok);
/* netsim.c's per-core parts: the drivers' init on a port pair, and their fini. */
int ns_setup(struct ns *s, char *err, size_t errlen);
void ns_finish(struct ns *s);
/* Why cfg's several cores cannot run (NULL: they can). */
const char *ns_cores_refuse(const struct netsim_cfg *cfg);
/* cfg->cores > 1 (netsim_cores.c): every core on one clock, the totals into res. */
int ns_cores_run(const struct netsim_cfg *cfg, struct netsim_result *res, char *err, size_t errlen);
void ns_cores_print(const struct netsim_cfg *cfg, const struct netsim_result *res, FILE *f,
                    bool host);
/* The latency line "  LABEL us: p50 .. max .." of n values (cycles), sorted on a copy; the
 * percentiles of n values sorted in place; their line. */
void ns_print_lat(FILE *f, const char *label, const uint64_t *lat, size_t n, double us);
void ns_lat_pct(uint64_t *lat, size_t n, struct netsim_pct *out);
void ns_print_pct(FILE *f, const char *label, const struct netsim_pct *p, double us);
/* With cfg.trace: a driver call from cycle t0 to now that took k frames (none kept for 0). */
void ns_trace_call(struct ns *s, uint64_t t0, unsigned k);

#endif
