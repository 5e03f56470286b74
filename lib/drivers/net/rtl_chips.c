/* The per-chip facts of the Realtek C+ driver (rtl_regs.h): everything in which the RTL8139
 * in C+ mode and the RTL8168/8111 differ for basic receive and transmit. */
#include "rtl_regs.h"

const struct rtl_chip rtl_chip_8139cp = {
	.name = "rtl8139",
	.txpoll = 0xd9, /* 8139C+ datasheet: TPPoll at 0xd9 (QEMU: TxPoll, bit 6 = NPQ) */
	/* CPlusCmd bit 1 C+ RX enable, bit 0 C+ TX enable: the chip is in C mode until set. */
	.cpcr = 0x0003,
	.rxdv_gate = false,
	.has_rms = false,    /* QEMU: RxMaxSize "8169 only"; the descriptor size bounds RX */
	.unlock_cfg = false, /* the C+ registers are not write-protected */
	.link_reg = 0x64,    /* BasicModeStatus (MII BMSR): bit 2 link status */
	.link_width = 2,
	.link_bit = 0x0004,
	.rx_len_mask = 0x1fff, /* 13-bit length (QEMU CP_RX_BUFFER_SIZE_MASK) */
	.rx_res = 1u << 20,    /* 8139C+ RX status: RES (error summary) */
	.rx_runt = 1u << 19,   /* RUNT */
	.rx_crc = 1u << 18,    /* CRC */
	.ring_max = 64,        /* 8139C+: at most 64 descriptors per ring (QEMU wraps there) */
};

const struct rtl_chip rtl_chip_8168 = {
	.name = "rtl8168",
	.txpoll = 0x38, /* per Linux r8169: TxPoll at 0x38, NPQ = 0x40 */
	/* C+ mode is the only mode; per Linux r8169 cp_cmd keeps only CPCMD_MASK bits: no RX
	 * checksum, no VLAN, interrupt timer (INTT) 0. */
	.cpcr = 0x0000,
	/* Per Linux r8169 rtl_hw_start_8168g (8168g and later, the Legion's 8111H among them):
	 * the receive path stays gated until MISC bit 19 is cleared.  On older 8168s 0xf0 is a
	 * register that ignores the bit. */
	.rxdv_gate = true,
	.has_rms = true,    /* per Linux r8169: RxMaxSize at 0xda */
	.unlock_cfg = true, /* per Linux r8169 rtl_hw_start: written between unlock and lock */
	.link_reg = 0x6c,   /* per Linux r8169: PHYstatus at 0x6c, LinkStatus = 0x02 */
	.link_width = 1,
	.link_bit = 0x02,
	.rx_len_mask = 0x3fff, /* per Linux r8169 rtl_rx: status & 0x3fff, FCS included */
	.rx_res = 1u << 21,    /* per Linux r8169: RxRES */
	.rx_runt = 1u << 20,   /* RxRUNT */
	.rx_crc = 1u << 19,    /* RxCRC */
	.ring_max = 1024,      /* per Linux r8169: NUM_RX_DESC up to 1024 */
};
