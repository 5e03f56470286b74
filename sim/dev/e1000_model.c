/* The 82540EM descriptor engine model (e1000_model.h): registers, the receive and transmit
 * rings of legacy descriptors, interrupt causes, the wire.  Section numbers are those of the
 * 8254x Software Developer's Manual (SDM).  A register the model does not know, or an access
 * that is not an aligned dword (chapter 13: the registers are 32 bits wide), is
 * a protocol error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
model_error(struct e1000_model *m, const char *fmt, ...)
{
	va_list ap;

	m->protocol_errors++;
	va_start(ap, fmt);
	vsnprintf(m->last_error, sizeof(m->last_error), fmt, ap);
	va_end(ap);
}

static bool
range_ok(const struct e1000_model *m, uint64_t pa, uint64_t len)
{
	return pa <= m->mem_size && len <= m->mem_size - pa;
}

/* 13.4.1: CTRL.RST resets the MAC's registers (not PCI configuration) and reloads what the
 * EEPROM holds: RAL0/RAH0 with AV when the EEPROM says so (5.6). */
static void
mac_reset(struct e1000_model *m)
{
	m->ctrl = m->rctl = m->tctl = m->tipg = m->eerd = m->ims = m->icr = m->mdic = 0;
	m->rdbal = m->rdbah = m->rdlen = m->rdh = m->rdt = 0;
	m->tdbal = m->tdbah = m->tdlen = m->tdh = m->tdt = 0;
	memset(m->mta, 0, sizeof(m->mta));
	m->ral = m->rah = 0;
	if (m->autoload) {
		m->ral = m->eeprom[0] | (uint32_t)m->eeprom[1] << 16;
		m->rah = m->eeprom[2] | RAH_AV;
	}
	m->tx_pending = false;
	m->txf.len = 0;
	m->reset_reads = m->reset_delay;
	m->resets++;
}

int
e1000_model_init(struct e1000_model *m, void *mem, size_t mem_size, const uint8_t mac[6])
{
	memset(m, 0, sizeof(*m));
	m->mem = mem;
	m->mem_size = mem_size;
	for (unsigned i = 0; i < 3; i++)
		m->eeprom[i] = (uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
	m->autoload = true;
	m->link = true;
	m->reset_delay = 3;
	m->phy[0] = 0x1140; /* PHY Control: autonegotiation enabled, full duplex */
	m->wire = calloc(E1KM_WIRE_MAX, sizeof(*m->wire));
	if (m->wire == NULL)
		return -1;
	mac_reset(m);
	m->reset_reads = 0;
	m->resets = 0;
	return 0;
}

void
e1000_model_fini(struct e1000_model *m)
{
	free(m->wire);
	m->wire = NULL;
}

bool
e1000_model_irq(const struct e1000_model *m)
{
	return (m->icr & m->ims) != 0;
}

static unsigned
ring_n(uint32_t len)
{
	return len / 16;
}

static unsigned
owned(unsigned head, unsigned tail, unsigned n)
{
	return n == 0 ? 0 : (tail + n - head) % n;
}

unsigned
e1000_model_rx_owned(const struct e1000_model *m)
{
	return owned(m->rdh, m->rdt, ring_n(m->rdlen));
}

unsigned
e1000_model_tx_owned(const struct e1000_model *m)
{
	return owned(m->tdh, m->tdt, ring_n(m->tdlen));
}

/* A ring the NIC may walk: base and length set, aligned (13.4.25/13.4.27, 13.4.38/13.4.40:
 * the base 16-byte aligned, the length a multiple of 128 bytes) and inside memory. */
static bool
ring_ok(struct e1000_model *m, const char *ring, uint64_t base, uint32_t len)
{
	if (len == 0 || (len & 127) != 0 || (base & 15) != 0) {
		model_error(m,
		            "%s ring: base 0x%llx length %u (13.4.25/13.4.38: base 16-byte, "
		            "length 128-byte aligned, not 0)",
		            ring, (unsigned long long)base, len);
		return false;
	}
	if (base == 0 || !range_ok(m, base, len)) {
		model_error(m, "%s ring at 0x%llx+%u outside memory", ring,
		            (unsigned long long)base, len);
		return false;
	}
	return true;
}

/* IEEE 802.3 CRC-32 (reflected, polynomial 0xedb88320), the frame check sequence. */
static uint32_t
crc32(const uint8_t *p, unsigned len)
{
	uint32_t c = 0xffffffffu;

	for (unsigned i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & -(c & 1));
	}
	return ~c;
}

