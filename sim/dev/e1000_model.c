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

#include "crc32.h"
#include "e1000_model.h"
#include "simhal.h"

#include "e1000_model_int.h"

/* A driver mistake: one line "e1000: RULE (8254x SDM §x) at cycle N" (docs/sim.md, "NICs: the
 * driver's mistakes"), kept in last_error, counted and passed to the hook. */
void
e1km_error(struct e1000_model *m, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	m->protocol_errors++;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(m->last_error, sizeof(m->last_error), "e1000: %s at cycle %llu", msg,
	         (unsigned long long)(m->clock ? *m->clock : 0));
	simhal_mmio_src_append(m->last_error, sizeof(m->last_error));
	if (m->on_error)
		m->on_error(m->hook_ctx, m->last_error);
}

/* "Handed twice": the 256-byte blocks that NIC-owned descriptors point into.  A buffer handed
 * over while a descriptor the NIC still owns names it is the driver's mistake (3.2.6, 3.4). */
uint8_t *
e1km_held_block(const struct e1000_model *m, uint8_t *map, uint64_t addr)
{
	return map != NULL && addr != 0 && addr < m->mem_size ? &map[addr >> 8] : NULL;
}

void
e1km_held_clear(const struct e1000_model *m)
{
	if (m->rx_held)
		memset(m->rx_held, 0, (m->mem_size >> 8) + 1);
	if (m->tx_held)
		memset(m->tx_held, 0, (m->mem_size >> 8) + 1);
}

static void
held_release(const struct e1000_model *m, uint8_t *map, uint64_t addr)
{
	uint8_t *b = e1km_held_block(m, map, addr);

	if (b)
		*b = 0;
}

bool
e1km_range_ok(const struct e1000_model *m, uint64_t pa, uint64_t len)
{
	return pa <= m->mem_size && len <= m->mem_size - pa;
}

/* 13.4.1: CTRL.RST resets the MAC's registers (not PCI configuration) and reloads what the
 * EEPROM holds: RAL0/RAH0 with AV when the EEPROM says so (5.6). */
void
e1km_mac_reset(struct e1000_model *m)
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
	e1km_held_clear(m);
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
	m->rx_held = calloc((mem_size >> 8) + 1, 1);
	m->tx_held = calloc((mem_size >> 8) + 1, 1);
	if (m->wire == NULL || m->rx_held == NULL || m->tx_held == NULL) {
		e1000_model_fini(m);
		return -1;
	}
	e1km_mac_reset(m);
	m->reset_reads = 0;
	m->resets = 0;
	return 0;
}

void
e1000_model_fini(struct e1000_model *m)
{
	free(m->wire);
	free(m->rx_held);
	free(m->tx_held);
	m->wire = NULL;
	m->rx_held = m->tx_held = NULL;
}

bool
e1000_model_irq(const struct e1000_model *m)
{
	return (m->icr & m->ims) != 0;
}

unsigned
e1km_ring_n(uint32_t len)
{
	return len / 16;
}

unsigned
e1km_owned(unsigned head, unsigned tail, unsigned n)
{
	return n == 0 ? 0 : (tail + n - head) % n;
}

unsigned
e1000_model_rx_owned(const struct e1000_model *m)
{
	return e1km_owned(m->rdh, m->rdt, e1km_ring_n(m->rdlen));
}

unsigned
e1000_model_tx_owned(const struct e1000_model *m)
{
	return e1km_owned(m->tdh, m->tdt, e1km_ring_n(m->tdlen));
}

/* A ring the NIC may walk: base and length set, aligned (13.4.25/13.4.27, 13.4.38/13.4.40:
 * the base 16-byte aligned, the length a multiple of 128 bytes) and inside memory. */
