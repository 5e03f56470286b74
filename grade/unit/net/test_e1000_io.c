/* The e1000 driver's batch transmit and receive (lab 5's exercises) on the 82540EM model:
 * exact bytes in order, one tail write per batch, ring wrap, full rings, frames with errors
 * dropped and counted, interrupt causes, every buffer accounted for.  The model counts any
 * breach of the descriptor ownership rules as a protocol error, which every test checks. */
#include <string.h>

#include "e1000test.h"

#define ICR_TXDW 0x01u
#define ICR_RXT0 0x80u
#define RCTL_SBP 0x04u

Test(e1000, tx_batch_of_32_reaches_the_wire_in_order_with_one_tdt_write, .fini = e1k_teardown)
{
	e1k_start(128, 64);
	unsigned before = fix_pool.nfree;
	uint64_t tdt0 = e1k.tdt_writes, bytes = 0;

	cr_assert_eq(e1k_send(100, NET_BATCH), NET_BATCH);
	cr_assert_eq(e1k.tdt_writes - tdt0, 1, "one TDT write per batch");
	cr_assert_eq(e1k.nwire, NET_BATCH);
	for (unsigned i = 0; i < NET_BATCH; i++) {
		e1k_assert_wire(i, 100 + i);
		bytes += fix_len(100 + i);
	}
	/* The next call reclaims the sent buffers (DD written back) into the pool. */
	cr_assert_eq(e1k_send(200, 0), 0);
	cr_assert_eq(e1k.tdt_writes - tdt0, 1, "no TDT write for nothing");
	cr_assert_eq(fix_pool.nfree, before, "every sent buffer back in the pool");
	cr_assert_eq(fix_dev.stats.tx_packets, NET_BATCH);
	cr_assert_eq(fix_dev.stats.tx_bytes, bytes);
	e1k_no_errors();
}

Test(e1000, short_frames_leave_padded_to_60_bytes_with_zeros, .fini = e1k_teardown)
{
	e1k_start(32, 8);
	struct net_buf *b = net_buf_alloc(&fix_pool);
	memset(b->data, 0xee, NET_BUF_SIZE);
	fix_frame(b->data, 42, 5, NULL);
	b->len = 42;
	cr_assert_eq(net_tx(&fix_dev, &b, 1), 1);
	cr_assert_eq(e1k.nwire, 1);
	cr_assert_eq(e1k.wire[0].len, NET_ETH_MIN, "TCTL.PSP pads, the buffer's bytes do not go");
	for (unsigned i = 42; i < NET_ETH_MIN; i++)
		cr_assert_eq(e1k.wire[0].data[i], 0, "byte %u", i);
	e1k_no_errors();
}

Test(e1000, tx_takes_a_frame_of_a_bad_length_counts_it_and_never_sends_it, .fini = e1k_teardown)
{
	e1k_start(32, 8);
	struct net_buf *b[3] = { net_buf_alloc(&fix_pool), net_buf_alloc(&fix_pool),
		                 net_buf_alloc(&fix_pool) };
	unsigned before = fix_pool.nfree;
	b[0]->len = NET_ETH_MAX + 1;
	b[1]->len = 13;
	b[2]->len = (uint16_t)fix_len(7);
	fix_frame(b[2]->data, b[2]->len, 7, NULL);
	cr_assert_eq(net_tx(&fix_dev, b, 3), 3, "all three taken");
	cr_assert_eq(fix_dev.stats.tx_errors, 2);
	cr_assert_eq(e1k.nwire, 1);
	e1k_assert_wire(0, 7);
	cr_assert_eq(fix_pool.nfree, before + 2, "the refused ones freed at once");
	e1k_no_errors();
}

