/* The Realtek C+ driver's batch receive and transmit on the RTL8139C+ and RTL8168 models:
 * order, exact bytes, ring wrap, full rings, and frames with errors dropped and counted. */
#include <string.h>

#include "rtltest.h"

BOTH_CHIPS(tx_batch_of_32_reaches_the_wire_in_order_with_one_doorbell)
static void
tx_batch_of_32_reaches_the_wire_in_order_with_one_doorbell_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 128, 64);
	unsigned before = fix_pool.nfree;
	cr_assert_eq(send_frames(100, NET_BATCH), NET_BATCH);
	cr_assert_eq(fix_rtl.txpolls, 1, "one TxPoll write per batch");
	cr_assert_eq(fix_rtl.nwire, NET_BATCH);
	for (unsigned i = 0; i < NET_BATCH; i++)
		assert_wire(i, 100 + i);
	/* The next call reclaims the sent buffers (OWN clear) into the pool. */
	cr_assert_eq(send_frames(200, 0), 0);
	cr_assert_eq(fix_pool.nfree, before);
	cr_assert_eq(fix_dev.stats.tx_packets, NET_BATCH);
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(short_frames_are_padded_to_60_bytes_with_zeros)
static void
short_frames_are_padded_to_60_bytes_with_zeros_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 32, 8);
	struct net_buf *b = net_buf_alloc(&fix_pool);
	memset(b->data, 0xee, NET_BUF_SIZE);
	fix_frame(b->data, 42, 5, NULL);
	b->len = 42;
	cr_assert_eq(net_tx(&fix_dev, &b, 1), 1);
	cr_assert_eq(fix_rtl.nwire, 1);
	cr_assert_eq(fix_rtl.wire[0].len, NET_ETH_MIN);
	for (unsigned i = 42; i < NET_ETH_MIN; i++)
		cr_assert_eq(fix_rtl.wire[0].data[i], 0, "byte %u", i);
}

BOTH_CHIPS(tx_refuses_an_oversized_frame_and_counts_it)
static void
tx_refuses_an_oversized_frame_and_counts_it_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 32, 8);
	struct net_buf *b[2] = { net_buf_alloc(&fix_pool), net_buf_alloc(&fix_pool) };
	b[0]->len = NET_ETH_MAX + 1;
	b[1]->len = 100;
	cr_assert_eq(net_tx(&fix_dev, b, 2), 0, "the caller keeps both");
	cr_assert_eq(fix_dev.stats.tx_errors, 1);
	cr_assert_eq(fix_rtl.nwire, 0);
	cr_assert_eq(fix_rtl.txpolls, 0, "no doorbell for nothing");
}

BOTH_CHIPS(rx_delivers_injected_frames_in_order_with_exact_bytes)
static void
rx_delivers_injected_frames_in_order_with_exact_bytes_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 128, 64);
	for (unsigned i = 0; i < NET_BATCH; i++)
		inject(500 + i);
	cr_assert_eq(receive_check(500, 10), 10, "at most max");
	cr_assert_eq(receive_check(510, 64), NET_BATCH - 10);
	cr_assert_eq(receive_check(0, 64), 0);
	cr_assert_eq(fix_dev.stats.rx_packets, NET_BATCH);
	cr_assert_eq(fix_dev.stats.rx_dropped, 0);
	cr_assert_eq(fix_pool.nfree, 128 - 64, "every buffer back but the ring's");
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(rings_wrap_over_hundreds_of_packets_without_losing_one)
static void
rings_wrap_over_hundreds_of_packets_without_losing_one_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	uint32_t rx = 0, tx = 0;

	for (unsigned round = 0; round < 70; round++) {
		unsigned k = 1 + round % 11; /* batches that do not divide the ring */
		for (unsigned i = 0; i < k; i++)
			inject(rx + i);
		cr_assert_eq(receive_check(rx, NET_BATCH), k);
		rx += k;
		cr_assert_eq(send_frames(10000 + tx, k), k);
		tx += k;
	}
	cr_assert_gt(rx, 300);
	cr_assert_eq(fix_rtl.nwire, tx);
	for (unsigned i = 0; i < tx; i++)
		assert_wire(i, 10000 + i);
	cr_assert_eq(fix_rtl.rx_missed, 0);
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(a_full_rx_ring_misses_frames_and_rx_takes_the_ring_in_order)
static void
a_full_rx_ring_misses_frames_and_rx_takes_the_ring_in_order_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	uint8_t f[NET_ETH_MAX];
	for (unsigned i = 0; i < 16; i++)
		inject(i);
	fix_frame(f, 100, 99, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 100, RTLM_RX_OK));
	cr_assert_eq(fix_rtl.rx_missed, 1);
	cr_assert_eq(receive_check(0, 64), 16);
	inject(16); /* the ring was handed back */
	cr_assert_eq(receive_check(16, 64), 1);
}