static bool
ring_ok(struct e1000_model *m, const char *ring, uint64_t base, uint32_t len)
{
	bool rx = ring[0] == 'R';
	const char *sec = rx ? "13.4.27" : "13.4.40";

	if (len == 0)
		e1km_error(m, "%s ring in use with %cDLEN 0 (8254x SDM §%s)", ring, ring[0], sec);
	else if ((len & 127) != 0)
		e1km_error(m, "%cDLEN %u not a multiple of 128 bytes (8254x SDM §%s)", ring[0], len,
		           sec);
	else if ((base & 15) != 0)
		e1km_error(m, "%s ring base 0x%llx not 16-byte aligned (8254x SDM §%s)", ring,
		           (unsigned long long)base, rx ? "13.4.25" : "13.4.38");
	else if (base == 0)
		e1km_error(m, "%s ring in use with base address 0, never set (8254x SDM §%s)", ring,
		           rx ? "14.4" : "14.5");
	else if (!e1km_range_ok(m, base, len))
		e1km_error(m, "%s ring 0x%llx+%u outside memory (8254x SDM §%s)", ring,
		           (unsigned long long)base, len, rx ? "3.2.6" : "3.4");
	else
		return true;
	return false;
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
	unsigned n = e1km_ring_n(m->rdlen), bsize = rx_buf_size(m);
	uint64_t base = (uint64_t)m->rdbah << 32 | m->rdbal;

	for (unsigned done = 0; done < len;) {
		uint64_t d = base + 16ull * m->rdh, addr;
		unsigned seg = len - done < bsize ? len - done : bsize;
		uint16_t l = (uint16_t)seg;

		memcpy(&addr, m->mem + d + D_ADDR, 8);
		if (addr == 0) {
			e1km_error(m, "RX descriptor %u has buffer address 0 (8254x SDM §3.2.3)",
			           m->rdh);
			return false;
		}
		if (!e1km_range_ok(m, addr, bsize)) {
			e1km_error(m,
			           "RX descriptor %u buffer 0x%llx+%u outside memory (8254x SDM "
			           "§3.2.3)",
			           m->rdh, (unsigned long long)addr, bsize);
			return false;
		}
		held_release(m, m->rx_held, addr);
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
	if (m->rctl & RCTL_SECRC) {
		total = len; /* stripped: no need to compute it */
	} else {
		uint32_t fcs = simdev_crc32(buf, len);
		memcpy(buf + len, &fcs, 4);
	}
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
	if (e1000_model_rx_owned(m) <= e1km_ring_n(m->rdlen) / 2)
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
		e1km_error(m,
		           "TX descriptor %u has DEXT set: only legacy descriptors are modelled "
		           "(8254x SDM §3.3.3)",
		           m->tdh);
		return false;
	}
	if (addr == 0)
		e1km_error(m, "TX descriptor %u has buffer address 0 (8254x SDM §3.3.3)", m->tdh);
	else if (len == 0)
		e1km_error(m, "TX descriptor %u has length 0 (8254x SDM §3.3.3)", m->tdh);
	else if (len > TXD_LEN_MAX)
		e1km_error(m, "TX descriptor %u length %u over %u (8254x SDM §3.3.3)", m->tdh, len,
		           TXD_LEN_MAX);
	else if (!e1km_range_ok(m, addr, len))
		e1km_error(m, "TX descriptor %u buffer 0x%llx+%u outside memory (8254x SDM §3.3.3)",
		           m->tdh, (unsigned long long)addr, len);
	else if (f->len + len > E1KM_FRAME_MAX)
		e1km_error(m, "TX frame over %u bytes without EOP (8254x SDM §3.3.3)",
		           E1KM_FRAME_MAX);
	else
		goto ok;
	return false;
ok:
	held_release(m, m->tx_held, addr);
	memcpy(f->data + f->len, m->mem + addr, len);
	f->len = (uint16_t)(f->len + len);
	if (cmd & TXD_RS) {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		m->mem[d + TXD_STATUS] |= TXD_DD; /* 3.3.3.2: written back only when RS asks */
		m->icr |= ICR_TXDW;
	}
	if (cmd & TXD_EOP) {
		if (!(cmd & TXD_IFCS))
			e1km_error(m,
			           "TX descriptor %u ends a frame (EOP) without IFCS: it leaves "
			           "with no FCS (8254x SDM §3.3.3.1)",
			           m->tdh);
		if ((m->tctl & TCTL_PSP) && f->len < 60) {
			memset(f->data + f->len, 0, 60u - f->len); /* 13.4.33 PSP */
			f->len = 60;
		}
		if (m->on_tx)
			m->on_tx(m->hook_ctx, f->data, f->len);
		else if (m->nwire < E1KM_WIRE_MAX)
			m->wire[m->nwire++] = *f;
		else
			e1km_error(m, "wire full (the model's %u frames)", E1KM_WIRE_MAX);
		f->len = 0;
	}
	m->tdh = (m->tdh + 1) % e1km_ring_n(m->tdlen);
	return true;
}

/* 3.4: the NIC sends the descriptors [TDH, TDT). */
void
e1km_transmit(struct e1000_model *m)
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
		e1km_transmit(m);
	}
}
