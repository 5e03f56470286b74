/* A register-level model of the Intel 82540EM's (e1000) descriptor engine for exosim and the
 * host tests (sim/dev/e1000_model.c).  It runs over a "physical memory" given as one host
 * array and has a "wire": the frames it transmitted, in order, and a way to inject received
 * ones.  It keeps the hardware's ownership rules (the NIC owns receive descriptors [RDH, RDT)
 * and transmit descriptors [TDH, TDT) and touches no other; a tail beyond the ring or moved
 * backwards over descriptors already handed over; ring bases 16-byte and lengths 128-byte
 * aligned; no DMA through a buffer address 0 or outside memory; RX/TX only when enabled;
 * 32-bit register accesses only) and counts every breach as a protocol error, so that a
 * driver bug fails a test.  It was written from the PCI/PCI-X Family of Gigabit Ethernet
 * Controllers Software Developer's Manual (8254x SDM), separately from the driver. */
#ifndef EXOLAB_E1000_MODEL_H
#define EXOLAB_E1000_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define E1KM_BAR_BYTES 0x20000 /* BAR0: 128 KiB of registers (13.1) */
#define E1KM_WIRE_MAX  4096    /* frames the wire remembers */
#define E1KM_FRAME_MAX 2048

/* Receive error bits an injected frame may carry (3.2.3.2: CE, SE, SEQ, CXE, RXE).  A frame
 * with any of them is stored only with RCTL.SBP (13.4.22), else dropped and counted in
 * crc_errors (the CRCERRS statistic, 13.7). */
#define E1KM_RXE_CE  0x01u
#define E1KM_RXE_RXE 0x80u

struct e1km_frame {
	uint16_t len;
	uint8_t data[E1KM_FRAME_MAX];
};

struct e1000_model {
	uint8_t *mem; /* simulated physical memory, address 0 at mem[0] */
	size_t mem_size;

	/* The EEPROM (5.6: words 0-2 the MAC) and whether a reset loads RAL0/RAH0 from it. */
	uint16_t eeprom[64];
	bool autoload;

	/* Registers. */
	uint32_t ctrl, rctl, tctl, tipg, eerd, ims, icr, mdic;
	uint32_t ral, rah, mta[128];
	uint32_t rdbal, rdbah, rdlen, rdh, rdt;
	uint32_t tdbal, tdbah, tdlen, tdh, tdt;
	uint16_t phy[32];
	bool link;
	unsigned reset_reads; /* CTRL reads that still show RST after a reset */
	unsigned reset_delay; /* reset_reads after each reset */

	bool tx_paused;        /* TDT writes only record; e1000_model_run transmits */
	bool tx_pending;       /* a TDT write since the last run */
	struct e1km_frame txf; /* the frame being assembled: descriptors up to EOP (3.3.3) */

	struct e1km_frame *wire; /* frames transmitted, wire[0] first */
	unsigned nwire;

	/* exosim and the diagnostics tests: the simulated cycle for messages (NULL: 0), a hook
	 * called with each message (exosim's --strict stops there), and a sink that takes each
	 * transmitted frame instead of the wire array (exosim's traffic sink). */
	const uint64_t *clock;
	void *hook_ctx;
	void (*on_error)(void *ctx, const char *msg);
	void (*on_tx)(void *ctx, const uint8_t *frame, unsigned len);
	uint8_t *tx_held; /* 256-byte blocks a NIC-owned TX descriptor points into (a bitmap) */
	uint8_t *rx_held; /* the same for RX descriptors */

	uint64_t tdt_writes, rdt_writes, icr_reads, resets;
	uint64_t rx_missed, rx_filtered, rx_long, crc_errors; /* MPC, -, ROC, CRCERRS (13.7) */
	unsigned protocol_errors;
	char last_error[320]; /* "e1000: RULE (8254x SDM §x) at cycle N" */
};

/* Returns 0, or -1 when the wire cannot be allocated.  The link is up, the EEPROM holds `mac`
 * and is loaded at reset (autoload), as on QEMU's e1000. */
int e1000_model_init(struct e1000_model *m, void *mem, size_t mem_size, const uint8_t mac[6]);
void e1000_model_fini(struct e1000_model *m);

/* BAR accesses; the signatures match simhal_mmio_ops.  Only aligned 32-bit accesses exist. */
uint64_t e1000_model_mmio_read(void *m, uint64_t off, unsigned size);
void e1000_model_mmio_write(void *m, uint64_t off, unsigned size, uint64_t val);

/* A frame arrives from the wire (`len` bytes without its FCS, at least 60: the wire carries
 * padded frames; the model appends the FCS unless RCTL.SECRC), with receive error bits
 * `errors`.  Returns true when it was written to descriptors, false when the receiver is off,
 * the filter refused it, or it was dropped (rx_missed: no free descriptor; rx_long: over 1522
 * bytes without RCTL.LPE; crc_errors: an error without RCTL.SBP). */
bool e1000_model_inject(struct e1000_model *m, const void *frame, unsigned len, uint8_t errors);

/* Transmits what TDT writes handed over while tx_paused. */
void e1000_model_run(struct e1000_model *m);

/* The interrupt line: a cause both pending and unmasked (13.4.17-13.4.21). */
bool e1000_model_irq(const struct e1000_model *m);

/* Descriptors the NIC owns now: receive [RDH, RDT), transmit [TDH, TDT). */
unsigned e1000_model_rx_owned(const struct e1000_model *m);
unsigned e1000_model_tx_owned(const struct e1000_model *m);

#endif