/* 13.4.22 and 13.5.1: the receive filter.  Broadcast with BAM; multicast with MPE or its bit
 * in the MTA (RCTL.MO 00: destination bits 47:36 index the 4096-bit table); unicast with UPE
 * or equal to RAL0/RAH0 when AV. */
static bool
rx_accept(const struct e1000_model *m, const uint8_t *f)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t mine[6];

	if (memcmp(f, bcast, 6) == 0)
		return (m->rctl & RCTL_BAM) != 0;
	if (f[0] & 1) {
		unsigned idx = (f[4] >> 4 | (unsigned)f[5] << 4) & 0xfff;

		return (m->rctl & RCTL_MPE) || (m->mta[idx >> 5] >> (idx & 31) & 1);
	}
	if (m->rctl & RCTL_UPE)
		return true;
	memcpy(mine, &m->ral, 4);
	mine[4] = (uint8_t)m->rah;
	mine[5] = (uint8_t)(m->rah >> 8);
	return (m->rah & RAH_AV) && memcmp(f, mine, 6) == 0;
}

/* 13.4.22 BSIZE/BSEX: the receive buffer size. */
static unsigned
rx_buf_size(const struct e1000_model *m)
{
	static const unsigned sz[2][4] = { { 2048, 1024, 512, 256 }, { 0, 16384, 8192, 4096 } };

	return sz[(m->rctl & RCTL_BSEX) != 0][(m->rctl >> 16) & 3];
}

/* Writes `len` bytes of frame `f` into the descriptors from RDH on (3.2: a frame longer than
 * the buffer spans descriptors, EOP on its last); status written last, DD set. */
static bool
rx_store(struct e1000_model *m, const uint8_t *f, unsigned len, uint8_t errors)
{
	unsigned n = ring_n(m->rdlen), bsize = rx_buf_size(m);
	uint64_t base = (uint64_t)m->rdbah << 32 | m->rdbal;

	for (unsigned done = 0; done < len;) {
		uint64_t d = base + 16ull * m->rdh, addr;
		unsigned seg = len - done < bsize ? len - done : bsize;
		uint16_t l = (uint16_t)seg;

		memcpy(&addr, m->mem + d + D_ADDR, 8);
		if (addr == 0 || !range_ok(m, addr, bsize)) {
			model_error(m,
			            "RX descriptor %u: buffer address 0x%llx (3.2.3: a buffer of "
			            "%u bytes in memory)",
			            m->rdh, (unsigned long long)addr, bsize);
			return false;
		}
		memcpy(m->mem + addr, f + done, seg);
		done += seg;
		memcpy(m->mem + d + D_LEN, &l, 2);
		memset(m->mem + d + D_LEN + 2, 0, 2); /* checksum: no offload */
		m->mem[d + RXD_ERRORS] = done == len ? errors : 0;
		memset(m->mem + d + 14, 0, 2);
		__atomic_thread_fence(__ATOMIC_RELEASE);
		m->mem[d + RXD_STATUS] = (uint8_t)(RXD_DD | (done == len ? RXD_EOP : 0));
		m->rdh = (m->rdh + 1) % n;
	}
	return true;
}

