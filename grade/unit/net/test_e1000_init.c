/* The e1000 driver's bring-up, link, interrupts and shutdown on the 82540EM model
 * (sim/dev/e1000_model.c): the parts lab 5 gives the student, which must keep working. */
#include "abi/error.h"
#include "e1000test.h"

Test(e1000_table, the_driver_table_matches_the_82540em_on_bar_0)
{
	const struct net_driver *d = e1k_driver();

	cr_assert_not_null(d);
	cr_assert_str_eq(d->name, "e1000");
	cr_assert_eq(d->bar, 0);
}

Test(e1000, init_resets_reads_the_mac_and_enables_rx_and_tx, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	cr_assert_arr_eq(fix_dev.mac, fix_mac, 6);
	cr_assert_eq(e1k.resets, 1);
	cr_assert_eq(e1k.rctl & 0x0400803eu, 0x04008002u,
	             "RCTL: EN, BAM, SECRC; no SBP/UPE/MPE/LPE");
	cr_assert_eq(e1k.tctl & 0x0au, 0x0au, "TCTL: EN, PSP");
	cr_assert_eq(e1k.rdlen, 16 * 16);
	cr_assert_eq(e1k.tdlen, 16 * 16);
	cr_assert_eq(e1000_model_rx_owned(&e1k), 15, "every RX descriptor but one lent to the NIC");
	cr_assert_eq(e1000_model_tx_owned(&e1k), 0);
	cr_assert_eq(e1k.ims, 0, "polling until irq_enable");
	cr_assert_eq(fix_pool.nfree, 64 - 16, "one buffer per RX descriptor");
	e1k_no_errors();
}

Test(e1000, init_reads_the_mac_from_the_eeprom_when_ral0_is_not_valid, .fini = e1k_teardown)
{
	static const uint8_t other[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

	e1k_setup();
	e1k.autoload = false;
	for (unsigned i = 0; i < 3; i++)
		e1k.eeprom[i] = (uint16_t)(other[2 * i] | other[2 * i + 1] << 8);
	cr_assert_eq(net_pool_init(&fix_pool, fix_ops(), 32), 0);
	cr_assert_eq(net_dev_init(&fix_dev, e1k_driver(), fix_ops(), &fix_pool, 8, 8), 0);
	cr_assert_arr_eq(fix_dev.mac, other, 6);
	cr_assert_eq(e1k.rah >> 31, 1, "RAH0.AV set so that the filter takes our frames");
	e1k_no_errors();
}

Test(e1000, init_times_out_when_the_reset_never_completes, .fini = e1k_teardown)
{
	e1k_setup();
	e1k.reset_delay = ~0u;
	cr_assert_eq(net_pool_init(&fix_pool, fix_ops(), 32), 0);
	cr_assert_eq(net_dev_init(&fix_dev, e1k_driver(), fix_ops(), &fix_pool, 8, 8), E_BUSY);
	cr_assert_eq(fix_pool.nfree, 32, "no buffer lost");
}

Test(e1000, ring_sizes_are_multiples_of_8_within_the_drivers_maximum, .fini = e1k_teardown)
{
	e1k_start(1024, 5);
	cr_assert_eq(e1k.rdlen / 16, 8);
	cr_assert_eq(e1k.tdlen / 16, 8);
	e1k_teardown();
	e1k_start(1024, 5000);
	cr_assert_eq(e1k.rdlen / 16, 256);
	cr_assert_eq(e1k.tdlen / 16, 128);
	cr_assert_eq(fix_pool.nfree, 1024 - 256);
	e1k_no_errors();
}

Test(e1000, link_up_follows_status_lu, .fini = e1k_teardown)
{
	e1k_start(32, 8);
	cr_assert(fix_dev.drv->link_up(&fix_dev));
	e1k.link = false;
	cr_assert_not(fix_dev.drv->link_up(&fix_dev));
}

/* 13.4.17-13.4.21: IMS unmasks, IMC masks, reading ICR clears the causes and the line. */
Test(e1000, irq_enable_unmasks_and_irq_ack_reads_icr_to_clear, .fini = e1k_teardown)
{
	e1k_start(32, 8);
	e1k_inject(1); /* the NIC stores it on its own */
	cr_assert_not(e1000_model_irq(&e1k), "masked until irq_enable");
	fix_dev.drv->irq_enable(&fix_dev, true);
	cr_assert(e1000_model_irq(&e1k));
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev) & 0x80u, 0x80u, "RXT0");
	cr_assert_not(e1000_model_irq(&e1k));
	cr_assert_eq(fix_dev.drv->irq_ack(&fix_dev), 0, "read to clear");
	fix_dev.drv->irq_enable(&fix_dev, false);
	e1k_inject(2);
	cr_assert_not(e1000_model_irq(&e1k));
	e1k_no_errors();
}
