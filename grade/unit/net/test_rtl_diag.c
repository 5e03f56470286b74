/* The Realtek C+ model's catalogue of driver mistakes, on the RTL8139C+ and the RTL8168 alike
 * (docs/sim.md, "NICs: the driver's mistakes"): each test makes one mistake on purpose,
 * through the registers as a buggy driver would or through the real driver, and asserts the
 * model's exact one-line message. */
#include <stdio.h>
#include <string.h>

#include "hal.h"
#include "rtltest.h"
#include "../srcline.h" /* src_line: "driver pc FILE:N" */

#define OWN  0x80000000u
#define EOR  0x40000000u
#define FS   0x20000000u
#define LS   0x10000000u
#define RING 0x100000u /* descriptor rings at 1 MiB */
#define TXR  0x110000u
#define BUFS 0x200000u /* buffers at 2 MiB */

static const struct net_ops *o;
static uint64_t cycle = 4242;
static char want[320];

static const char *
name(enum rtlm_chip c)
{
	return c == RTLM_8139CP ? "rtl8139" : "rtl8168";
}

static const char *
src(enum rtlm_chip c)
{
	return c == RTLM_8139CP ? "8139C+ datasheet" : "Linux r8169";
}

static uint32_t
txpoll(enum rtlm_chip c)
{
	return c == RTLM_8139CP ? 0xd9 : 0x38;
}

/* Exactly one mistake reported: "CHIP: " + this message + " at cycle 4242". */
#define EXPECT(chip, ...)                                                                          \
	do {                                                                                       \
		char m_[200];                                                                      \
		snprintf(m_, sizeof(m_), __VA_ARGS__);                                             \
		snprintf(want, sizeof(want), "%s: %s at cycle 4242", name(chip), m_);              \
		cr_assert_eq(fix_rtl.protocol_errors, 1, "%u errors, last: %s",                    \
		             fix_rtl.protocol_errors, fix_rtl.last_error);                         \
		cr_assert_str_eq(fix_rtl.last_error, want);                                        \
	} while (0)

/* Receiver and transmitter on, as far as the registers go; no ring bases yet. */
static void
start_bare(enum rtlm_chip chip)
{
	fix_setup_rtl(chip);
	fix_rtl.clock = &cycle;
	o = fix_ops();
	o->write16(0, 0xe0, 3);
	o->write8(0, 0x37, 0x0c);
	o->write32(0, 0x44, 0x0e);
	if (chip == RTLM_8168) {
		o->write32(0, 0xf0, 0);
		o->write16(0, 0xda, 2048);
	}
}

static void
desc(uint64_t ring, unsigned i, uint32_t opts1, uint64_t addr)
{
	uint8_t *d = (uint8_t *)hal_phys_to_virt(ring) + 16 * i;

	memcpy(d, &opts1, 4);
	memset(d + 4, 0, 4);
	memcpy(d + 8, &addr, 8);
}

/* TX descriptor 0 as given (EOR set), then TxPoll. */
static void
send_one(enum rtlm_chip chip, uint32_t opts1, uint64_t addr)
{
	desc(TXR, 0, opts1 | EOR, addr);
	o->write32(0, 0x20, TXR);
	o->write8(0, txpoll(chip), 0x40);
}

/* RX ring of one descriptor (EOR) as given, then a frame arrives; asserts it was not stored. */
static void
receive_one(uint32_t opts1, uint64_t addr)
{
	uint8_t f[64];

	desc(RING, 0, opts1 | EOR, addr);
	o->write32(0, 0xe4, RING);
	fix_frame(f, 64, 1, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
}

BOTH_CHIPS(diag_txpoll_without_npq)
static void
diag_txpoll_without_npq_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write8(0, txpoll(chip), 0x01);
	EXPECT(chip, "TxPoll 0x01 without NPQ (bit 6): nothing is polled (%s: TxPoll)", src(chip));
}

BOTH_CHIPS(diag_txpoll_with_the_transmitter_off)
static void
diag_txpoll_with_the_transmitter_off_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write8(0, 0x37, 0x08);
	o->write32(0, 0x20, TXR);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip, "TxPoll with the transmitter disabled (ChipCmd.TE%s) (%s: TxPoll)",
	       chip == RTLM_8139CP ? " and CPlusCmd bit 0" : "", src(chip));
}

BOTH_CHIPS(diag_txpoll_without_a_ring)
static void
diag_txpoll_without_a_ring_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip, "TxPoll with no TX ring base (TNPDS never set) (%s: TxPoll)", src(chip));
}

