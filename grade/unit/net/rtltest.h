/* Shared by the Realtek driver's tests: each behaviour is one function run on both chips. */
#ifndef EXOLAB_RTLTEST_H
#define EXOLAB_RTLTEST_H

#include <criterion/criterion.h>

#include "netfix.h"

/* Defines rtl8139/<name> and rtl8168/<name>, each calling <name>_on(chip). */
#define BOTH_CHIPS(name)                                                                           \
	static void name##_on(enum rtlm_chip chip);                                                \
	Test(rtl8139, name, .fini = fix_teardown)                                                  \
	{                                                                                          \
		name##_on(RTLM_8139CP);                                                            \
	}                                                                                          \
	Test(rtl8168, name, .fini = fix_teardown)                                                  \
	{                                                                                          \
		name##_on(RTLM_8168);                                                              \
	}

/* Sends `n` frames with sequence numbers from `seq`, built in pool buffers: the count queued. */
static inline unsigned
send_frames(uint32_t seq, unsigned n)
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
assert_wire(unsigned w, uint32_t seq)
{
	uint8_t want[NET_ETH_MAX];
	unsigned len = fix_len(seq);

	cr_assert_lt(w, fix_rtl.nwire);
	fix_frame(want, len, seq, NULL);
	cr_assert_eq(fix_rtl.wire[w].len, len, "wire %u: %u bytes, want %u", w, fix_rtl.wire[w].len,
	             len);
	cr_assert_arr_eq(fix_rtl.wire[w].data, want, len, "wire %u differs from frame %u", w, seq);
}

/* Injects frame `seq` (asserting the model took it). */
static inline void
inject(uint32_t seq)
{
	uint8_t f[NET_ETH_MAX];
	unsigned len = fix_len(seq);

	fix_frame(f, len, seq, NULL);
	cr_assert(rtl_model_inject(&fix_rtl, f, len, RTLM_RX_OK), "frame %u not taken", seq);
}

/* Receives up to `max` frames, asserts they are `seq`, `seq`+1, ... exactly, frees them. */
static inline unsigned
receive_check(uint32_t seq, unsigned max)
{
	struct net_buf *b[NET_POOL_MAX];
	uint8_t want[NET_ETH_MAX];
	unsigned n = net_rx(&fix_dev, b, max);

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
