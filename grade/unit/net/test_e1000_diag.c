/* The e1000 model's catalogue of driver mistakes (docs/sim.md, "NICs: the driver's
 * mistakes"): each test makes one mistake on purpose, through the registers as a buggy driver
 * would or through the real driver, and asserts the model's exact one-line message. */
#include <stdio.h>
#include <string.h>

#include "e1000test.h"
#include "../srcline.h" /* src_line: "driver pc FILE:N" */

#define W(off, v) e1000_model_mmio_write(&e1k, (off), 4, (v))
#define R(off)    ((uint32_t)e1000_model_mmio_read(&e1k, (off), 4))

enum {
	RCTL = 0x100,
	TCTL = 0x400,
	RDBAL = 0x2800,
	RDLEN = 0x2808,
	RDH = 0x2810,
	RDT = 0x2818,
	TDBAL = 0x3800,
	TDLEN = 0x3808,
	TDH = 0x3810,
	TDT = 0x3818,
};

#define RING   0x100000u   /* descriptor rings at 1 MiB */
#define BUFS   0x200000u   /* buffers at 2 MiB */
#define RCTL_V 0x04008002u /* EN, BAM, SECRC */
#define TCTL_V 0x0000000au /* EN, PSP */
#define CMD_OK 0x0bu       /* EOP, IFCS, RS */

static uint64_t cycle = 4242;
static char want[320];

static void
setup(void)
{
	e1k_setup();
	e1k.clock = &cycle;
}

/* Exactly one mistake reported, with this message (printf-style) at cycle 4242. */
#define EXPECT(...)                                                                                \
	do {                                                                                       \
		snprintf(want, sizeof(want), __VA_ARGS__);                                         \
		cr_assert_eq(e1k.protocol_errors, 1, "%u errors, last: %s", e1k.protocol_errors,   \
		             e1k.last_error);                                                      \
		cr_assert_str_eq(e1k.last_error, want);                                            \
	} while (0)

static void
desc(uint64_t ring, unsigned i, uint64_t addr, uint16_t len, uint8_t cmd)
{
	uint8_t *d = (uint8_t *)hal_phys_to_virt(ring) + 16 * i;

	memset(d, 0, 16);
	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 2);
	d[11] = cmd;
}

/* A receive ring of 8 with a buffer each, RDT 7, receiver on. */
static void
rx_ring(void)
{
	for (unsigned i = 0; i < 8; i++)
		desc(RING, i, BUFS + 2048 * i, 0, 0);
	W(RDBAL, RING);
	W(RDLEN, 8 * 16);
	W(RDH, 0);
	W(RDT, 7);
	W(RCTL, RCTL_V);
}

/* A transmit ring of `n`, transmitter on (descriptors filled by the test). */
static void
tx_ring(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		desc(RING + 0x10000, i, 0, 0, 0);
	W(TDBAL, RING + 0x10000);
	W(TDLEN, n * 16);
	W(TDH, 0);
	W(TCTL, TCTL_V);
}

static bool
inject(void)
{
	uint8_t f[64];

	fix_frame(f, 64, 1, NULL);
	return e1000_model_inject(&e1k, f, 64, 0);
}

/* One TX descriptor 0 as given, then TDT 1. */
static void
send_one(uint64_t addr, uint16_t len, uint8_t cmd)
{
	tx_ring(8);
	desc(RING + 0x10000, 0, addr, len, cmd);
	W(TDT, 1);
}

Test(e1000_diag, tdt_beyond_the_ring, .init = setup, .fini = e1k_teardown)
{
	tx_ring(256);
	W(TDT, 300);
	EXPECT("e1000: TDT 300 beyond ring of 256 descriptors (8254x SDM §3.4) at cycle 4242");
}

Test(e1000_diag, rdt_beyond_the_ring, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	W(RDT, 8);
	EXPECT("e1000: RDT 8 beyond ring of 8 descriptors (8254x SDM §3.2.6) at cycle 4242");
}

Test(e1000_diag, tail_moved_back_over_owned_descriptors, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	W(RDT, 3);
	EXPECT("e1000: RDT 3 moves back over descriptors the NIC owns (RDH 0, RDT 7) (8254x SDM "
	       "§3.2.6) at cycle 4242");
}

Test(e1000_diag, tail_written_past_head, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	W(RDT, 0);
	EXPECT("e1000: RDT 0 passes RDH 0: the whole ring handed over reads as empty (8254x SDM "
	       "§3.2.6) at cycle 4242");
}

