/* The Realtek C+ descriptor engine model (rtl_model.h): registers, RX and TX rings, the wire.
 * RTL8139C+ facts from its datasheet as QEMU's hw/net/rtl8139.c models them; RTL8168 facts
 * from Linux r8169's register list.  Accesses outside the registers either chip has, or of
 * the wrong width, are protocol errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "rtl_model.h"
#include "simhal.h"

#define OWN 0x80000000u
#define EOR 0x40000000u
#define FS  0x20000000u
#define LS  0x10000000u

#define CMD_RST 0x10
#define CMD_RE  0x08
#define CMD_TE  0x04

#define INT_ROK 0x0001
#define INT_RER 0x0002
#define INT_TOK 0x0004
#define INT_RDU 0x0010

#define RCR_AAP 0x01
#define RCR_APM 0x02
#define RCR_AM  0x04
#define RCR_AB  0x08

/* What differs between the chips, as the model sees it. */
struct chip_desc {
	uint32_t txpoll;
	bool cplus_enables; /* CPlusCmd bits 1/0 gate RX/TX (8139 only) */
	bool has_rms;
	uint32_t len_mask, res, runt, crc;
	unsigned ring_max;
};

static const struct chip_desc chips[] = {
	[RTLM_8139CP] = { 0xd9, true, false, 0x1fff, 1u << 20, 1u << 19, 1u << 18, 64 },
	[RTLM_8168] = { 0x38, false, true, 0x3fff, 1u << 21, 1u << 20, 1u << 19, 1024 },
};

/* A driver mistake: one line "rtl8139|rtl8168: RULE (source) at cycle N" (docs/sim.md, "NICs:
 * the driver's mistakes"), kept in last_error, counted and passed to the hook.  Sources: SRC
 * expands to the chip's ("8139C+ datasheet" or "Linux r8169" for the 8168). */
static void __attribute__((format(printf, 2, 3)))
model_error(struct rtl_model *m, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	m->protocol_errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(m->last_error, sizeof(m->last_error), "%s: %s at cycle %llu",
	         m->chip == RTLM_8139CP ? "rtl8139" : "rtl8168", msg,
	         (unsigned long long)(m->clock ? *m->clock : 0));
	simhal_mmio_src_append(m->last_error, sizeof(m->last_error));
	if (m->on_error)
		m->on_error(m->hook_ctx, m->last_error);
}

static const char *
src(const struct rtl_model *m)
{
	return m->chip == RTLM_8139CP ? "8139C+ datasheet" : "Linux r8169";
}

static void bad_access(struct rtl_model *m, const char *op, uint64_t off, unsigned size);

static const struct chip_desc *
chip(const struct rtl_model *m)
{
	return &chips[m->chip];
}

static bool
range_ok(const struct rtl_model *m, uint64_t pa, uint64_t len)
{
	return pa <= m->mem_size && len <= m->mem_size - pa;
}

static uint32_t
load32(const struct rtl_model *m, uint64_t pa)
{
	uint32_t v;

	memcpy(&v, m->mem + pa, 4);
	return v;
}

static void
store32(struct rtl_model *m, uint64_t pa, uint32_t v)
{
	memcpy(m->mem + pa, &v, 4);
}

/* The registers a ChipCmd RST clears (the MAC stays: it is reloaded from the EEPROM). */
static void
chip_reset(struct rtl_model *m)
{
	m->chipcmd = 0;
	m->cpcr = m->imr = m->isr = m->rms = 0;
	m->tcr = m->rcr = 0;
	m->misc = m->chip == RTLM_8168 ? 0x00080000u : 0;
	memset(m->tx_base, 0, sizeof(m->tx_base));
	memset(m->rx_base, 0, sizeof(m->rx_base));
	m->rx_cur = m->tx_cur = 0;
	m->tx_pending = false;
	m->tx_asm = false;
	m->reset_reads = m->reset_delay;
	m->resets++;
}

int
rtl_model_init(struct rtl_model *m, enum rtlm_chip c, void *mem, size_t mem_size,
               const uint8_t mac[6])
{
	memset(m, 0, sizeof(*m));
	m->chip = c;
	m->mem = mem;
	m->mem_size = mem_size;
	memcpy(m->mac, mac, 6);
	m->link = true;
	m->reset_delay = 3;
	m->wire = calloc(RTLM_WIRE_MAX, sizeof(*m->wire));
	if (m->wire == NULL)
		return -1;
	chip_reset(m);
	m->reset_reads = 0;
	m->resets = 0;
	return 0;
}