bool
e1000_model_inject(struct e1000_model *m, const void *frame, unsigned len, uint8_t errors)
{
	uint8_t buf[E1KM_FRAME_MAX + 4];
	unsigned total = len + 4, bsize;

	if (len < 60 || total > sizeof(buf) || !(m->rctl & RCTL_EN))
		return false;
	if (!rx_accept(m, frame)) {
		m->rx_filtered++;
		return false;
	}
	if (total > 1522 && !(m->rctl & RCTL_LPE)) {
		m->rx_long++; /* 13.4.22 LPE: longer frames are dropped (ROC, 13.7) */
		return false;
	}
	if (errors != 0 && !(m->rctl & RCTL_SBP)) {
		m->crc_errors++; /* 13.4.22 SBP: bad frames are not stored */
		return false;
	}
	if (!ring_ok(m, "RX", (uint64_t)m->rdbah << 32 | m->rdbal, m->rdlen))
		return false;
	memcpy(buf, frame, len);
	uint32_t fcs = crc32(buf, len);
	memcpy(buf + len, &fcs, 4);
	if (m->rctl & RCTL_SECRC)
		total = len;
	bsize = rx_buf_size(m);
	if ((total + bsize - 1) / bsize > e1000_model_rx_owned(m)) {
		m->rx_missed++; /* 3.2.6: no free descriptor, the frame is lost (MPC) */
		m->icr |= ICR_RXO;
		return false;
	}
	if (!rx_store(m, buf, total, (uint8_t)errors))
		return false;
	m->icr |= ICR_RXT0; /* RDTR 0: at once (13.4.30) */
	/* 13.4.22 RDMTS 00: free descriptors at or below half the ring. */
	if (e1000_model_rx_owned(m) <= ring_n(m->rdlen) / 2)
		m->icr |= ICR_RXDMT0;
	return true;
}

/* Reads the transmit descriptor at TDH and appends its buffer to the frame being assembled;
 * false when the NIC must stop. */
static bool
tx_one(struct e1000_model *m, uint64_t base, struct e1km_frame *f)
{
	uint64_t d = base + 16ull * m->tdh, addr;
	uint8_t cmd = m->mem[d + TXD_CMD];
	uint16_t len;

	memcpy(&addr, m->mem + d + D_ADDR, 8);
	memcpy(&len, m->mem + d + D_LEN, 2);
	if (cmd & TXD_DEXT) {
		model_error(m,
		            "TX descriptor %u: DEXT set (an extended descriptor); "
		            "the model knows legacy descriptors only",
		            m->tdh);
		return false;
	}
	if (addr == 0 || len == 0 || len > TXD_LEN_MAX || !range_ok(m, addr, len) ||
	    f->len + len > E1KM_FRAME_MAX) {
		model_error(m, "TX descriptor %u: buffer 0x%llx length %u (3.3.3)", m->tdh,
		            (unsigned long long)addr, len);
		return false;
	}
	memcpy(f->data + f->len, m->mem + addr, len);
	f->len = (uint16_t)(f->len + len);
	if (cmd & TXD_RS) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		m->mem[d + TXD_STATUS] |= TXD_DD; /* 3.3.3.2: written back only when RS asks */
		m->icr |= ICR_TXDW;
	}
	if (cmd & TXD_EOP) {
		if (!(cmd & TXD_IFCS))
			model_error(m, "TX frame without IFCS: it leaves with no FCS (3.3.3.1)");
		if ((m->tctl & TCTL_PSP) && f->len < 60) {
			memset(f->data + f->len, 0, 60u - f->len); /* 13.4.33 PSP */
			f->len = 60;
		}
		if (m->nwire < E1KM_WIRE_MAX)
			m->wire[m->nwire++] = *f;
		else
			model_error(m, "wire full");
		f->len = 0;
	}
	m->tdh = (m->tdh + 1) % ring_n(m->tdlen);
	return true;
}