Test(e1000, rx_delivers_injected_frames_in_order_with_one_rdt_write_per_call, .fini = e1k_teardown)
{
	e1k_start(128, 64);
	uint64_t rdt0 = e1k.rdt_writes;

	for (unsigned i = 0; i < NET_BATCH; i++)
		e1k_inject(500 + i);
	cr_assert_eq(e1k_receive(500, 10), 10, "at most max");
	cr_assert_eq(e1k.rdt_writes - rdt0, 1, "one RDT write per call");
	cr_assert_eq(e1000_model_rx_owned(&e1k), 63 - NET_BATCH + 10, "the 10 handed back");
	cr_assert_eq(e1k_receive(510, 64), NET_BATCH - 10);
	cr_assert_eq(e1k_receive(0, 64), 0);
	cr_assert_eq(e1k.rdt_writes - rdt0, 2, "no RDT write when nothing was taken");
	cr_assert_eq(e1000_model_rx_owned(&e1k), 63, "the whole ring the NIC's again");
	cr_assert_eq(fix_dev.stats.rx_packets, NET_BATCH);
	cr_assert_eq(fix_dev.stats.rx_dropped, 0);
	cr_assert_eq(fix_pool.nfree, 128 - 64, "every buffer back but the ring's");
	e1k_no_errors();
}

Test(e1000, rings_wrap_over_hundreds_of_packets_without_losing_one, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	uint32_t rx = 0, tx = 0;

	for (unsigned round = 0; round < 70; round++) {
		unsigned k = 1 + round % 11; /* batches that do not divide the ring */
		for (unsigned i = 0; i < k; i++)
			e1k_inject(rx + i);
		cr_assert_eq(e1k_receive(rx, NET_BATCH), k);
		rx += k;
		cr_assert_eq(e1k_send(10000 + tx, k), k);
		tx += k;
	}
	cr_assert_gt(rx, 300);
	cr_assert_eq(e1k.nwire, tx);
	for (unsigned i = 0; i < tx; i++)
		e1k_assert_wire(i, 10000 + i);
	cr_assert_eq(e1k.rx_missed, 0);
	cr_assert_eq(fix_dev.stats.rx_packets, rx);
	e1k_no_errors();
}

Test(e1000, a_full_rx_ring_misses_frames_and_rx_takes_the_ring_in_order, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	uint8_t f[NET_ETH_MAX];

	for (unsigned i = 0; i < 15; i++) /* one descriptor stays empty */
		e1k_inject(i);
	fix_frame(f, 100, 99, NULL);
	cr_assert_not(e1000_model_inject(&e1k, f, 100, 0));
	cr_assert_eq(e1k.rx_missed, 1);
	cr_assert_eq(e1k_receive(0, 64), 15);
	e1k_inject(15); /* the ring was handed back */
	cr_assert_eq(e1k_receive(15, 64), 1);
	e1k_no_errors();
}

Test(e1000, rx_without_a_pool_buffer_drops_the_frame_and_keeps_the_ring_full, .fini = e1k_teardown)
{
	e1k_start(20, 16);
	struct net_buf *held[4];
	for (unsigned i = 0; i < 4; i++)
		held[i] = net_buf_alloc(&fix_pool);
	cr_assert_eq(fix_pool.nfree, 0);
	for (unsigned i = 0; i < 3; i++)
		e1k_inject(i);
	cr_assert_eq(e1k_receive(0, 64), 0);
	cr_assert_eq(fix_dev.stats.rx_dropped, 3);
	cr_assert_eq(fix_dev.stats.rx_errors, 0);
	net_buf_free(held[0]);
	e1k_inject(3);
	cr_assert_eq(e1k_receive(3, 64), 1);
	for (unsigned i = 1; i < 4; i++)
		net_buf_free(held[i]);
	/* Every descriptor still holds a buffer: 15 more frames fit. */
	for (unsigned i = 0; i < 15; i++)
		e1k_inject(100 + i);
	cr_assert_eq(e1k.rx_missed, 0);
	e1k_no_errors();
}

Test(e1000, a_full_tx_ring_queues_what_fits_and_the_rest_after_the_nic_is_done,
     .fini = e1k_teardown)
{
	e1k_start(128, 16);
	e1k.tx_paused = true;
	cr_assert_eq(e1k_send(0, 20), 15, "a ring of 16 holds 15: TDH == TDT means empty");
	cr_assert_eq(e1000_model_tx_owned(&e1k), 15);
	cr_assert_eq(e1k_send(15, 5), 0, "still full: the NIC has sent nothing");
	cr_assert_eq(e1k.nwire, 0);
	e1000_model_run(&e1k);
	cr_assert_eq(e1k.nwire, 15);
	cr_assert_eq(e1k_send(15, 5), 5);
	e1000_model_run(&e1k);
	cr_assert_eq(e1k.nwire, 20);
	for (unsigned i = 0; i < 20; i++)
		e1k_assert_wire(i, i);
	cr_assert_eq(e1k_send(0, 0), 0);
	cr_assert_eq(fix_dev.stats.tx_packets, 20);
	e1k_no_errors();
}