void
rtl_model_fini(struct rtl_model *m)
{
	free(m->wire);
	m->wire = NULL;
}

bool
rtl_model_irq(const struct rtl_model *m)
{
	return (m->isr & m->imr) != 0;
}

static uint64_t
base(const uint32_t b[2])
{
	return (uint64_t)b[1] << 32 | b[0];
}

/* The next descriptor after `cur`: index 0 after EOR.  A ring longer than the chip allows
 * (no EOR where it must be) is the driver's bug. */
static unsigned
next_desc(struct rtl_model *m, unsigned cur, uint32_t opts1, const char *ring)
{
	if (opts1 & EOR)
		return 0;
	if (cur + 1 >= chip(m)->ring_max) {
		model_error(m, "%s ring: no EOR within %u descriptors (%s: EOR ends the ring)",
		            ring, chip(m)->ring_max, src(m));
		return 0;
	}
	return cur + 1;
}

static bool
rx_enabled(const struct rtl_model *m)
{
	return (m->chipcmd & CMD_RE) && (!chip(m)->cplus_enables || (m->cpcr & 0x2));
}

static bool
tx_enabled(const struct rtl_model *m)
{
	return (m->chipcmd & CMD_TE) && (!chip(m)->cplus_enables || (m->cpcr & 0x1));
}

/* RxConfig's address filter.  Multicast goes through the 64-bit MAR hash; which bit a group
 * hashes to is modelled only roughly (top 6 bits of the FCS): the driver sets every bit. */
static bool
rx_accept(const struct rtl_model *m, const uint8_t *f)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (m->rcr & RCR_AAP)
		return true;
	if (memcmp(f, bcast, 6) == 0)
		return (m->rcr & RCR_AB) != 0;
	if (f[0] & 1) {
		uint32_t bit = simdev_crc32(f, 6) >> 26;

		return (m->rcr & RCR_AM) && m->mar[bit >> 3] & (1u << (bit & 7));
	}
	return (m->rcr & RCR_APM) && memcmp(f, m->mac, 6) == 0;
}

bool
rtl_model_inject(struct rtl_model *m, const void *frame, unsigned len, enum rtlm_rx_err err)
{
	const struct chip_desc *c = chip(m);
	uint8_t buf[RTLM_FRAME_MAX + 4];
	unsigned n = len < 60 ? 60 : len; /* padded as QEMU's model pads (MIN_BUF_SIZE) */
	uint64_t d = base(m->rx_base) + 16ull * m->rx_cur;
	uint32_t opts1, fcs;
	uint64_t addr;

	if (len < 14 || len > RTLM_FRAME_MAX - 4 || !rx_enabled(m))
		return false;
	if (m->misc & 0x00080000u) {
		m->rx_missed++; /* the receive path is gated off */
		model_error(m,
		            "frame lost: receiver on with MISC RXDV_GATED_EN (bit 19) still set "
		            "(%s rtl_hw_start_8168g)",
		            src(m));
		return false;
	}
	if (base(m->rx_base) == 0) {
		m->rx_missed++; /* QEMU: a ring base never set is ignored, the frame lost */
		return false;
	}
	if (!rx_accept(m, frame)) {
		m->rx_filtered++;
		return false;
	}
	if (!range_ok(m, d, 16)) {
		model_error(m, "RX descriptor %u at 0x%llx outside memory (%s: RDSAR)", m->rx_cur,
		            (unsigned long long)d, src(m));
		return false;
	}
	opts1 = load32(m, d);
	memcpy(&addr, m->mem + d + 8, 8);
	if ((opts1 & OWN) && addr == 0) {
		model_error(
		    m, "RX descriptor %u owned by the NIC has buffer address 0 (%s: RX descriptor)",
		    m->rx_cur, src(m));
		return false;
	}
	if ((opts1 & OWN) && (opts1 & c->len_mask) == 0) {
		model_error(
		    m, "RX descriptor %u owned by the NIC has buffer size 0 (%s: RX descriptor)",
		    m->rx_cur, src(m));
		return false;
	}
	if (!(opts1 & OWN) || n + 4 > (opts1 & c->len_mask) || (c->has_rms && n + 4 > m->rms)) {
		m->rx_missed++; /* no descriptor, or none large enough */
		m->isr |= INT_RDU;
		return false;
	}
	if (!range_ok(m, addr, n + 4)) {
		model_error(m,
		            "RX descriptor %u buffer 0x%llx+%u outside memory (%s: RX descriptor)",
		            m->rx_cur, (unsigned long long)addr, n + 4, src(m));
		return false;
	}
	memcpy(buf, frame, len);
	memset(buf + len, 0, n - len); /* the padding */
	fcs = simdev_crc32(buf, n);
	memcpy(buf + n, &fcs, 4);
	memcpy(m->mem + addr, buf, n + 4);
	opts1 = (opts1 & EOR) | FS | LS | (n + 4);
	if (err == RTLM_RX_CRC)
		opts1 |= c->res | c->crc;
	else if (err == RTLM_RX_RUNT)
		opts1 |= c->res | c->runt;
	store32(m, d + 4, 0);
	store32(m, d, opts1); /* OWN clear last: the frame is there before the driver looks */
	m->isr |= err == RTLM_RX_OK ? INT_ROK : INT_RER;
	m->rx_cur = next_desc(m, m->rx_cur, opts1, "RX");
	return true;
}