BOTH_CHIPS(diag_eor_missing)
static void
diag_eor_missing_on(enum rtlm_chip chip)
{
	unsigned n = chip == RTLM_8139CP ? 64 : 1024;

	start_bare(chip);
	for (unsigned i = 0; i < n; i++)
		desc(TXR, i, OWN | FS | LS | 60, BUFS + 2048ull * i);
	o->write32(0, 0x20, TXR);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip, "TX ring: no EOR within %u descriptors (%s: EOR ends the ring)", n, src(chip));
}

BOTH_CHIPS(diag_tx_descriptor_outside_memory)
static void
diag_tx_descriptor_outside_memory_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write32(0, 0x20, FIX_MEM_BYTES);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip, "TX descriptor 0 at 0x1000000 outside memory (%s: TNPDS)", src(chip));
}

BOTH_CHIPS(diag_tx_without_fs)
static void
diag_tx_without_fs_on(enum rtlm_chip chip)
{
	start_bare(chip);
	send_one(chip, OWN | LS | 60, BUFS);
	EXPECT(chip,
	       "TX descriptor 0 continues a frame that never began: FS missing (%s: TX descriptor)",
	       src(chip));
	cr_assert_eq(fix_rtl.nwire, 0);
}

BOTH_CHIPS(diag_tx_buffer_address_0)
static void
diag_tx_buffer_address_0_on(enum rtlm_chip chip)
{
	start_bare(chip);
	send_one(chip, OWN | FS | LS | 60, 0);
	EXPECT(chip, "TX descriptor 0 has buffer address 0 (%s: TX descriptor)", src(chip));
}

BOTH_CHIPS(diag_tx_length_0)
static void
diag_tx_length_0_on(enum rtlm_chip chip)
{
	start_bare(chip);
	send_one(chip, OWN | FS | LS, BUFS);
	EXPECT(chip, "TX descriptor 0 has length 0 (%s: TX descriptor)", src(chip));
}

BOTH_CHIPS(diag_tx_buffer_outside_memory)
static void
diag_tx_buffer_outside_memory_on(enum rtlm_chip chip)
{
	start_bare(chip);
	send_one(chip, OWN | FS | LS | 60, FIX_MEM_BYTES - 10);
	EXPECT(chip, "TX descriptor 0 buffer 0xfffff6+60 outside memory (%s: TX descriptor)",
	       src(chip));
}

BOTH_CHIPS(diag_tx_frame_too_long)
static void
diag_tx_frame_too_long_on(enum rtlm_chip chip)
{
	start_bare(chip);
	desc(TXR, 0, OWN | FS | 1500, BUFS);
	desc(TXR, 1, OWN | LS | EOR | 1000, BUFS + 2048);
	o->write32(0, 0x20, TXR);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip, "TX frame over 2048 bytes before LS (%s: TX descriptor)", src(chip));
}

BOTH_CHIPS(diag_tx_buffer_handed_twice)
static void
diag_tx_buffer_handed_twice_on(enum rtlm_chip chip)
{
	start_bare(chip);
	desc(TXR, 0, OWN | FS | LS | 60, BUFS);
	desc(TXR, 1, OWN | FS | LS | EOR | 60, BUFS);
	o->write32(0, 0x20, TXR);
	o->write8(0, txpoll(chip), 0x40);
	EXPECT(chip,
	       "TX descriptor 1 hands buffer 0x200000 already in a descriptor of this poll (handed "
	       "twice) (%s: OWN)",
	       src(chip));
}

BOTH_CHIPS(diag_rx_descriptor_outside_memory)
static void
diag_rx_descriptor_outside_memory_on(enum rtlm_chip chip)
{
	uint8_t f[64];

	start_bare(chip);
	o->write32(0, 0xe4, FIX_MEM_BYTES);
	fix_frame(f, 64, 1, NULL);
	cr_assert_not(rtl_model_inject(&fix_rtl, f, 64, RTLM_RX_OK));
	EXPECT(chip, "RX descriptor 0 at 0x1000000 outside memory (%s: RDSAR)", src(chip));
}

BOTH_CHIPS(diag_rx_buffer_address_0)
static void
diag_rx_buffer_address_0_on(enum rtlm_chip chip)
{
	start_bare(chip);
	receive_one(OWN | 2048, 0);
	EXPECT(chip, "RX descriptor 0 owned by the NIC has buffer address 0 (%s: RX descriptor)",
	       src(chip));
}