/* 3.4: the NIC sends the descriptors [TDH, TDT). */
static void
transmit(struct e1000_model *m)
{
	uint64_t base = (uint64_t)m->tdbah << 32 | m->tdbal;

	if (!(m->tctl & TCTL_EN) || m->tdh == m->tdt)
		return;
	if (!ring_ok(m, "TX", base, m->tdlen))
		return;
	while (m->tdh != m->tdt && tx_one(m, base, &m->txf))
		;
	if (m->tdh == m->tdt)
		m->icr |= ICR_TXQE;
}

void
e1000_model_run(struct e1000_model *m)
{
	if (m->tx_pending) {
		m->tx_pending = false;
		transmit(m);
	}
}

/* A new tail (13.4.29 RDT, 13.4.42 TDT): inside the ring, and never moved back over
 * descriptors already handed to the NIC ([head, old tail) stays the NIC's). */
static bool
tail_ok(struct e1000_model *m, const char *reg, uint32_t head, uint32_t old, uint32_t v,
        uint32_t len)
{
	unsigned n = ring_n(len);

	if (v >= n) {
		model_error(m, "%s %u beyond the ring of %u descriptors: ignored", reg, v, n);
		return false;
	}
	if (owned(head, v, n) < owned(head, old, n)) {
		model_error(m, "%s %u moves back over descriptors the NIC owns (head %u, tail %u)",
		            reg, v, head, old);
		return false;
	}
	return true;
}

/* Ring registers: base and length only while the ring's engine is off, heads only then
 * (13.4.28, 13.4.41: the heads are set up once, before the ring is enabled). */
static bool
ring_write(struct e1000_model *m, uint64_t off, uint32_t v)
{
	bool rx = off < TDBAL, on = rx ? (m->rctl & RCTL_EN) : (m->tctl & TCTL_EN);
	uint32_t *r[] = { rx ? &m->rdbal : &m->tdbal, rx ? &m->rdbah : &m->tdbah,
		          rx ? &m->rdlen : &m->tdlen, NULL, rx ? &m->rdh : &m->tdh };
	unsigned i = (unsigned)(off & 0xff) / 4;

	if (i >= 5 || r[i] == NULL)
		return false;
	if (on)
		model_error(m, "%s ring register 0x%04llx written while enabled", rx ? "RX" : "TX",
		            (unsigned long long)off);
	else
		*r[i] = v;
	return true;
}

#define REG(r, field)                                                                              \
	{                                                                                          \
		r, offsetof(struct e1000_model, field)                                             \
	}

/* The registers that read back what was stored in them. */
static uint32_t *
stored_reg(struct e1000_model *m, uint64_t off)
{
	static const struct {
		uint32_t off;
		size_t field;
	} regs[] = {
		REG(EERD, eerd),   REG(MDIC, mdic),   REG(IMS, ims),     REG(RCTL, rctl),
		REG(TCTL, tctl),   REG(TIPG, tipg),   REG(RDBAL, rdbal), REG(RDBAH, rdbah),
		REG(RDLEN, rdlen), REG(RDH, rdh),     REG(RDT, rdt),     REG(TDBAL, tdbal),
		REG(TDBAH, tdbah), REG(TDLEN, tdlen), REG(TDH, tdh),     REG(TDT, tdt),
		REG(RAL0, ral),    REG(RAH0, rah),
	};

	if (off >= MTA && off < MTA + 4 * 128)
		return &m->mta[(off - MTA) / 4];
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		if (regs[i].off == off)
			return (uint32_t *)((char *)m + regs[i].field);
	return NULL;
}

static uint32_t
reg_read(struct e1000_model *m, uint64_t off)
{
	uint32_t v, *r;

	switch (off) {
	case CTRL:
		if (m->reset_reads > 0 && --m->reset_reads > 0)
			return m->ctrl | CTRL_RST;
		return m->ctrl;
	case STATUS:
		return m->link ? STATUS_LU | STATUS_FD | STATUS_1G : STATUS_FD;
	case ICR:
		v = m->icr; /* 13.4.17: read to clear */
		m->icr = 0;
		m->icr_reads++;
		return v;
	}
	if ((r = stored_reg(m, off)) != NULL)
		return *r;
	model_error(m, "read of unknown register 0x%04llx", (unsigned long long)off);
	return 0;
}

