/* The 82540EM model itself (sim/dev/e1000_model.c), driven register by register: each rule
 * a driver may break is caught as a protocol error, so the driver tests can rely on it. */
#include <string.h>

#include "e1000test.h"

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
	ICR = 0xc0,
	ICS = 0xc8,
	IMS = 0xd0,
	IMC = 0xd8
};

/* A receive ring of 8 descriptors at 1 MiB, buffers at 2 MiB + 2 KiB * i (0: none). */
static void
rx_ring(bool buffers)
{
	uint8_t *mem = hal_phys_to_virt(0);

	for (uint64_t i = 0; i < 8; i++) {
		uint64_t addr = buffers ? (2u << 20) + 2048 * i : 0;
		memset(mem + (1u << 20) + 16 * i, 0, 16); /* memory starts poisoned with 0xa5 */
		memcpy(mem + (1u << 20) + 16 * i, &addr, 8);
	}
	W(RDBAL, 1u << 20);
	W(RDLEN, 8 * 16);
	W(RDH, 0);
	W(RDT, 7);
	W(RCTL, 0x04008002u); /* EN, BAM, SECRC */
}

static void
frame(uint8_t *f)
{
	fix_frame(f, 64, 1, NULL);
}

Test(e1000_model, a_tail_beyond_the_ring_is_ignored_and_flagged, .fini = e1k_teardown)
{
	e1k_setup();
	rx_ring(true);
	cr_assert_eq(e1k.protocol_errors, 0, "%s", e1k.last_error);
	W(RDT, 8);
	cr_assert_eq(e1k.protocol_errors, 1);
	cr_assert_eq(R(RDT), 7, "ignored");
}

Test(e1000_model, a_tail_moved_back_over_owned_descriptors_is_flagged, .fini = e1k_teardown)
{
	e1k_setup();
	rx_ring(true);
	W(RDT, 3);
	cr_assert_eq(e1k.protocol_errors, 1, "[0, 7) was the NIC's");
	cr_assert_eq(R(RDT), 7);
}

Test(e1000_model, a_buffer_address_0_is_flagged_and_the_frame_not_stored, .fini = e1k_teardown)
{
	uint8_t f[64];

	e1k_setup();
	rx_ring(false);
	frame(f);
	cr_assert_not(e1000_model_inject(&e1k, f, 64, 0));
	cr_assert_eq(e1k.protocol_errors, 1);
	cr_assert_eq(R(RDH), 0);
}

Test(e1000_model, frames_go_only_into_descriptors_between_head_and_tail, .fini = e1k_teardown)
{
	uint8_t f[64];

	e1k_setup();
	rx_ring(true);
	frame(f);
	for (unsigned i = 0; i < 7; i++)
		cr_assert(e1000_model_inject(&e1k, f, 64, 0));
	cr_assert_not(e1000_model_inject(&e1k, f, 64, 0), "RDH == RDT: nothing is the NIC's");
	cr_assert_eq(e1k.rx_missed, 1);
	uint8_t *last = (uint8_t *)hal_phys_to_virt(1u << 20) + 16 * 7;
	cr_assert_eq(last[12], 0, "descriptor 7 (at the tail) untouched");
	cr_assert_eq(e1k.protocol_errors, 0, "%s", e1k.last_error);
}

Test(e1000_model, misaligned_rings_and_ring_writes_while_enabled_are_flagged, .fini = e1k_teardown)
{
	uint8_t f[64];

	e1k_setup();
	rx_ring(true);
	W(RDLEN, 16 * 16); /* while RCTL.EN */
	cr_assert_eq(e1k.protocol_errors, 1);
	W(RCTL, 0);
	W(RDLEN, 100); /* not a multiple of 128 */
	W(RCTL, 0x04008002u);
	frame(f);
	cr_assert_not(e1000_model_inject(&e1k, f, 64, 0));
	cr_assert_eq(e1k.protocol_errors, 2);
	W(TDLEN, 128);
	W(TDBAL, 0x100008); /* not 16-byte aligned */
	W(TCTL, 2);
	W(TDT, 1);
	cr_assert_eq(e1k.protocol_errors, 3, "%s", e1k.last_error);
}

Test(e1000_model, icr_is_read_to_clear_and_ims_imc_mask_the_line, .fini = e1k_teardown)
{
	e1k_setup();
	W(ICS, 0x80);
	cr_assert_not(e1000_model_irq(&e1k));
	W(IMS, 0x80);
	cr_assert_eq(R(IMS), 0x80);
	cr_assert(e1000_model_irq(&e1k));
	W(IMC, 0x80);
	cr_assert_not(e1000_model_irq(&e1k));
	cr_assert_eq(R(ICR), 0x80);
	cr_assert_eq(R(ICR), 0);
	cr_assert_eq(e1k.protocol_errors, 0, "%s", e1k.last_error);
}

Test(e1000_model, byte_accesses_and_unknown_registers_are_flagged, .fini = e1k_teardown)
{
	e1k_setup();
	(void)e1000_model_mmio_read(&e1k, 0x0008, 1);
	e1000_model_mmio_write(&e1k, 0x0102, 4, 0);
	(void)R(0x1234);
	cr_assert_eq(e1k.protocol_errors, 3);
}
