/* The RTL C+ model itself keeps the hardware's rules, so that the driver tests can fail: these
 * drive the model's registers directly, as a buggy driver would. */
#include <string.h>

#include "hal.h"
#include "rtltest.h"

static const struct net_ops *o;

static void
start_bare(enum rtlm_chip chip)
{
	fix_setup_rtl(chip);
	o = fix_ops();
	o->write16(0, 0xe0, 3); /* C+ RX/TX on the 8139; INTT bits on the 8168, harmless */
	o->write8(0, 0x37, 0x0c);
	o->write32(0, 0x44, 0x0e);
	if (chip == RTLM_8168)
		o->write32(0, 0xf0, 0); /* open the RX gate */
}

/* One descriptor ring of `n` at physical `pa`, each with a 2 KiB buffer after it. */
static void
ring(uint64_t pa, unsigned n, bool own, bool eor)
{
	for (unsigned i = 0; i < n; i++) {
		uint8_t *d = (uint8_t *)hal_phys_to_virt(pa) + 16 * i;
		uint32_t opts1 =
		    (own ? 0x80000000u : 0) | (eor && i == n - 1 ? 0x40000000u : 0) | 2048;
		uint64_t buf = pa + 0x10000 + 2048ull * i;

		memcpy(d, &opts1, 4);
		memset(d + 4, 0, 4);
		memcpy(d + 8, &buf, 8);
	}
}

BOTH_CHIPS(model_drops_rx_when_no_ring_base_was_set)
static void
model_drops_rx_when_no_ring_base_was_set_on(enum rtlm_chip chip)
{
	uint8_t f[64];

	start_bare(chip);
	fix_frame(f, 64, 1, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	cr_assert_eq(fix_rtl.rx_missed, 1);
}

BOTH_CHIPS(model_never_writes_a_descriptor_the_driver_still_owns)
static void
model_never_writes_a_descriptor_the_driver_still_owns_on(enum rtlm_chip chip)
{
	uint8_t f[64];

	start_bare(chip);
	if (chip == RTLM_8168)
		o->write16(0, 0xda, 2048);
	ring(0x200000, 4, false, true);
	o->write32(0, 0xe4, 0x200000);
	fix_frame(f, 64, 1, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	cr_assert_eq(fix_rtl.rx_missed, 1);
	cr_assert_eq(fix_rtl.isr & 0x10, 0x10, "RX descriptor unavailable");
}

BOTH_CHIPS(model_wraps_at_eor_and_flags_a_ring_without_one)
static void
model_wraps_at_eor_and_flags_a_ring_without_one_on(enum rtlm_chip chip)
{
	uint8_t f[64];

	start_bare(chip);
	if (chip == RTLM_8168)
		o->write16(0, 0xda, 2048);
	ring(0x200000, 1024, true, false);
	o->write32(0, 0xe4, 0x200000);
	fix_frame(f, 64, 1, NULL);
	for (unsigned i = 0; i < (chip == RTLM_8139CP ? 64u : 1024u); i++)
		cr_assert(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	cr_assert_eq(fix_rtl.protocol_errors, 1, "no EOR within the chip's ring limit");
}

Test(rtl8168, model_receives_nothing_while_the_rxdv_gate_is_closed, .fini = fix_teardown)
{
	uint8_t f[64];

	start_bare(RTLM_8168);
	o->write16(0, 0xda, 2048);
	ring(0x200000, 4, true, true);
	o->write32(0, 0xe4, 0x200000);
	o->write32(0, 0xf0, 0x00080000);
	fix_frame(f, 64, 1, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	o->write32(0, 0xf0, 0);
	cr_assert(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
}

BOTH_CHIPS(model_interrupt_status_is_write_one_to_clear)
static void
model_interrupt_status_is_write_one_to_clear_on(enum rtlm_chip chip)
{
	start_bare(chip);
	fix_rtl.isr = 0x0005;
	o->write16(0, 0x3e, 0);
	cr_assert_eq(o->read16(0, 0x3e), 0x0005, "writing 0 clears nothing");
	o->write16(0, 0x3e, 0x0004);
	cr_assert_eq(o->read16(0, 0x3e), 0x0001);
}

BOTH_CHIPS(model_flags_txpoll_at_the_other_chips_offset_and_without_a_ring)
static void
model_flags_txpoll_at_the_other_chips_offset_and_without_a_ring_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write8(0, chip == RTLM_8139CP ? 0x38 : 0xd9, 0x40);
	cr_assert_eq(fix_rtl.protocol_errors, 1, "TxPoll at the wrong chip's offset");
	o->write8(0, chip == RTLM_8139CP ? 0xd9 : 0x38, 0x40);
	cr_assert_eq(fix_rtl.protocol_errors, 2, "TxPoll with no ring base");
	cr_assert_eq(fix_rtl.nwire, 0);
}

Test(rtl8139, model_needs_cplus_mode_to_transmit, .fini = fix_teardown)
{
	start_bare(RTLM_8139CP);
	o->write16(0, 0xe0, 0); /* back to C mode */
	ring(0x200000, 4, true, true);
	o->write32(0, 0x20, 0x200000);
	o->write8(0, 0xd9, 0x40);
	cr_assert_eq(fix_rtl.nwire, 0);
	cr_assert_eq(fix_rtl.protocol_errors, 1);
}
