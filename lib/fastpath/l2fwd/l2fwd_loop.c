/* lib/fastpath: l2fwd's forwarding step (fp_l2fwd.h), one source for user/l2fwd.c and exosim.
 * Not in lib/fastpath/ itself: it needs the NIC driver interface (lib/drivers/include), which
 * the library's own host and freestanding builds do not have. */
#include "fp_l2fwd.h"

void
fp_l2fwd_name_metrics(struct fp_metrics *m)
{
	fp_metrics_name_counter(m, FP_L2_FRAMES, "frames");
	fp_metrics_name_counter(m, FP_L2_BATCHES, "batches");
	fp_metrics_name_counter(m, FP_L2_FULL, "full batches");
	fp_metrics_name_counter(m, FP_L2_CYCLES, "full cycles");
	fp_metrics_name_counter(m, FP_L2_DROPS, "tx drops");
	fp_metrics_name_hist(m, FP_L2_H_LAT, "latency");
	fp_metrics_name_hist(m, FP_L2_H_BATCH, "full batch");
}

/* Per frame: the stop frame stops the loop and is dropped (so is a runt); any other frame's
 * latency is kept (not the warm-up's) and its MAC header rewritten.  The latencies go into
 * the histogram once per batch (fp_hist_record_n: the same buckets, one update).  Returns the
 * frames kept.  Always inlined, as forward() below: fp_l2fwd_poll's code stays one function
 * now that the pipeline's transmit stage uses it too. */
static inline __attribute__((always_inline)) unsigned
rewrite_batch(struct fp_l2fwd *f, struct net_buf **bufs, unsigned k, uint64_t now)
{
	uint64_t lat[NET_BATCH];
	unsigned n = 0, nl = 0;

	for (unsigned i = 0; i < k; i++) {
		uint8_t *d = bufs[i]->data;
		uint16_t flags = l2_get16(d + L2_OFF_FLAGS);

		if (bufs[i]->len < L2_FRAME_LEN || (flags & L2_FLAG_STOP)) {
			if (flags & L2_FLAG_STOP)
				fp_poll_stop(f->sh);
			net_buf_free(bufs[i]);
			continue;
		}
		lat[nl] = now - l2_get64(d + L2_OFF_STAMP);
		nl += !(flags & L2_FLAG_WARM);
		/* DPDK l2fwd's rewrite: 02:00:00:00:00:<out port>, then our own address (the
		 * builtin: -ffreestanding would make memcpy a call per frame). */
		__builtin_memcpy(d, f->rewrite, 12);
		bufs[n++] = bufs[i];
	}
	fp_hist_record_n(f->m, FP_L2_H_LAT, lat, nl);
	return n;
}

/* A received batch of k frames (k > 0) after the receive, from the rewrite on: t0 is the
 * clock at the batch's start.  Always inlined: fp_l2fwd_poll's instructions per frame are
 * the benchmark's (docs/l2fwd.md), a call here would add to them. */
static inline __attribute__((always_inline)) uint32_t
forward(struct fp_l2fwd *f, struct net_buf **bufs, unsigned k, uint64_t t0)
{
	uint64_t now = fp_now(&f->clk), t2;
	unsigned n = rewrite_batch(f, bufs, k, now), sent;

	f->tx_n = n;
	t2 = fp_now(&f->clk);
	sent = net_tx(f->out, bufs, n);
	t2 = fp_now(&f->clk) - t2;
	for (unsigned i = sent; i < n; i++)
		net_buf_free(bufs[i]);
	fp_counter_add(f->m, FP_L2_FRAMES, sent);
	fp_counter_add(f->m, FP_L2_DROPS, n - sent);
	fp_counter_add(f->m, FP_L2_BATCHES, 1);
	if (k == NET_BATCH) {
		uint64_t d = fp_now(&f->clk) - t0;

		fp_counter_add(f->m, FP_L2_FULL, 1);
		fp_counter_add(f->m, FP_L2_CYCLES, d);
		fp_hist_record(f->m, FP_L2_H_BATCH, d);
		if (now - t0 + t2 < f->io_min)
			f->io_min = now - t0 + t2;
	}
	return k;
}

uint32_t
fp_l2fwd_poll(void *ctx, uint32_t budget)
{
	struct fp_l2fwd *f = ctx;
	struct net_buf *bufs[NET_BATCH];
	uint64_t t0 = fp_now(&f->clk);
	unsigned k = net_rx(f->in, bufs, budget < NET_BATCH ? budget : NET_BATCH);

	f->rx_n = k;
	if (k == 0)
		return 0;
	return forward(f, bufs, k, t0);
}

uint32_t
fp_l2fwd_rx_stage(void *ctx, uint32_t budget)
{
	struct fp_l2fwd *f = ctx;
	struct net_buf *bufs[NET_BATCH];
	unsigned k = net_rx(f->in, bufs, budget < NET_BATCH ? budget : NET_BATCH), put;

	if (k == 0)
		return 0;
	put = fp_ring_enqueue(f->stage_out, bufs, k);
	for (unsigned i = put; i < k; i++) {
		if (bufs[i]->len >= L2_FRAME_LEN &&
		    (l2_get16(bufs[i]->data + L2_OFF_FLAGS) & L2_FLAG_STOP))
			fp_poll_stop(f->sh);
		net_buf_free(bufs[i]);
	}
	fp_counter_add(f->m, FP_L2_DROPS, k - put);
	return k;
}

uint32_t
fp_l2fwd_tx_stage(void *ctx, uint32_t budget)
{
	struct fp_l2fwd *f = ctx;
	struct net_buf *bufs[NET_BATCH];
	uint64_t t0 = fp_now(&f->clk);
	unsigned k = fp_ring_dequeue(f->stage_in, bufs, budget < NET_BATCH ? budget : NET_BATCH);

	f->rx_n = k;
	if (k == 0)
		return 0;
	return forward(f, bufs, k, t0);
}
