/* The 82540EM model's register file (e1000_model.h): reads and writes of BAR0, the stored
 * registers, EERD and MDIC, the interrupt registers, the ring registers and the tail writes
 * that hand descriptors to the NIC, each checked against the 8254x SDM. */
#include <stddef.h>
#include <string.h>

#include "e1000_model_int.h"

/* A new tail (13.4.29 RDT, 13.4.42 TDT): inside the ring, and never moved back over
 * descriptors already handed to the NIC ([head, old tail) stays the NIC's). */
static bool
tail_ok(struct e1000_model *m, const char *reg, uint32_t head, uint32_t old, uint32_t v,
        uint32_t len)
{
	unsigned n = e1km_ring_n(len);
	const char *sec = reg[0] == 'R' ? "3.2.6" : "3.4";

	if (v >= n) {
		e1km_error(m, "%s %u beyond ring of %u descriptors (8254x SDM §%s)", reg, v, n,
		           sec);
		return false;
	}
	if (v == head && old != head) {
		e1km_error(m,
		           "%s %u passes %cDH %u: the whole ring handed over reads as empty "
		           "(8254x SDM §%s)",
		           reg, v, reg[0], head, sec);
		return false;
	}
	if (e1km_owned(head, v, n) < e1km_owned(head, old, n)) {
		e1km_error(m,
		           "%s %u moves back over descriptors the NIC owns (%cDH %u, %s %u) "
		           "(8254x SDM §%s)",
		           reg, v, reg[0], head, reg, old, sec);
		return false;
	}
	return true;
}

/* The descriptors [old, v) just handed over: a buffer a NIC-owned descriptor already names
 * is a descriptor handed twice. */
static void
hand_over(struct e1000_model *m, bool rx, uint32_t old, uint32_t v)
{
	uint64_t base =
	    rx ? (uint64_t)m->rdbah << 32 | m->rdbal : (uint64_t)m->tdbah << 32 | m->tdbal;
	unsigned n = e1km_ring_n(rx ? m->rdlen : m->tdlen);
	uint8_t *map = rx ? m->rx_held : m->tx_held;

	if (!e1km_range_ok(m, base, 16ull * n))
		return;
	for (uint32_t i = old; i != v; i = (i + 1) % n) {
		uint64_t addr;
		memcpy(&addr, m->mem + base + 16ull * i + D_ADDR, 8);
		uint8_t *b = e1km_held_block(m, map, addr);
		if (b == NULL)
			continue;
		if (*b)
			e1km_error(m,
			           "%s descriptor %u hands buffer 0x%llx the NIC already owns "
			           "(handed twice) (8254x SDM §%s)",
			           rx ? "RX" : "TX", i, (unsigned long long)addr,
			           rx ? "3.2.6" : "3.4");
		*b = 1;
	}
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

	static const char *const names[] = { "BAL", "BAH", "LEN", NULL, "H" };

	if (i >= 5 || r[i] == NULL)
		return false;
	if (on) {
		e1km_error(m, "%cD%s written while %cCTL.EN is set (8254x SDM §%s)", rx ? 'R' : 'T',
		           names[i], rx ? 'R' : 'T', rx ? "14.4" : "14.5");
	} else {
		*r[i] = v;
		if (i == 4)
			e1km_held_clear(m);
	}
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
	e1km_error(m, "read of unknown register 0x%04llx (8254x SDM §13.4)",
	           (unsigned long long)off);
	return 0;
}

uint64_t
e1000_model_mmio_read(void *mp, uint64_t off, unsigned size)
{
	struct e1000_model *m = mp;

	if (size != 4 || (off & 3) != 0) {
		e1km_error(m, "read%u at 0x%04llx: registers are aligned 32-bit (8254x SDM §13)",
		           size * 8, (unsigned long long)off);
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
		if (tail_ok(m, "RDT", m->rdh, m->rdt, v, m->rdlen)) {
			hand_over(m, true, m->rdt, v);
			m->rdt = v;
		}
		return;
	}
	m->tdt_writes++;
	if (!tail_ok(m, "TDT", m->tdh, m->tdt, v, m->tdlen))
		return;
	if (v != m->tdt && !(m->tctl & TCTL_EN))
		e1km_error(
		    m, "TDT %u written while TCTL.EN is clear: nothing is sent (8254x SDM §14.5)",
		    v);
	hand_over(m, false, m->tdt, v);
	m->tdt = v;
	if (m->tx_paused)
		m->tx_pending = true;
	else
		e1km_transmit(m);
}

static bool
ctl_write(struct e1000_model *m, uint64_t off, uint32_t v)
{
	switch (off) {
	case CTRL:
		if (v & CTRL_RST)
			e1km_mac_reset(m);
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
		e1km_error(m, "write%u at 0x%04llx: registers are aligned 32-bit (8254x SDM §13)",
		           size * 8, (unsigned long long)off);
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
	e1km_error(m, "write 0x%x to unknown register 0x%04llx (8254x SDM §13.4)", v,
	           (unsigned long long)off);
}