/* The driver never sets RCTL.SBP, so the NIC itself drops frames with errors (counted in
 * CRCERRS); with SBP set (as another driver might leave it) they reach the ring and the
 * driver must drop and count them.  A frame of 1515-1518 bytes passes the NIC's 1522-byte
 * limit with its FCS stripped, and is longer than NET_ETH_MAX: dropped and counted. */
Test(e1000, error_frames_are_dropped_and_counted_and_the_rest_delivered, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	uint8_t f[NET_ETH_MAX + 4];
	struct net_buf *b[8];

	fix_frame(f, 200, 1, NULL);
	cr_assert_not(e1000_model_inject(&e1k, f, 200, E1KM_RXE_CE));
	cr_assert_eq(e1k.crc_errors, 1, "dropped by the NIC without SBP");
	e1k.rctl |= RCTL_SBP;
	e1k_inject(0);
	cr_assert(e1000_model_inject(&e1k, f, 200, E1KM_RXE_CE));
	cr_assert(e1000_model_inject(&e1k, f, 200, E1KM_RXE_RXE));
	fix_frame(f, NET_ETH_MAX + 4, 2, NULL);
	cr_assert(e1000_model_inject(&e1k, f, NET_ETH_MAX + 4, 0));
	e1k_inject(3);
	cr_assert_eq(net_rx(&fix_dev, b, 8), 2);
	cr_assert_eq(b[0]->len, fix_len(0));
	cr_assert_eq(b[1]->len, fix_len(3));
	cr_assert_eq(memcmp(b[1]->data + 14, &(uint32_t){ 3 }, 4), 0, "frame 3 after the drops");
	net_buf_free(b[0]);
	net_buf_free(b[1]);
	cr_assert_eq(fix_dev.stats.rx_errors, 2);
	cr_assert_eq(fix_dev.stats.rx_dropped, 1);
	cr_assert_eq(fix_dev.stats.rx_packets, 2);
	/* Dropped frames' buffers went straight back to the NIC: the ring is whole. */
	for (unsigned i = 0; i < 15; i++)
		e1k_inject(10 + i);
	cr_assert_eq(e1k_receive(10, 64), 15);
	e1k_no_errors();
}

Test(e1000, transmit_and_receive_raise_txdw_and_rxt0, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	fix_dev.drv->irq_enable(&fix_dev, true);
	(void)fix_dev.drv->irq_ack(&fix_dev);
	cr_assert_eq(e1k_send(0, 3), 3);
	cr_assert(e1000_model_irq(&e1k));
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev) & (ICR_TXDW | ICR_RXT0), ICR_TXDW,
	             "a descriptor with RS written back");
	e1k_inject(1);
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev) & (ICR_TXDW | ICR_RXT0), ICR_RXT0);
	cr_assert_not(e1000_model_irq(&e1k));
	cr_assert_eq(e1k_receive(1, 8), 1);
	e1k_no_errors();
}

Test(e1000, fini_after_traffic_gives_every_buffer_back, .fini = e1k_teardown)
{
	e1k_start(96, 32);
	e1k.tx_paused = true;
	cr_assert_eq(e1k_send(0, 10), 10);
	for (unsigned i = 0; i < 5; i++)
		e1k_inject(i);
	struct net_buf *b[4];
	cr_assert_eq(net_rx(&fix_dev, b, 4), 4);
	for (unsigned i = 0; i < 4; i++)
		net_buf_free(b[i]);
	fix_dev.drv->fini(&fix_dev);
	cr_assert_eq(fix_pool.nfree, 96, "ring buffers, queued frames and all");
	cr_assert_eq(e1k.rctl & 2, 0, "receiver off");
	cr_assert_eq(e1k.tctl & 2, 0, "transmitter off");
	e1k_no_errors();
}