Test(e1000_diag, rx_buffer_handed_twice, .init = setup, .fini = e1k_teardown)
{
	for (unsigned i = 0; i < 8; i++)
		desc(RING, i, BUFS + 2048 * (i == 1 ? 0 : i), 0, 0);
	W(RDBAL, RING);
	W(RDLEN, 8 * 16);
	W(RDT, 2);
	EXPECT("e1000: RX descriptor 1 hands buffer 0x200000 the NIC already owns (handed twice) "
	       "(8254x SDM §3.2.6) at cycle 4242");
}

/* The real driver given the same buffer twice in one batch hands it twice. */
Test(e1000_diag, tx_buffer_handed_twice_by_the_driver, .fini = e1k_teardown)
{
	e1k_start(64, 16);
	e1k.clock = &cycle;
	e1k.tx_paused = true; /* nothing leaves: the buffer is not freed twice */
	struct net_buf *b = net_buf_alloc(&fix_pool), *two[2] = { b, b };
	b->len = 60;
	fix_frame(b->data, 60, 1, NULL);
	cr_assert_eq(net_tx(&fix_dev, two, 2), 2);
	/* Raised on e1000_tx's TDT write: the model names its line (drv_mmio.h). */
	unsigned at = src_line("lib/drivers/net/e1000.c", "e1000_tx(", "E1000_TDT");
	cr_assert_neq(at, 0, "no TDT write in e1000_tx (lib/drivers/net/e1000.c)");
	EXPECT("e1000: TX descriptor 1 hands buffer 0x%llx the NIC already owns (handed twice) "
	       "(8254x SDM §3.4) at cycle 4242, driver pc lib/drivers/net/e1000.c:%u",
	       (unsigned long long)b->pa, at);
}

Test(e1000_diag, tdt_written_with_the_transmitter_off, .init = setup, .fini = e1k_teardown)
{
	tx_ring(8);
	W(TCTL, 0);
	desc(RING + 0x10000, 0, BUFS, 60, CMD_OK);
	W(TDT, 1);
	EXPECT("e1000: TDT 1 written while TCTL.EN is clear: nothing is sent (8254x SDM §14.5) at "
	       "cycle 4242");
}

Test(e1000_diag, tx_ring_base_unaligned, .init = setup, .fini = e1k_teardown)
{
	W(TDLEN, 128);
	W(TDBAL, RING + 8);
	W(TCTL, TCTL_V);
	memset(hal_phys_to_virt(RING), 0, 256);
	W(TDT, 1);
	EXPECT("e1000: TX ring base 0x100008 not 16-byte aligned (8254x SDM §13.4.38) at cycle "
	       "4242");
}

Test(e1000_diag, rx_ring_length_not_a_multiple_of_128, .init = setup, .fini = e1k_teardown)
{
	W(RDBAL, RING);
	W(RDLEN, 100);
	W(RCTL, RCTL_V);
	cr_assert_not(inject());
	EXPECT("e1000: RDLEN 100 not a multiple of 128 bytes (8254x SDM §13.4.27) at cycle 4242");
}

Test(e1000_diag, rx_ring_length_0, .init = setup, .fini = e1k_teardown)
{
	W(RDBAL, RING);
	W(RCTL, RCTL_V);
	cr_assert_not(inject());
	EXPECT("e1000: RX ring in use with RDLEN 0 (8254x SDM §13.4.27) at cycle 4242");
}

Test(e1000_diag, rx_ring_base_never_set, .init = setup, .fini = e1k_teardown)
{
	W(RDLEN, 128);
	W(RCTL, RCTL_V);
	cr_assert_not(inject());
	EXPECT("e1000: RX ring in use with base address 0, never set (8254x SDM §14.4) at cycle "
	       "4242");
}

Test(e1000_diag, rx_ring_outside_memory, .init = setup, .fini = e1k_teardown)
{
	W(RDBAL, FIX_MEM_BYTES - 64);
	W(RDLEN, 128);
	W(RCTL, RCTL_V);
	cr_assert_not(inject());
	EXPECT("e1000: RX ring 0xffffc0+128 outside memory (8254x SDM §3.2.6) at cycle 4242");
}

Test(e1000_diag, rx_buffer_address_0, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	desc(RING, 0, 0, 0, 0);
	cr_assert_not(inject());
	EXPECT("e1000: RX descriptor 0 has buffer address 0 (8254x SDM §3.2.3) at cycle 4242");
}

Test(e1000_diag, rx_buffer_outside_memory, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	desc(RING, 0, FIX_MEM_BYTES - 100, 0, 0);
	cr_assert_not(inject());
	EXPECT("e1000: RX descriptor 0 buffer 0xffff9c+2048 outside memory (8254x SDM §3.2.3) at "
	       "cycle 4242");
}