uint64_t
e1000_model_mmio_read(void *mp, uint64_t off, unsigned size)
{
	struct e1000_model *m = mp;

	if (size != 4 || (off & 3) != 0) {
		model_error(m, "read%u at 0x%04llx: registers are aligned dwords (13)", size * 8,
		            (unsigned long long)off);
		return 0;
	}
	return reg_read(m, off);
}

/* 13.4.4: EERD (82540EM: address 15:8, DONE bit 4, data 31:16); done at once. */
static void
eerd_write(struct e1000_model *m, uint32_t v)
{
	unsigned addr = (v >> 8) & 0xff;

	if (!(v & EERD_START))
		return;
	m->eerd =
	    (v & 0xff00u) | EERD_DONE | (uint32_t)(addr < 64 ? m->eeprom[addr] : 0xffff) << 16;
}

/* 13.4.7: MDIC (PHY 1 only; data 15:0, register 20:16, op 27:26); done at once. */
static void
mdic_write(struct e1000_model *m, uint32_t v)
{
	unsigned reg = (v >> 16) & 31, op = (v >> 26) & 3;

	if (op == 1)
		m->phy[reg] = (uint16_t)v;
	m->mdic = (v & ~0xffffu) | MDIC_READY | (op == 2 ? m->phy[reg] : (v & 0xffffu));
}

static void
tail_write(struct e1000_model *m, uint64_t off, uint32_t v)
{
	if (off == RDT) {
		m->rdt_writes++;
		if (tail_ok(m, "RDT", m->rdh, m->rdt, v, m->rdlen))
			m->rdt = v;
		return;
	}
	m->tdt_writes++;
	if (!tail_ok(m, "TDT", m->tdh, m->tdt, v, m->tdlen))
		return;
	m->tdt = v;
	if (m->tx_paused)
		m->tx_pending = true;
	else
		transmit(m);
}

static bool
ctl_write(struct e1000_model *m, uint64_t off, uint32_t v)
{
	switch (off) {
	case CTRL:
		if (v & CTRL_RST)
			mac_reset(m);
		else
			m->ctrl = v;
		return true;
	case EERD:
		eerd_write(m, v);
		return true;
	case MDIC:
		mdic_write(m, v);
		return true;
	case ICR:
		m->icr &= ~v; /* write 1 to clear, as a read does */
		return true;
	case ICS:
		m->icr |= v;
		return true;
	case IMS:
		m->ims |= v;
		return true;
	case IMC:
		m->ims &= ~v;
		return true;
	}
	return false;
}

void
e1000_model_mmio_write(void *mp, uint64_t off, unsigned size, uint64_t val)
{
	struct e1000_model *m = mp;
	uint32_t v = (uint32_t)val;

	if (size != 4 || (off & 3) != 0) {
		model_error(m, "write%u at 0x%04llx: registers are aligned dwords (13)", size * 8,
		            (unsigned long long)off);
		return;
	}
	if (off == RDT || off == TDT) {
		tail_write(m, off, v);
		return;
	}
	if (ctl_write(m, off, v))
		return;
	if ((off >= RDBAL && off <= RDH) || (off >= TDBAL && off <= TDH))
		if (ring_write(m, off, v))
			return;
	uint32_t *r = stored_reg(m, off);
	if (r != NULL && off != EERD && off != MDIC && off != IMS) {
		*r = v; /* RCTL, TCTL, TIPG, RAL0, RAH0, the MTA */
		return;
	}
	model_error(m, "write 0x%x to unknown register 0x%04llx", v, (unsigned long long)off);
}
