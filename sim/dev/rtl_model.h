/* A register-level model of the Realtek C+ descriptor engine for exosim and the host tests,
 * for the RTL8139 in C+ mode and the RTL8168 (sim/dev/rtl_model.c).  It runs over a
 * "physical memory" given as one host array and has a "wire": the frames it transmitted, in
 * order, and a way to inject received ones.  It keeps the hardware's rules (OWN hand-over,
 * EOR wrap, write-1-to-clear status, no DMA through a ring base never set, RX/TX only when
 * enabled (on the 8168 also the RXDV gate of 8168g and later opened), the chip's own register
 * offsets) and counts every breach as a protocol error, so a driver bug fails a test.  It was
 * written from the 8139C+ datasheet / QEMU's model and Linux r8169's register list, separately from
 * the driver's chip table. */
#ifndef EXOLAB_RTL_MODEL_H
#define EXOLAB_RTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTLM_BAR_BYTES 0x100
#define RTLM_WIRE_MAX  4096 /* frames the wire remembers */
#define RTLM_FRAME_MAX 2048

enum rtlm_chip { RTLM_8139CP, RTLM_8168 };

/* Injected receive errors (rtl_model_inject's `err`). */
enum rtlm_rx_err { RTLM_RX_OK, RTLM_RX_CRC, RTLM_RX_RUNT };

struct rtlm_frame {
	uint16_t len;
	uint8_t data[RTLM_FRAME_MAX];
};

struct rtl_model {
	enum rtlm_chip chip;
	uint8_t *mem; /* simulated physical memory, address 0 at mem[0] */
	size_t mem_size;

	/* Registers. */
	uint8_t mac[6], mar[8];
	uint8_t chipcmd, cfg9346;
	uint16_t cpcr, imr, isr, rms;
	uint32_t tcr, rcr;
	uint32_t misc; /* 8168: bit 19 RXDV_GATED_EN, set at reset (8168g and later) */
	uint32_t tx_base[2], rx_base[2]; /* low, high */
	bool link;
	unsigned reset_reads;    /* ChipCmd reads that still show RST after a reset */
	unsigned reset_delay;    /* reset_reads after each reset */
	unsigned rx_cur, tx_cur; /* the next descriptor the NIC looks at */

	bool tx_paused;  /* TxPoll only records; rtl_model_run transmits */
	bool tx_pending; /* a TxPoll since the last run */

	struct rtlm_frame *wire; /* frames transmitted, wire[0] first */
	unsigned nwire;

	/* As in e1000_model.h: the cycle for messages, the error hook, the transmit sink. */
	const uint64_t *clock;
	void *hook_ctx;
	void (*on_error)(void *ctx, const char *msg);
	void (*on_tx)(void *ctx, const uint8_t *frame, unsigned len);
	bool tx_asm;                /* a frame is being assembled (FS seen, LS not yet) */
	struct rtlm_frame tx_frame; /* the frame being assembled */

	uint64_t txpolls, rx_missed, rx_filtered, resets;
	unsigned protocol_errors;
	char last_error[320]; /* "rtl8139|rtl8168: RULE (source) at cycle N" */
};

/* Returns 0, or -1 when the wire cannot be allocated.  The link is up, the MAC `mac`. */
int rtl_model_init(struct rtl_model *m, enum rtlm_chip chip, void *mem, size_t mem_size,
                   const uint8_t mac[6]);
void rtl_model_fini(struct rtl_model *m);

/* BAR accesses (`size` 1, 2 or 4); the signatures match simhal_mmio_ops. */
uint64_t rtl_model_mmio_read(void *m, uint64_t off, unsigned size);
void rtl_model_mmio_write(void *m, uint64_t off, unsigned size, uint64_t val);

/* A frame arrives from the wire (without FCS; the model appends it).  Returns true when it was
 * written to a descriptor, false when filtered, missed (no descriptor: rx_missed) or the
 * receiver is off. */
bool rtl_model_inject(struct rtl_model *m, const void *frame, unsigned len, enum rtlm_rx_err err);

/* Transmits what TxPoll asked for while tx_paused. */
void rtl_model_run(struct rtl_model *m);

/* The interrupt line: a cause both pending and unmasked. */
bool rtl_model_irq(const struct rtl_model *m);

#endif