Test(e1000_diag, tx_extended_descriptor, .init = setup, .fini = e1k_teardown)
{
	send_one(BUFS, 60, CMD_OK | 0x20);
	EXPECT("e1000: TX descriptor 0 has DEXT set: only legacy descriptors are modelled (8254x "
	       "SDM §3.3.3) at cycle 4242");
}

Test(e1000_diag, tx_buffer_address_0, .init = setup, .fini = e1k_teardown)
{
	send_one(0, 60, CMD_OK);
	EXPECT("e1000: TX descriptor 0 has buffer address 0 (8254x SDM §3.3.3) at cycle 4242");
}

Test(e1000_diag, tx_length_0, .init = setup, .fini = e1k_teardown)
{
	send_one(BUFS, 0, CMD_OK);
	EXPECT("e1000: TX descriptor 0 has length 0 (8254x SDM §3.3.3) at cycle 4242");
}

Test(e1000_diag, tx_length_over_the_maximum, .init = setup, .fini = e1k_teardown)
{
	send_one(BUFS, 20000, CMD_OK);
	EXPECT("e1000: TX descriptor 0 length 20000 over 16288 (8254x SDM §3.3.3) at cycle 4242");
}

Test(e1000_diag, tx_buffer_outside_memory, .init = setup, .fini = e1k_teardown)
{
	send_one(FIX_MEM_BYTES - 10, 60, CMD_OK);
	EXPECT("e1000: TX descriptor 0 buffer 0xfffff6+60 outside memory (8254x SDM §3.3.3) at "
	       "cycle 4242");
}

Test(e1000_diag, tx_frame_without_eop_overflows, .init = setup, .fini = e1k_teardown)
{
	tx_ring(8);
	desc(RING + 0x10000, 0, BUFS, 1500, 0x02);
	desc(RING + 0x10000, 1, BUFS + 2048, 1000, CMD_OK);
	W(TDT, 2);
	EXPECT("e1000: TX frame over 2048 bytes without EOP (8254x SDM §3.3.3) at cycle 4242");
}

Test(e1000_diag, tx_frame_without_ifcs, .init = setup, .fini = e1k_teardown)
{
	send_one(BUFS, 60, 0x09);
	EXPECT("e1000: TX descriptor 0 ends a frame (EOP) without IFCS: it leaves with no FCS "
	       "(8254x SDM §3.3.3.1) at cycle 4242");
}

Test(e1000_diag, ring_register_written_while_enabled, .init = setup, .fini = e1k_teardown)
{
	rx_ring();
	W(RDLEN, 256);
	EXPECT("e1000: RDLEN written while RCTL.EN is set (8254x SDM §14.4) at cycle 4242");
}

Test(e1000_diag, read_of_the_wrong_width, .init = setup, .fini = e1k_teardown)
{
	(void)e1000_model_mmio_read(&e1k, 0x0008, 1);
	EXPECT("e1000: read8 at 0x0008: registers are aligned 32-bit (8254x SDM §13) at cycle "
	       "4242");
}

Test(e1000_diag, write_of_the_wrong_width, .init = setup, .fini = e1k_teardown)
{
	e1000_model_mmio_write(&e1k, 0x0100, 2, 2);
	EXPECT("e1000: write16 at 0x0100: registers are aligned 32-bit (8254x SDM §13) at cycle "
	       "4242");
}

Test(e1000_diag, read_of_an_unknown_register, .init = setup, .fini = e1k_teardown)
{
	(void)R(0x1234);
	EXPECT("e1000: read of unknown register 0x1234 (8254x SDM §13.4) at cycle 4242");
}

Test(e1000_diag, write_of_an_unknown_register, .init = setup, .fini = e1k_teardown)
{
	W(0x1234, 5);
	EXPECT("e1000: write 0x5 to unknown register 0x1234 (8254x SDM §13.4) at cycle 4242");
}

static char hooked[256];
static void
hook(void *ctx, const char *msg)
{
	snprintf(hooked, sizeof(hooked), "%s", msg);
	(*(unsigned *)ctx)++;
}

/* The real driver makes no mistake through init, traffic and fini; a mistake reaches the
 * hook with the same line. */
Test(e1000_diag, the_driver_is_clean_and_the_hook_sees_each_line, .fini = e1k_teardown)
{
	unsigned calls = 0;

	e1k_start(64, 16);
	e1k.clock = &cycle;
	e1k.hook_ctx = &calls;
	e1k.on_error = hook;
	cr_assert_eq(e1k_send(0, 8), 8);
	for (unsigned i = 0; i < 8; i++)
		e1k_inject(100 + i);
	cr_assert_eq(e1k_receive(100, 8), 8);
	e1k_no_errors();
	W(TDT, 300);
	cr_assert_eq(calls, 1);
	cr_assert_str_eq(hooked, e1k.last_error);
}