/* The segment of TX descriptor `d` (opts1, buffer addr, seg bytes) checked: false when it is
 * the driver's mistake (reported). */
static bool
tx_seg_ok(struct rtl_model *m, uint32_t opts1, uint64_t addr, uint32_t seg)
{
	if (!(opts1 & FS) && !m->tx_asm)
		model_error(m,
		            "TX descriptor %u continues a frame that never began: FS missing (%s: "
		            "TX descriptor)",
		            m->tx_cur, src(m));
	else if (addr == 0)
		model_error(m, "TX descriptor %u has buffer address 0 (%s: TX descriptor)",
		            m->tx_cur, src(m));
	else if (seg == 0)
		model_error(m, "TX descriptor %u has length 0 (%s: TX descriptor)", m->tx_cur,
		            src(m));
	else if (!range_ok(m, addr, seg))
		model_error(m,
		            "TX descriptor %u buffer 0x%llx+%u outside memory (%s: TX descriptor)",
		            m->tx_cur, (unsigned long long)addr, seg, src(m));
	else if ((opts1 & FS ? 0 : m->tx_frame.len) + seg > RTLM_FRAME_MAX)
		model_error(m, "TX frame over %u bytes before LS (%s: TX descriptor)",
		            RTLM_FRAME_MAX, src(m));
	else
		return true;
	return false;
}

/* Reads one TX descriptor and appends its segment; false when the NIC must stop.  `prev`
 * holds the buffers of the descriptors taken in this poll: one named twice was handed twice. */
static bool
tx_one(struct rtl_model *m, uint64_t *prev, unsigned nprev)
{
	uint64_t d = base(m->tx_base) + 16ull * m->tx_cur;
	struct rtlm_frame *f = &m->tx_frame;
	uint32_t opts1, seg;
	uint64_t addr;

	if (!range_ok(m, d, 16)) {
		model_error(m, "TX descriptor %u at 0x%llx outside memory (%s: TNPDS)", m->tx_cur,
		            (unsigned long long)d, src(m));
		return false;
	}
	opts1 = load32(m, d);
	if (!(opts1 & OWN))
		return false;
	memcpy(&addr, m->mem + d + 8, 8);
	seg = opts1 & 0xffff;
	for (unsigned i = 0; i < nprev && addr != 0; i++) {
		if (prev[i] == addr) {
			model_error(
			    m,
			    "TX descriptor %u hands buffer 0x%llx already in a descriptor of "
			    "this poll (handed twice) (%s: OWN)",
			    m->tx_cur, (unsigned long long)addr, src(m));
			break;
		}
	}
	prev[nprev] = addr;
	if (tx_seg_ok(m, opts1, addr, seg)) {
		if (opts1 & FS)
			f->len = 0;
		memcpy(f->data + f->len, m->mem + addr, seg);
		f->len = (uint16_t)(f->len + seg);
		m->tx_asm = !(opts1 & LS);
	} else {
		m->tx_asm = false;
		opts1 &= ~LS; /* the frame is dropped */
	}
	store32(m, d, opts1 & ~OWN);
	if (opts1 & LS) {
		if (m->on_tx)
			m->on_tx(m->hook_ctx, f->data, f->len);
		else if (m->nwire < RTLM_WIRE_MAX)
			m->wire[m->nwire++] = *f;
		else
			model_error(m, "wire full (the model's %u frames)", RTLM_WIRE_MAX);
	}
	m->tx_cur = next_desc(m, m->tx_cur, opts1, "TX");
	return true;
}