BOTH_CHIPS(rx_without_a_pool_buffer_drops_the_frame_and_keeps_the_ring_full)
static void
rx_without_a_pool_buffer_drops_the_frame_and_keeps_the_ring_full_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 20, 16);
	struct net_buf *held[4];
	for (unsigned i = 0; i < 4; i++)
		held[i] = net_buf_alloc(&fix_pool);
	cr_assert_eq(fix_pool.nfree, 0);
	for (unsigned i = 0; i < 3; i++)
		inject(i);
	cr_assert_eq(receive_check(0, 64), 0);
	cr_assert_eq(fix_dev.stats.rx_dropped, 3);
	cr_assert_eq(fix_dev.stats.rx_errors, 0);
	net_buf_free(held[0]);
	inject(3);
	cr_assert_eq(receive_check(3, 64), 1);
	for (unsigned i = 1; i < 4; i++)
		net_buf_free(held[i]);
	/* Every descriptor still holds a buffer: 16 more frames fit. */
	for (unsigned i = 0; i < 16; i++)
		inject(100 + i);
	cr_assert_eq(fix_rtl.rx_missed, 0);
}

BOTH_CHIPS(a_full_tx_ring_queues_what_fits_and_the_rest_after_the_nic_is_done)
static void
a_full_tx_ring_queues_what_fits_and_the_rest_after_the_nic_is_done_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 128, 16);
	fix_rtl.tx_paused = true;
	cr_assert_eq(send_frames(0, 20), 16, "partial count");
	cr_assert_eq(send_frames(16, 4), 0, "still full: the NIC has sent nothing");
	cr_assert_eq(fix_rtl.nwire, 0);
	rtl_model_run(&fix_rtl);
	cr_assert_eq(fix_rtl.nwire, 16);
	cr_assert_eq(send_frames(16, 4), 4);
	rtl_model_run(&fix_rtl);
	cr_assert_eq(fix_rtl.nwire, 20);
	for (unsigned i = 0; i < 20; i++)
		assert_wire(i, i);
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(error_frames_are_dropped_and_counted_and_the_rest_delivered)
static void
error_frames_are_dropped_and_counted_and_the_rest_delivered_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	uint8_t f[1600];
	struct net_buf *b[8];

	inject(0);
	fix_frame(f, 200, 1, NULL);
	cr_assert(rtl_model_inject(&fix_rtl, f, 200, RTLM_RX_CRC));
	cr_assert(rtl_model_inject(&fix_rtl, f, 200, RTLM_RX_RUNT));
	fix_frame(f, 1600, 2, NULL); /* fits the 2 KiB buffer, longer than Ethernet allows */
	cr_assert(rtl_model_inject(&fix_rtl, f, 1600, RTLM_RX_OK));
	inject(3);
	cr_assert_eq(net_rx(&fix_dev, b, 8), 2);
	cr_assert_eq(b[0]->len, fix_len(0));
	cr_assert_eq(b[1]->len, fix_len(3));
	cr_assert_eq(memcmp(b[1]->data + 14, &(uint32_t){ 3 }, 4), 0, "frame 3 after the drops");
	net_buf_free(b[0]);
	net_buf_free(b[1]);
	cr_assert_eq(fix_dev.stats.rx_errors, 3);
	cr_assert_eq(fix_dev.stats.rx_dropped, 3);
	cr_assert_eq(fix_dev.stats.rx_packets, 2);
	/* Dropped frames' buffers went straight back to the NIC: the ring is whole. */
	for (unsigned i = 0; i < 16; i++)
		inject(10 + i);
	cr_assert_eq(receive_check(10, 64), 16);
}
