/* The Realtek "C+" descriptor family (lib/drivers/net/rtl.c): registers both chips share, the
 * 16-byte descriptor, and the per-chip table (rtl_chips.c) holding what differs.  Sources: the
 * RTL8139C+ datasheet 1.6 ("C+ mode" registers and descriptors, as QEMU's hw/net/rtl8139.c
 * models them) and, for the RTL8168/8111, Linux r8169 (drivers/net/ethernet/realtek/
 * r8169_main.c, enum rtl_registers); "per Linux r8169" marks a fact from there. */
#ifndef EXOLAB_RTL_REGS_H
#define EXOLAB_RTL_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* Registers at the same offset on both chips (BAR offsets). */
#define RTL_IDR0     0x00 /* IDR0-5: the MAC address, read byte by byte */
#define RTL_MAR0     0x08 /* MAR0-7: multicast hash filter */
#define RTL_TNPDS_LO 0x20 /* 8139C+ TNPDS; per Linux r8169: TxDescStartAddrLow at 0x20 */
#define RTL_TNPDS_HI 0x24 /* per Linux r8169: TxDescStartAddrHigh at 0x24 */
#define RTL_CHIPCMD  0x37 /* 8-bit */
#define RTL_IMR      0x3c /* IntrMask, 16-bit */
#define RTL_ISR      0x3e /* IntrStatus, 16-bit, write 1 to clear */
#define RTL_TCR      0x40 /* TxConfig */
#define RTL_RCR      0x44 /* RxConfig */
#define RTL_CFG9346  0x50 /* 8-bit: config register write lock */
#define RTL_RMS      0xda /* RxMaxSize, 16-bit; per Linux r8169 at 0xda (8139C+: none) */
#define RTL_CPCR     0xe0 /* C+ Command register (CPlusCmd), 16-bit */
#define RTL_RDSAR_LO 0xe4 /* 8139C+ RDSAR; per Linux r8169: RxDescAddrLow at 0xe4 */
#define RTL_RDSAR_HI 0xe8 /* per Linux r8169: RxDescAddrHigh at 0xe8 */
#define RTL_MISC     0xf0 /* 8168 only; per Linux r8169: MISC at 0xf0, 32-bit */

#define RTL_MISC_RXDV_GATED 0x00080000u /* per Linux r8169: RXDV_GATED_EN, bit 19 */

#define RTL_CMD_RST 0x10 /* ChipCmd: software reset, reads 1 until done */
#define RTL_CMD_RE  0x08 /* receiver enable */
#define RTL_CMD_TE  0x04 /* transmitter enable */

#define RTL_TXPOLL_NPQ 0x40 /* TxPoll: normal-priority queue has work (both chips) */

#define RTL_CFG9346_UNLOCK 0xc0 /* per Linux r8169: Cfg9346_Unlock */
#define RTL_CFG9346_LOCK   0x00

/* RxConfig: accept broadcast, multicast (MAR) and our own address; no FIFO threshold
 * (7 << 13) and unlimited DMA burst (7 << 8), as Linux r8169 sets RX_FIFO_THRESH and
 * RX_DMA_BURST. */
#define RTL_RCR_AB    0x08
#define RTL_RCR_AM    0x04
#define RTL_RCR_APM   0x02
#define RTL_RCR_VALUE (7u << 13 | 7u << 8 | RTL_RCR_AB | RTL_RCR_AM | RTL_RCR_APM)
/* TxConfig: the standard 9.6 us inter-frame gap (3 << 24) and unlimited DMA burst (7 << 8). */
#define RTL_TCR_VALUE (3u << 24 | 7u << 8)

/* IntrStatus/IntrMask bits (same on both chips; per Linux r8169 rtl_register_content). */
#define RTL_INT_ROK     0x0001
#define RTL_INT_RER     0x0002
#define RTL_INT_TOK     0x0004
#define RTL_INT_TER     0x0008
#define RTL_INT_RDU     0x0010 /* RX descriptor unavailable (RxOverflow) */
#define RTL_INT_LINKCHG 0x0020
#define RTL_INT_FOVW    0x0040
#define RTL_INT_ALL     0xffff
#define RTL_INT_USED                                                                               \
	(RTL_INT_ROK | RTL_INT_RER | RTL_INT_TOK | RTL_INT_TER | RTL_INT_RDU | RTL_INT_LINKCHG |   \
	 RTL_INT_FOVW)

/* The descriptor (8139C+ datasheet "Transmit/Receive Descriptor", per Linux r8169 struct
 * TxDesc/RxDesc): 16 bytes, little-endian, the ring 256-byte aligned. */
struct rtl_desc {
	uint32_t opts1; /* OWN EOR FS LS, status, length */
	uint32_t opts2; /* VLAN tag: unused, written 0 */
	uint64_t addr;  /* the buffer's physical address */
};

#define RTL_DESC_OWN 0x80000000u /* the NIC owns the descriptor */
#define RTL_DESC_EOR 0x40000000u /* last descriptor: the NIC wraps to the ring base */
#define RTL_DESC_FS  0x20000000u /* first segment of a frame */
#define RTL_DESC_LS  0x10000000u /* last segment of a frame */

/* Descriptors per ring: the driver's bound (its buffer indices live in struct net_dev's
 * private bytes); a chip may allow fewer. */
#define RTL_RING_MAX 256u
#define RTL_RING_MIN 4u

/* What differs between the chips: one table entry each (rtl_chips.c). */
struct rtl_chip {
	const char *name;
	uint16_t txpoll;      /* TxPoll register (8-bit) */
	uint16_t cpcr;        /* value written to CPlusCmd */
	bool has_rms;         /* RxMaxSize exists */
	bool unlock_cfg;      /* ring and size registers written with Cfg9346 unlocked */
	bool rxdv_gate;       /* MISC.RXDV_GATED_EN must be cleared before anything is received */
	uint16_t link_reg;    /* link status register */
	uint8_t link_width;   /* its width in bytes: 1 or 2 */
	uint16_t link_bit;    /* the link-up bit in it */
	uint32_t rx_len_mask; /* RX opts1: received length, FCS included */
	uint32_t rx_res;      /* RX opts1: error summary */
	uint32_t rx_runt;     /* RX opts1: runt frame */
	uint32_t rx_crc;      /* RX opts1: CRC error */
	unsigned ring_max;    /* descriptors per ring the chip handles */
};

extern const struct rtl_chip rtl_chip_8139cp, rtl_chip_8168;

#endif
