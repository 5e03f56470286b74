/* The Intel 82540EM (e1000) registers and descriptors the driver uses (e1000.c), from the
 * PCI/PCI-X Family of Gigabit Ethernet Controllers Software Developer's Manual (8254x SDM):
 * chapter 13 for the registers (offsets in BAR0, all 32-bit), chapter 3 for the legacy
 * descriptors.  Private to e1000.c. */
#ifndef EXOLAB_E1000_REGS_H
#define EXOLAB_E1000_REGS_H

#include <stdint.h>

/* 13.4.1 Device Control */
#define E1000_CTRL         0x0000u
#define E1000_CTRL_ASDE    (1u << 5)  /* auto-speed detection */
#define E1000_CTRL_SLU     (1u << 6)  /* set link up */
#define E1000_CTRL_RST     (1u << 26) /* device reset, self-clearing */
#define E1000_CTRL_VME     (1u << 30)
#define E1000_CTRL_PHY_RST (1u << 31)
#define E1000_CTRL_LRST    (1u << 3)
#define E1000_CTRL_ILOS    (1u << 7)

/* 13.4.2 Device Status */
#define E1000_STATUS    0x0008u
#define E1000_STATUS_LU (1u << 1) /* link up */

/* 13.4.4 EEPROM Read (82540EM layout: address in 15:8, data in 31:16) */
#define E1000_EERD       0x0014u
#define E1000_EERD_START (1u << 0)
#define E1000_EERD_DONE  (1u << 4)

/* 13.4.7 MDI Control: PHY register access (PHY address 1 on the 82540EM) */
#define E1000_MDIC       0x0020u
#define E1000_MDIC_READ  (2u << 26)
#define E1000_MDIC_WRITE (1u << 26)
#define E1000_MDIC_READY (1u << 28)
#define E1000_MDIC_ERROR (1u << 30)
#define E1000_MDIC_PHY1  (1u << 21)
/* PHY Control register (PHY register 0, IEEE 802.3 clause 22.2.4.1) */
#define E1000_PHY_CTRL          0u
#define E1000_PHY_CTRL_LOOPBACK (1u << 14)

/* 13.4.17-13.4.21 Interrupt Cause Read/Set, Mask Set/Read, Mask Clear */
#define E1000_ICR        0x00c0u
#define E1000_ICS        0x00c8u
#define E1000_IMS        0x00d0u
#define E1000_IMC        0x00d8u
#define E1000_ICR_TXDW   (1u << 0) /* a transmit descriptor written back */
#define E1000_ICR_LSC    (1u << 2) /* link status change */
#define E1000_ICR_RXDMT0 (1u << 4) /* receive ring below its threshold */
#define E1000_ICR_RXO    (1u << 6) /* receiver overrun */
#define E1000_ICR_RXT0   (1u << 7) /* receiver timer: a frame arrived */

/* 13.4.22 Receive Control */
#define E1000_RCTL       0x0100u
#define E1000_RCTL_EN    (1u << 1)
#define E1000_RCTL_LPE   (1u << 5)  /* long packets (over 1522 bytes) */
#define E1000_RCTL_BAM   (1u << 15) /* accept broadcast */
#define E1000_RCTL_SECRC (1u << 26) /* strip the Ethernet CRC */
/* BSIZE (17:16) 00 with BSEX 0: 2048-byte buffers; RDMTS (9:8) 00: threshold half the ring */

/* 13.4.33 Transmit Control, 13.4.34 Transmit IPG */
#define E1000_TCTL       0x0400u
#define E1000_TCTL_EN    (1u << 1)
#define E1000_TCTL_PSP   (1u << 3)     /* pad short packets to 64 bytes */
#define E1000_TCTL_CT    (0x0fu << 4)  /* collision threshold: 15, the SDM's value */
#define E1000_TCTL_COLD  (0x40u << 12) /* collision distance, full duplex (14.5) */
#define E1000_TIPG       0x0410u
#define E1000_TIPG_8254X (10u | 8u << 10 | 6u << 20) /* IPGT 10, IPGR1 8, IPGR2 6 (copper) */

/* 13.4.25-13.4.29 receive ring, 13.4.38-13.4.42 transmit ring */
#define E1000_RDBAL 0x2800u
#define E1000_RDBAH 0x2804u
#define E1000_RDLEN 0x2808u
#define E1000_RDH   0x2810u
#define E1000_RDT   0x2818u
#define E1000_TDBAL 0x3800u
#define E1000_TDBAH 0x3804u
#define E1000_TDLEN 0x3808u
#define E1000_TDH   0x3810u
#define E1000_TDT   0x3818u

/* 13.5.1 Multicast Table Array (128 dwords), 13.5.2-13.5.3 Receive Address 0 */
#define E1000_MTA    0x5200u
#define E1000_MTA_N  128u
#define E1000_RAL0   0x5400u
#define E1000_RAH0   0x5404u
#define E1000_RAH_AV (1u << 31) /* address valid */

/* 3.2.3 Legacy receive descriptor: 16 bytes, written back by the NIC. */
struct e1000_rx_desc {
	uint64_t addr;
	uint16_t len;
	uint16_t csum;
	uint8_t status;
	uint8_t errors;
	uint16_t special;
};
#define E1000_RXD_DD  (1u << 0) /* 3.2.3.1: descriptor done */
#define E1000_RXD_EOP (1u << 1) /* end of packet */
/* 3.2.3.2: CRC/alignment, symbol, sequence, carrier extension and RX data errors.  TCPE and
 * IPE (bits 5, 6) are checksum offload results, which the driver does not enable. */
#define E1000_RXE_FRAME 0x97u

/* 3.3.3 Legacy transmit descriptor: 16 bytes. */
struct e1000_tx_desc {
	uint64_t addr;
	uint16_t len;
	uint8_t cso;
	uint8_t cmd;
	uint8_t status;
	uint8_t css;
	uint16_t special;
};
#define E1000_TXD_CMD_EOP  (1u << 0) /* 3.3.3.1: end of packet */
#define E1000_TXD_CMD_IFCS (1u << 1) /* insert the FCS */
#define E1000_TXD_CMD_RS   (1u << 3) /* report status: DD when done */
#define E1000_TXD_DD       (1u << 0) /* 3.3.3.2: descriptor done */
#define E1000_TXD_EC_LC    (3u << 1) /* excess or late collisions: not sent */

#endif