static void
transmit(struct rtl_model *m)
{
	uint64_t prev[1024];
	unsigned sent = 0;

	if (!tx_enabled(m)) {
		model_error(m, "TxPoll with the transmitter disabled (ChipCmd.TE%s) (%s: TxPoll)",
		            chip(m)->cplus_enables ? " and CPlusCmd bit 0" : "", src(m));
		return;
	}
	if (base(m->tx_base) == 0) {
		model_error(m, "TxPoll with no TX ring base (TNPDS never set) (%s: TxPoll)",
		            src(m));
		return;
	}
	while (sent < chip(m)->ring_max && tx_one(m, prev, sent))
		sent++;
	if (sent > 0)
		m->isr |= INT_TOK;
}

void
rtl_model_run(struct rtl_model *m)
{
	if (m->tx_pending) {
		m->tx_pending = false;
		transmit(m);
	}
}

/* The link status register each chip has: 8139 BasicModeStatus (MII BMSR, QEMU's reset value
 * 0x7809 | autonegotiation complete, bit 2 link) and MediaStatus bit 2 (LINKB: link *fail*);
 * 8168 PHYstatus (per Linux r8169: LinkStatus 0x02, 1000 Mb/s full duplex 0x10 | 0x01). */
static bool
link_read(const struct rtl_model *m, uint64_t off, unsigned size, uint64_t *val)
{
	if (m->chip == RTLM_8139CP && off == 0x64 && size == 2)
		*val = 0x7829u | (m->link ? 0x04u : 0);
	else if (m->chip == RTLM_8139CP && off == 0x58 && size == 1)
		*val = m->link ? 0 : 0x04;
	else if (m->chip == RTLM_8168 && off == 0x6c && size == 1)
		*val = m->link ? 0x13 : 0;
	else
		return false;
	return true;
}

uint64_t
rtl_model_mmio_read(void *mp, uint64_t off, unsigned size)
{
	struct rtl_model *m = mp;
	uint64_t v = 0;

	if (off < 6 && size == 1)
		return m->mac[off];
	if (off >= 8 && off < 16 && size == 1)
		return m->mar[off - 8];
	if (link_read(m, off, size, &v))
		return v;
	switch (off << 3 | size) {
	case 0x37 << 3 | 1:
		if (m->reset_reads > 0) {
			m->reset_reads--;
			return m->chipcmd | CMD_RST;
		}
		return m->chipcmd;
	case 0x3c << 3 | 2:
		return m->imr;
	case 0x3e << 3 | 2:
		return m->isr;
	case 0x40 << 3 | 4:
		/* Hardware version bits: 8139C+ as QEMU reports it, an 8168 of the "h" family. */
		return m->tcr | (m->chip == RTLM_8139CP ? 0x74800000u : 0x54000000u);
	case 0x44 << 3 | 4:
		return m->rcr;
	case 0x50 << 3 | 1:
		return m->cfg9346;
	case 0xe0 << 3 | 2:
		return m->cpcr;
	case 0xf0 << 3 | 4:
		if (m->chip == RTLM_8168)
			return m->misc;
		break;
	}
	bad_access(m, "read", off, size);
	return 0;
}

static void
chipcmd_write(struct rtl_model *m, uint8_t v)
{
	if (v & CMD_RST) {
		chip_reset(m);
		return;
	}
	if ((v & CMD_RE) && !(m->chipcmd & CMD_RE))
		m->rx_cur = 0; /* QEMU: enabling the receiver restarts at descriptor 0 */
	if ((v & CMD_TE) && !(m->chipcmd & CMD_TE))
		m->tx_cur = 0;
	m->chipcmd = v & (CMD_RE | CMD_TE);
}

/* The ring bases: 256-byte aligned (8139C+ datasheet; per Linux r8169 "needs 256 bytes
 * alignment"), written at any time (as QEMU's model allows). */
