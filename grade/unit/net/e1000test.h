/* Shared by the e1000 driver's host tests: the 82540EM model (sim/dev/e1000_model.c) behind
 * the fixture's BAR (netfix.h), and helpers to send, inject and check frames. */
#ifndef EXOLAB_E1000TEST_H
#define EXOLAB_E1000TEST_H

#include <criterion/criterion.h>

#include "e1000_model.h"
#include "hal.h"
#include "netfix.h"
#include "simhal.h"

static struct e1000_model e1k;

static const struct simhal_mmio_ops e1k_mmio = {
	.read = e1000_model_mmio_read,
	.write = e1000_model_mmio_write,
};

/* Memory and the model; the driver not yet initialised. */
static inline void
e1k_setup(void)
{
	fix_setup_mem();
	cr_assert_eq(e1000_model_init(&e1k, hal_phys_to_virt(0), simhal_phys_size(), fix_mac), 0);
	cr_assert_eq(simhal_mmio_register(FIX_BAR, E1KM_BAR_BYTES, &e1k_mmio, &e1k), 0);
}

static inline void
e1k_teardown(void)
{
	e1000_model_fini(&e1k);
	simhal_fini();
}

static inline const struct net_driver *
e1k_driver(void)
{
	return net_driver_find(0x8086, 0x100e);
}

/* e1k_setup, a pool of `nbuf` buffers and the driver with `nring` descriptors each way. */
static inline void
e1k_start(unsigned nbuf, unsigned nring)
{
	e1k_setup();
	cr_assert_not_null(e1k_driver());
	cr_assert_eq(net_pool_init(&fix_pool, fix_ops(), nbuf), 0);
	int r = net_dev_init(&fix_dev, e1k_driver(), fix_ops(), &fix_pool, nring, nring);
	cr_assert_eq(r, 0, "init: %d (%s)", r, e1k.last_error);
	cr_assert_eq(e1k.protocol_errors, 0, "%s", e1k.last_error);
}

static inline void
e1k_no_errors(void)
{
	cr_assert_eq(e1k.protocol_errors, 0, "the model: %s", e1k.last_error);
}

/* Sends `n` frames with sequence numbers from `seq`, built in pool buffers: the count taken. */
static inline unsigned
e1k_send(uint32_t seq, unsigned n)
{
	struct net_buf *b[NET_POOL_MAX];

	for (unsigned i = 0; i < n; i++) {
		b[i] = net_buf_alloc(&fix_pool);
		cr_assert_not_null(b[i]);
		b[i]->len = (uint16_t)fix_len(seq + i);
		fix_frame(b[i]->data, b[i]->len, seq + i, NULL);
	}
	unsigned q = net_tx(&fix_dev, b, n);
	for (unsigned i = q; i < n; i++)
		net_buf_free(b[i]);
	return q;
}

/* Asserts wire frame `w` is frame `seq`, byte for byte. */
static inline void
e1k_assert_wire(unsigned w, uint32_t seq)
{
	uint8_t want[NET_ETH_MAX];
	unsigned len = fix_len(seq);

	cr_assert_lt(w, e1k.nwire, "wire %u: only %u frames sent", w, e1k.nwire);
	fix_frame(want, len, seq, NULL);
	cr_assert_eq(e1k.wire[w].len, len, "wire %u: %u bytes, want %u", w, e1k.wire[w].len, len);
	cr_assert_arr_eq(e1k.wire[w].data, want, len, "wire %u differs from frame %u", w, seq);
}

/* Injects frame `seq` (asserting the model stored it). */
static inline void
e1k_inject(uint32_t seq)
{
	uint8_t f[NET_ETH_MAX];
	unsigned len = fix_len(seq);

	fix_frame(f, len, seq, NULL);
	cr_assert(e1000_model_inject(&e1k, f, len, 0), "frame %u not stored (%s)", seq,
	          e1k.last_error);
}

/* Receives up to `max` frames, asserts they are `seq`, `seq`+1, ... exactly, frees them. */
static inline unsigned
e1k_receive(uint32_t seq, unsigned max)
{
	struct net_buf *b[NET_POOL_MAX];
	uint8_t want[NET_ETH_MAX];
	unsigned n = net_rx(&fix_dev, b, max);

	cr_assert_leq(n, max);
	for (unsigned i = 0; i < n; i++) {
		unsigned len = fix_len(seq + i);

		fix_frame(want, len, seq + i, NULL);
		cr_assert_eq(b[i]->len, len, "rx %u: %u bytes, want %u", i, b[i]->len, len);
		cr_assert_arr_eq(b[i]->data, want, len, "rx %u differs from frame %u", i, seq + i);
		net_buf_free(b[i]);
	}
	return n;
}

#endif