BOTH_CHIPS(diag_rx_buffer_size_0)
static void
diag_rx_buffer_size_0_on(enum rtlm_chip chip)
{
	start_bare(chip);
	receive_one(OWN, BUFS);
	EXPECT(chip, "RX descriptor 0 owned by the NIC has buffer size 0 (%s: RX descriptor)",
	       src(chip));
}

BOTH_CHIPS(diag_rx_buffer_outside_memory)
static void
diag_rx_buffer_outside_memory_on(enum rtlm_chip chip)
{
	start_bare(chip);
	receive_one(OWN | 2048, FIX_MEM_BYTES - 40);
	EXPECT(chip, "RX descriptor 0 buffer 0xffffd8+68 outside memory (%s: RX descriptor)",
	       src(chip));
}

BOTH_CHIPS(diag_ring_base_unaligned)
static void
diag_ring_base_unaligned_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write32(0, 0xe4, RING + 0x10);
	EXPECT(chip, "RDSAR 0x100010 not 256-byte aligned (%s: ring base)", src(chip));
}

BOTH_CHIPS(diag_read_of_the_wrong_width)
static void
diag_read_of_the_wrong_width_on(enum rtlm_chip chip)
{
	start_bare(chip);
	(void)o->read8(0, 0x3c);
	EXPECT(chip, "read8 of IMR (0x3c), which is 16 bits wide (%s: registers)", src(chip));
}

BOTH_CHIPS(diag_write_of_the_wrong_width)
static void
diag_write_of_the_wrong_width_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write32(0, 0x3c, 0);
	EXPECT(chip, "write32 of IMR (0x3c), which is 16 bits wide (%s: registers)", src(chip));
}

BOTH_CHIPS(diag_read_of_an_unknown_register)
static void
diag_read_of_an_unknown_register_on(enum rtlm_chip chip)
{
	start_bare(chip);
	(void)o->read32(0, 0x80);
	EXPECT(chip, "read32 of unknown register 0x80 (%s: registers)", src(chip));
}

BOTH_CHIPS(diag_write_of_an_unknown_register)
static void
diag_write_of_an_unknown_register_on(enum rtlm_chip chip)
{
	start_bare(chip);
	o->write8(0, 0x80, 1);
	EXPECT(chip, "write8 of unknown register 0x80 (%s: registers)", src(chip));
}

Test(rtl8139, diag_txpoll_at_the_8168s_offset, .fini = fix_teardown)
{
	start_bare(RTLM_8139CP);
	o->write8(0, 0x38, 0x40);
	EXPECT(RTLM_8139CP, "write8 of unknown register 0x38 (8139C+ datasheet: registers)");
}

Test(rtl8168, diag_receiver_on_with_the_rxdv_gate_closed, .fini = fix_teardown)
{
	start_bare(RTLM_8168);
	o->write32(0, 0xf0, 0x00080000);
	receive_one(OWN | 2048, BUFS);
	EXPECT(RTLM_8168, "frame lost: receiver on with MISC RXDV_GATED_EN (bit 19) still set "
	                  "(Linux r8169 rtl_hw_start_8168g)");
}

/* The real driver given the same buffer twice in one batch hands it twice. */
BOTH_CHIPS(diag_driver_hands_a_buffer_twice)
static void
diag_driver_hands_a_buffer_twice_on(enum rtlm_chip chip)
{
	fix_start_rtl(chip, 64, 16);
	fix_rtl.clock = &cycle;
	struct net_buf *b = net_buf_alloc(&fix_pool), *two[2] = { b, b };
	b->len = 60;
	fix_frame(b->data, 60, 1, NULL);
	cr_assert_eq(net_tx(&fix_dev, two, 2), 2);
	/* Raised on rtl_tx's TxPoll write: the model names its line (drv_mmio.h). */
	unsigned at = src_line("lib/drivers/net/rtl.c", "rtl_tx(", "RTL_TXPOLL_NPQ");
	cr_assert_neq(at, 0, "no TxPoll write in rtl_tx (lib/drivers/net/rtl.c)");
	snprintf(want, sizeof(want),
	         "%s: TX descriptor 1 hands buffer 0x%llx already in a descriptor of this poll "
	         "(handed twice) (%s: OWN) at cycle 4242, driver pc lib/drivers/net/rtl.c:%u",
	         name(chip), (unsigned long long)b->pa, src(chip), at);
	cr_assert_eq(fix_rtl.protocol_errors, 1, "%u errors", fix_rtl.protocol_errors);
	cr_assert_str_eq(fix_rtl.last_error, want);
}