static bool
ring_write(struct rtl_model *m, uint64_t off, uint32_t v)
{
	bool tx = off == 0x20 || off == 0x24;
	const char *name = tx ? "TNPDS" : "RDSAR";

	if (!tx && off != 0xe4 && off != 0xe8)
		return false;
	if ((off == 0x20 || off == 0xe4) && (v & 0xff) != 0)
		model_error(m, "%s 0x%x not 256-byte aligned (%s: ring base)", name, v, src(m));
	if (tx)
		m->tx_base[(off - 0x20) / 4] = v;
	else
		m->rx_base[(off - 0xe4) / 4] = v;
	return true;
}

/* The registers either chip has and their widths, for the wrong-width message. */
static const char *
reg_name(const struct rtl_model *m, uint64_t off, unsigned *width)
{
	static const struct {
		uint8_t off, width, chips; /* chips: bit 0 8139C+, bit 1 8168 */
		const char *name;
	} regs[] = {
		{ 0x00, 1, 3, "IDR0" },        { 0x20, 4, 3, "TNPDS" },
		{ 0x24, 4, 3, "TNPDS high" },  { 0x37, 1, 3, "ChipCmd" },
		{ 0x38, 1, 2, "TxPoll" },      { 0x3c, 2, 3, "IMR" },
		{ 0x3e, 2, 3, "ISR" },         { 0x40, 4, 3, "TxConfig" },
		{ 0x44, 4, 3, "RxConfig" },    { 0x50, 1, 3, "Cfg9346" },
		{ 0x58, 1, 1, "MediaStatus" }, { 0x64, 2, 1, "BMSR" },
		{ 0x6c, 1, 2, "PHYstatus" },   { 0xd9, 1, 1, "TxPoll" },
		{ 0xda, 2, 2, "RxMaxSize" },   { 0xe0, 2, 3, "CPlusCmd" },
		{ 0xe4, 4, 3, "RDSAR" },       { 0xe8, 4, 3, "RDSAR high" },
		{ 0xf0, 4, 2, "MISC" },
	};

	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
		if (regs[i].off == off && (regs[i].chips >> m->chip & 1)) {
			*width = regs[i].width;
			return regs[i].name;
		}
	}
	return NULL;
}

/* An access no register answers: the wrong width of a known one, or an unknown offset. */
static void
bad_access(struct rtl_model *m, const char *op, uint64_t off, unsigned size)
{
	unsigned w;
	const char *name = reg_name(m, off, &w);

	if (name != NULL && w != size)
		model_error(m, "%s%u of %s (0x%02llx), which is %u bits wide (%s: registers)", op,
		            size * 8, name, (unsigned long long)off, w * 8, src(m));
	else
		model_error(m, "%s%u of unknown register 0x%02llx (%s: registers)", op, size * 8,
		            (unsigned long long)off, src(m));
}

void
rtl_model_mmio_write(void *mp, uint64_t off, unsigned size, uint64_t val)
{
	struct rtl_model *m = mp;
	uint32_t v = (uint32_t)val;

	if (off == chip(m)->txpoll && size == 1) {
		m->txpolls++;
		if (!(v & 0x40))
			model_error(
			    m, "TxPoll 0x%02x without NPQ (bit 6): nothing is polled (%s: TxPoll)",
			    v, src(m));
		else if (m->tx_paused)
			m->tx_pending = true;
		else
			transmit(m);
		return;
	}
	if (off >= 8 && off < 16 && (size == 1 || (size == 4 && (off & 3) == 0))) {
		memcpy(m->mar + (off - 8), &v, size);
		return;
	}
	if (size == 4 && ring_write(m, off, v))
		return;
	switch (off << 3 | size) {
	case 0x37 << 3 | 1:
		chipcmd_write(m, (uint8_t)v);
		return;
	case 0x3c << 3 | 2:
		m->imr = (uint16_t)v;
		return;
	case 0x3e << 3 | 2:
		m->isr &= (uint16_t)~v; /* write 1 to clear */
		return;
	case 0x40 << 3 | 4:
		m->tcr = v & 0x03ff07ffu;
		return;
	case 0x44 << 3 | 4:
		m->rcr = v;
		return;
	case 0x50 << 3 | 1:
		m->cfg9346 = (uint8_t)v;
		return;
	case 0xe0 << 3 | 2:
		m->cpcr = (uint16_t)v;
		return;
	case 0xf0 << 3 | 4:
		if (m->chip == RTLM_8168) {
			m->misc = v;
			return;
		}
		break;
	case 0xda << 3 | 2:
		if (chip(m)->has_rms) {
			m->rms = (uint16_t)v;
			return;
		}
		break;
	}
	bad_access(m, "write", off, size);
}
