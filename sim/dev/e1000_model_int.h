/* Internals of the 82540EM model shared by its two files: e1000_model.c (reset, receive,
 * transmit) and e1000_model_regs.c (the register file and the tail writes). */
#ifndef EXOLAB_E1000_MODEL_INT_H
#define EXOLAB_E1000_MODEL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "e1000_model.h"

/* Register offsets (13.4, 13.5). */
enum {
	CTRL = 0x0000,
	STATUS = 0x0008,
	EERD = 0x0014,
	MDIC = 0x0020,
	ICR = 0x00c0,
	ICS = 0x00c8,
	IMS = 0x00d0,
	IMC = 0x00d8,
	RCTL = 0x0100,
	TCTL = 0x0400,
	TIPG = 0x0410,
	RDBAL = 0x2800,
	RDBAH = 0x2804,
	RDLEN = 0x2808,
	RDH = 0x2810,
	RDT = 0x2818,
	TDBAL = 0x3800,
	TDBAH = 0x3804,
	TDLEN = 0x3808,
	TDH = 0x3810,
	TDT = 0x3818,
	MTA = 0x5200,
	RAL0 = 0x5400,
	RAH0 = 0x5404,
};

#define CTRL_RST   (1u << 26)
#define STATUS_FD  (1u << 0)
#define STATUS_LU  (1u << 1)
#define STATUS_1G  (2u << 6)
#define EERD_START (1u << 0)
#define EERD_DONE  (1u << 4)
#define MDIC_READY (1u << 28)
#define RAH_AV     (1u << 31)

#define RCTL_EN    (1u << 1)
#define RCTL_SBP   (1u << 2)
#define RCTL_UPE   (1u << 3)
#define RCTL_MPE   (1u << 4)
#define RCTL_LPE   (1u << 5)
#define RCTL_BAM   (1u << 15)
#define RCTL_BSEX  (1u << 25)
#define RCTL_SECRC (1u << 26)
#define TCTL_EN    (1u << 1)
#define TCTL_PSP   (1u << 3)

/* 13.4.17 interrupt causes. */
#define ICR_TXDW   (1u << 0)
#define ICR_TXQE   (1u << 1)
#define ICR_LSC    (1u << 2)
#define ICR_RXDMT0 (1u << 4)
#define ICR_RXO    (1u << 6)
#define ICR_RXT0   (1u << 7)

/* Legacy descriptors (3.2.3, 3.3.3): byte offsets of their fields, and their bits. */
#define D_ADDR      0
#define D_LEN       8
#define RXD_STATUS  12
#define RXD_ERRORS  13
#define TXD_CMD     11
#define TXD_STATUS  12
#define RXD_DD      0x01u
#define RXD_EOP     0x02u
#define TXD_EOP     0x01u
#define TXD_IFCS    0x02u
#define TXD_RS      0x08u
#define TXD_DEXT    0x20u
#define TXD_DD      0x01u
#define TXD_LEN_MAX 16288u /* 3.3.3: the longest buffer a legacy descriptor may name */

/* A driver mistake: "e1000: RULE (8254x SDM §x) at cycle N" into last_error and the hook. */
void e1km_error(struct e1000_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint8_t *e1km_held_block(const struct e1000_model *m, uint8_t *map, uint64_t addr);
void e1km_held_clear(const struct e1000_model *m);
bool e1km_range_ok(const struct e1000_model *m, uint64_t pa, uint64_t len);
void e1km_mac_reset(struct e1000_model *m);
unsigned e1km_ring_n(uint32_t len);
unsigned e1km_owned(unsigned head, unsigned tail, unsigned n);
void e1km_transmit(struct e1000_model *m);

#endif
