/* The Realtek C+ driver's bring-up, link, interrupts and shutdown, on the RTL8139C+ and
 * RTL8168 models (sim/dev/rtl_model.c). */
#include <string.h>

#include "abi/error.h"
#include "rtltest.h"

Test(rtl_table, the_driver_table_matches_both_chips_with_their_mmio_bars)
{
	const struct net_driver *a = net_driver_find(0x10ec, 0x8139);
	const struct net_driver *b = net_driver_find(0x10ec, 0x8168);

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_assert_str_eq(a->name, "rtl8139");
	cr_assert_eq(a->bar, 1);
	cr_assert_str_eq(b->name, "rtl8168");
	cr_assert_eq(b->bar, 2);
	cr_assert_null(net_driver_find(0x10ec, 0x8169));
}

BOTH_CHIPS(init_resets_reads_the_mac_and_enables_rx_and_tx)
static void
init_resets_reads_the_mac_and_enables_rx_and_tx_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	cr_assert_arr_eq(fix_dev.mac, fix_mac, 6);
	cr_assert_eq(fix_rtl.resets, 1);
	cr_assert_eq(fix_rtl.chipcmd, 0x0c, "ChipCmd RE|TE");
	cr_assert_neq(fix_rtl.rx_base[0], 0);
	cr_assert_neq(fix_rtl.tx_base[0], 0);
	cr_assert_eq(fix_rtl.rcr & 0x0f, 0x0e, "broadcast, multicast and our address only");
	cr_assert_eq(fix_rtl.imr, 0, "polling until irq_enable");
	if (chip == RTLM_8139CP)
		cr_assert_eq(fix_rtl.cpcr & 3, 3, "C+ RX and TX enabled");
	else
		cr_assert_eq(fix_rtl.rms, NET_BUF_SIZE);
	cr_assert_eq(fix_rtl.misc, 0, "8168: the RXDV gate open");
	/* Every RX buffer is lent to the NIC; none of the TX ring is. */
	cr_assert_eq(fix_pool.nfree, 64 - 16);
}

BOTH_CHIPS(init_times_out_when_the_reset_never_completes)
static void
init_times_out_when_the_reset_never_completes_on(enum rtlm_chip chip)
{
	fix_setup_rtl(chip);
	fix_rtl.reset_delay = ~0u;
	cr_assert_eq(net_pool_init(&fix_pool, fix_ops(), 32), 0);
	cr_assert_eq(net_dev_init(&fix_dev, fix_driver(chip), fix_ops(), &fix_pool, 8, 8), E_AGAIN);
	cr_assert_eq(fix_pool.nfree, 32, "no buffer lost");
}

BOTH_CHIPS(ring_sizes_are_clamped_to_what_the_chip_and_driver_allow)
static void
ring_sizes_are_clamped_to_what_the_chip_and_driver_allow_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 1024, 5000);
	unsigned want = chip == RTLM_8139CP ? 64 : 256;
	cr_assert_eq(fix_pool.nfree, 1024 - want);
	/* The last RX descriptor carries EOR, and the model wraps there. */
	uint8_t f[64];
	for (unsigned i = 0; i < want; i++)
		inject(i);
	fix_frame(f, 64, 1, NULL);
	for (unsigned i = 0; i < 3; i++)
		cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	cr_assert_eq(fix_rtl.rx_missed, 3);
	cr_assert_eq(receive_check(0, NET_POOL_MAX), want);
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(link_up_follows_the_phy)
static void
link_up_follows_the_phy_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 32, 8);
	cr_assert(fix_dev.drv->link_up(&fix_dev));
	fix_rtl.link = false;
	cr_assert_not(fix_dev.drv->link_up(&fix_dev));
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(irq_enable_unmasks_and_ack_clears_exactly_the_causes_seen)
static void
irq_enable_unmasks_and_ack_clears_exactly_the_causes_seen_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 32, 8);
	inject(1);
	cr_assert_not(rtl_model_irq(&fix_rtl), "masked while polling");
	fix_dev.drv->irq_enable(&fix_dev, true);
	cr_assert(rtl_model_irq(&fix_rtl));
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev), 0x0001, "RxOK");
	cr_assert_not(rtl_model_irq(&fix_rtl));
	cr_assert_eq(send_frames(7, 1), 1);
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev), 0x0004, "TxOK");
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev), 0, "nothing left");
	fix_dev.drv->irq_enable(&fix_dev, false);
	inject(2);
	cr_assert_not(rtl_model_irq(&fix_rtl));
	cr_assert_eq(fix_rtl.protocol_errors, 0, "%s", fix_rtl.last_error);
}

BOTH_CHIPS(fini_stops_the_nic_and_returns_every_buffer)
static void
fini_stops_the_nic_and_returns_every_buffer_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	fix_rtl.tx_paused = true;
	cr_assert_eq(send_frames(0, 5), 5);
	inject(9);
	fix_dev.drv->fini(&fix_dev);
	cr_assert_eq(fix_pool.nfree, 64);
	cr_assert_eq(fix_rtl.chipcmd & 0x0c, 0, "RX and TX off");
	cr_assert_eq(fix_rtl.rx_base[0], 0, "the NIC forgot its rings");
	uint8_t f[64];
	fix_frame(f, 64, 10, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK), "no DMA after fini");
}
