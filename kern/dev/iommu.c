/* Intel VT-d DMA remapping units (issue 14 item 1): the ACPI DMAR table's DRHD units, their
 * root and context tables, register-based invalidation, translation on, and the fault
 * recording registers.  The domains (page tables per driver env) are iommu_domain.c's.
 * Section numbers are those of the Intel Virtualization Technology for Directed I/O
 * Architecture Specification, rev. 4.1 (VT-d).  Legacy mode only (RTADDR.TTM = 00, 16-byte
 * context entries, second-level translation).  Invalidation through the queue (6.5.2) when
 * the unit has one (ECAP.QI), else register-based (6.5.1; also with iommu=reginv, so both
 * are tested).  The env lock protects all of it.
 *
 * Every unit gets the same root table and domains, so a DRHD's device scopes (8.3.1; QEMU
 * 7.2 lists its devices by scope instead of setting INCLUDE_PCI_ALL) need not be read: each
 * unit sees requests only from the devices in its scope, and translates them all alike.
 *
 * RMRRs (8.4) stay mapped for the devices they name: in the domain of the device's driver,
 * and in IOMMU_ENV_FIRMWARE's while it has none (from before translation is on).
 *
 * Firmware is input: a DRHD whose registers are outside the direct map or whose CAP.SAGAW
 * offers neither 3- nor 4-level tables is reported and left untranslated; nothing panics. */
#include "abi/error.h"
#include "acpi.h"
#include "cmdline.h"
#include "console.h"
#include "env.h"
#include "hal.h"
#include "iommu.h"
#include "kvm.h"
#include "lapic.h"
#include "mm.h"
#include "pmm.h"
#include "smp.h"
#include "trap.h"
#include "xstring.h"

CMDLINE_OPTION(iommu, "iommu",
               "iommu=off: no DMA remapping even with a DMAR (trusted drivers); iommu=reginv: "
               "register-based invalidation even with a queue");

/* Remapping registers (10.4, Table 10-1). */
#define REG_CAP    0x08
#define REG_ECAP   0x10
#define REG_GCMD   0x18
#define REG_GSTS   0x1c
#define REG_RTADDR 0x20
#define REG_CCMD   0x28
#define REG_IQH    0x80 /* 10.4: invalidation queue head, tail, address */
#define REG_IQT    0x88
#define REG_IQA    0x90
#define REG_FSTS   0x34
#define REG_FECTL  0x38
#define REG_FEDATA 0x3c
#define REG_FEADDR 0x40
#define REG_FEUADR 0x44

#define GCMD_TE      (1u << 31) /* 10.4.4: persistent bits TE, QIE, IRE, CFI */
#define GCMD_SRTP    (1u << 30) /* one-shot: set root table pointer */
#define GCMD_WBF     (1u << 27) /* one-shot: write-buffer flush */
#define GCMD_QIE     (1u << 26) /* persistent: queued invalidation enable */
#define GCMD_PERSIST (GCMD_TE | (1u << 26) | (1u << 25) | (1u << 23))
#define CCMD_ICC     (1ull << 63) /* 10.4.7: invalidate, cleared by the unit when done */
#define CCMD_GLOBAL  (1ull << 61) /* CIRG = 01 */
#define IOTLB_IVT    (1ull << 63) /* 10.4.8.1 */
#define IOTLB_GLOBAL (1ull << 60) /* IIRG = 01 */
#define IOTLB_DRAIN  (3ull << 48) /* DR | DW: drain reads and writes first */
#define FECTL_IM     (1u << 31)   /* 10.4.10: interrupt mask (IP, bit 30, is the unit's) */
#define FSTS_PFO     (1u << 0)    /* 10.4.9 */
#define FSTS_PPF     (1u << 1)
#define FSTS_IQE     (1u << 4)    /* invalidation queue error: the head descriptor is bad */
#define FRCD_F       (1ull << 63) /* 10.4.14, upper quadword */
#define FRCD_T       (1ull << 62) /* 0: write request, 1: read */
#define CAP_RWBF(c)  (((c) >> 4) & 1)
#define CAP_SAGAW(c) (((c) >> 8) & 0x1f)
#define CAP_FRO(c)   ((((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c)   ((unsigned)(((c) >> 40) & 0xff) + 1)
#define CAP_DRAIN(c) (((c) >> 54) & 3)
#define ECAP_C(e)    ((e)&1) /* page walks snoop the caches */
#define ECAP_QI(e)   (((e) >> 1) & 1)
#define ECAP_IRO(e)  ((((e) >> 8) & 0x3ff) * 16)
#define REG_SPAN     0x1000
/* The fault event's vector: its own, just above msi.c's pool (0x50-0x6F, irq.h).  The pool
 * hands out vectors of PCI functions, whose masking it does in configuration space; a
 * remapping unit is no PCI function and is masked through FECTL.IM instead. */
#define FAULT_VEC  0x70
#define SPIN_LIMIT 10000000u /* a unit that never answers is reported, not waited for */

/* DMAR (8.1): the header, host address width, flags, 10 reserved, then structures of
 * (type 2, length 2).  DRHD (8.3): flags (INCLUDE_PCI_ALL bit 0), size, segment, register
 * base, device scopes.  RMRR (8.4): reserved, segment, base, limit, device scopes.  A device
 * scope (8.3.1): type, length, flags, reserved, enumeration id, start bus, path (dev, fn)... */
#define DMAR_STRUCTS    48
#define DMAR_DRHD       0
#define DMAR_RMRR       1
#define SCOPE_ENDPOINT  1
#define IOMMU_MAX_UNITS 4
#define IOMMU_MAX_RMRR  4
#define POOL_ORDER      8 /* 256 table pages for every domain and context table */
#define POOL_PAGES      (1u << POOL_ORDER)

/* Queued invalidation (6.5.2): one 4 KiB queue of 256 128-bit descriptors (IQA.QS = 0,
 * DW = 0), and the word an invalidation wait descriptor writes when the unit has done every
 * descriptor before it.  Descriptors (6.5.2, legacy 128-bit forms): type in bits 3:0,
 * granularity in bits 5:4 (01: global); the IOTLB one drains reads and writes with bits 7
 * and 6; the wait one has SW (bit 5: write the status data, bits 63:32, to the address in
 * the upper quadword, bits 63:2). */
#define QI_ENTRIES 256
#define QI_CC      0x11ull /* context-cache invalidate, global */
#define QI_IOTLB   0x12ull /* IOTLB invalidate, global */
#define QI_DRAIN   0xc0ull
#define QI_WAIT    0x25ull /* invalidation wait, SW */

struct unit {
	volatile uint8_t *regs;
	uint64_t cap, ecap;
	bool on;
	uint64_t *iq;               /* the queue, NULL: register-based invalidation */
	volatile uint32_t *iq_done; /* the wait descriptor's status word */
	unsigned iq_tail;
};

struct rmrr {
	uint64_t base, limit;
	unsigned bus, devfn;
};

static struct unit units[IOMMU_MAX_UNITS];
static unsigned nunits;
static struct rmrr rmrrs[IOMMU_MAX_RMRR];
static unsigned nrmrrs;
static bool translating, coherent = true, fault_irq_on;
static bool fault_fired;     /* set by the handler, taken under the env lock (iommu_fault_take) */
static uint64_t *root_table; /* 256 root entries (9.1), shared by every unit */
static uint64_t pool_pa;
static uint64_t pool_used[POOL_PAGES / 64];

static uint32_t
rd32(const struct unit *u, unsigned off)
{
	return hal_mmio_read32(u->regs + off);
}

static uint64_t
rd64(const struct unit *u, unsigned off)
{
	return hal_mmio_read64(u->regs + off);
}

static void
wr64(const struct unit *u, unsigned off, uint64_t v)
{
	hal_mmio_write64(u->regs + off, v);
}

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

bool
iommu_on(void)
{
	return translating;
}

/* Table pages come from one block taken at boot, so a domain made or freed never moves the
 * leak-check's page count. */
int64_t
iommu_table_alloc(void)
{
	for (unsigned i = 0; i < POOL_PAGES; i++)
		if (!((pool_used[i / 64] >> (i % 64)) & 1)) {
			uint64_t pa = pool_pa + (uint64_t)i * PAGE_SIZE;

			pool_used[i / 64] |= 1ull << (i % 64);
			memset(hal_phys_to_virt(pa), 0, PAGE_SIZE);
			iommu_flush(hal_phys_to_virt(pa), PAGE_SIZE);
			return (int64_t)pa;
		}
	return E_NOMEM;
}

void
iommu_table_free(uint64_t pa)
{
	unsigned i = (unsigned)((pa - pool_pa) / PAGE_SIZE);

	pool_used[i / 64] &= ~(1ull << (i % 64));
}

/* Without ECAP.C the unit reads tables from memory, not the caches (6.6; 10.4.3). */
void
iommu_flush(const void *p, unsigned len)
{
	if (coherent)
		return;
	for (uintptr_t a = (uintptr_t)p & ~63ul; a < (uintptr_t)p + len; a += 64)
		__asm__ volatile("clflush (%0)" ::"r"(a) : "memory");
	__asm__ volatile("mfence" ::: "memory");
}

/* The 16-byte legacy context entry of bus:devfn (9.3), making its bus's context table when
 * `make`; NULL if there is none (or no page for one). */
uint64_t *
iommu_context_entry(unsigned bus, unsigned devfn, bool make)
{
	uint64_t *re = &root_table[2 * (bus & 0xff)];
	int64_t pa;

	if (!(re[0] & 1)) {
		if (!make || (pa = iommu_table_alloc()) < 0)
			return NULL;
		re[0] = (uint64_t)pa | 1; /* 9.1: context-table pointer, present */
		iommu_flush(re, 16);
	}
	return (uint64_t *)hal_phys_to_virt(re[0] & ~0xfffull) + 2 * (devfn & 0xff);
}

/* Spins until (register & bits) == want; false after SPIN_LIMIT reads. */
static bool
wait32(const struct unit *u, unsigned off, uint32_t bits, uint32_t want)
{
	for (unsigned i = 0; i < SPIN_LIMIT; i++)
		if ((rd32(u, off) & bits) == want)
			return true;
	printf("iommu: unit at 0x%lx: register 0x%x never reached 0x%x\n",
	       hal_virt_to_phys((const void *)u->regs), off, want);
	return false;
}

static bool
wait64(const struct unit *u, unsigned off, uint64_t bit)
{
	for (unsigned i = 0; i < SPIN_LIMIT; i++)
		if (!(rd64(u, off) & bit))
			return true;
	printf("iommu: invalidation at register 0x%x never completed\n", off);
	return false;
}

/* A one-shot or persistent command through GCMD, keeping the persistent bits (10.4.4). */
static bool
gcmd(const struct unit *u, uint32_t cmd, uint32_t status)
{
	uint32_t keep = rd32(u, REG_GSTS) & GCMD_PERSIST;

	hal_mmio_write32(u->regs + REG_GCMD, keep | cmd);
	return wait32(u, REG_GSTS, status, cmd & GCMD_WBF ? 0 : status);
}

static void
qi_put(struct unit *u, uint64_t lo, uint64_t hi)
{
	uint64_t *d = u->iq + 2 * u->iq_tail;

	d[0] = lo;
	d[1] = hi;
	iommu_flush(d, 16);
	u->iq_tail = (u->iq_tail + 1) % QI_ENTRIES;
}

/* Global context-cache and IOTLB invalidation through the queue, then a wait descriptor:
 * the unit processes descriptors in order (6.5.2), so when it has written the status word
 * it has done the two before.  The queue never fills: each call waits until it is empty. */
static void
qi_invalidate(struct unit *u)
{
	*u->iq_done = 0;
	qi_put(u, QI_CC, 0);
	qi_put(u, QI_IOTLB | (CAP_DRAIN(u->cap) ? QI_DRAIN : 0), 0);
	qi_put(u, QI_WAIT | 1ull << 32, hal_virt_to_phys((const void *)u->iq_done));
	wr64(u, REG_IQT, (uint64_t)u->iq_tail << 4); /* 10.4: QT in bits 18:4 */
	for (unsigned i = 0; i < SPIN_LIMIT; i++) {
		if (__atomic_load_n(u->iq_done, __ATOMIC_ACQUIRE) == 1)
			return;
		if (rd32(u, REG_FSTS) & FSTS_IQE)
			break;
	}
	printf("iommu: invalidation queue stuck (head %lu, tail %u, FSTS 0x%x)\n",
	       (unsigned long)(rd64(u, REG_IQH) >> 4), u->iq_tail, rd32(u, REG_FSTS));
}

/* The queue on (6.5.2; 10.4.4: GCMD.QIE after IQT = 0 and IQA are written), or false: the
 * registers stay in use. */
static bool
qi_enable(struct unit *u)
{
	int64_t q, st;

	if (!ECAP_QI(u->ecap) || (q = iommu_table_alloc()) < 0)
		return false;
	if ((st = iommu_table_alloc()) < 0) {
		iommu_table_free((uint64_t)q);
		return false;
	}
	u->iq = hal_phys_to_virt((uint64_t)q);
	u->iq_done = hal_phys_to_virt((uint64_t)st);
	u->iq_tail = 0;
	wr64(u, REG_IQT, 0);
	wr64(u, REG_IQA, (uint64_t)q); /* DW 0: 128-bit descriptors; QS 0: one page */
	if (gcmd(u, GCMD_QIE, GCMD_QIE))
		return true;
	u->iq = NULL;
	iommu_table_free((uint64_t)q);
	iommu_table_free((uint64_t)st);
	return false;
}

/* Global context-cache then IOTLB invalidation, queued (above) or register-based (6.5.1,
 * 10.4.7, 10.4.8.1): the unit forgets every cached context and translation before this
 * returns. */
static void
unit_invalidate(struct unit *u)
{
	unsigned iotlb = ECAP_IRO(u->ecap) + 8;

	if (CAP_RWBF(u->cap))
		gcmd(u, GCMD_WBF, GCMD_WBF); /* 6.8: flush the write buffer first */
	if (u->iq != NULL) {
		qi_invalidate(u);
		return;
	}
	wr64(u, REG_CCMD, CCMD_ICC | CCMD_GLOBAL);
	wait64(u, REG_CCMD, CCMD_ICC);
	wr64(u, iotlb, IOTLB_IVT | IOTLB_GLOBAL | (CAP_DRAIN(u->cap) ? IOTLB_DRAIN : 0));
	wait64(u, iotlb, IOTLB_IVT);
}

bool
iommu_caching_mode(void)
{
	for (unsigned i = 0; i < nunits; i++)
		if (units[i].on && ((units[i].cap >> 7) & 1)) /* CAP.CM, 10.4.2 */
			return true;
	return false;
}

void
iommu_invalidate(void)
{
	for (unsigned i = 0; i < nunits; i++)
		if (units[i].on)
			unit_invalidate(&units[i]);
}

/* Levels of second-level tables every unit supports: 4 (48-bit, SAGAW bit 2) if all do,
 * else 3 (39-bit, bit 1), else 0 (3.6, 10.4.2). */
static unsigned
levels_common(void)
{
	unsigned all = 0x1f;

	for (unsigned i = 0; i < nunits; i++)
		all &= CAP_SAGAW(units[i].cap);
	return (all & 4) ? 4 : (all & 2) ? 3 : 0;
}

/* The fault event (7.3, 10.4.10-10.4.13): a recorded fault makes the unit send the message
 * FEDATA to FEADDR, an MSI in the format of the SDM Vol. 3A 11.11 (no interrupt remapping):
 * fixed delivery of FAULT_VEC to the boot CPU.  The handler masks it (FECTL.IM) and defers
 * the reading of the records to the env lock (knotify_unlock_hook -> iommu_fault_deliver,
 * kern/env/sys_iommu.c); iommu_faults unmasks it once the records are cleared, and a fault
 * recorded meanwhile (FECTL.IP) is sent at the unmask.  Without a local APIC: polled. */
static void
fault_irq(struct trapframe *tf)
{
	for (unsigned i = 0; i < nunits; i++)
		if (units[i].on)
			hal_mmio_write32(units[i].regs + REG_FECTL, FECTL_IM);
	__atomic_store_n(&fault_fired, true, __ATOMIC_RELEASE);
	lapic_eoi();
	env_irq_defer(tf); /* may not return (a tick from user mode) */
}

static void
fault_event_setup(const struct unit *u)
{
	hal_mmio_write32(u->regs + REG_FECTL, FECTL_IM);
	if (!lapic_ready() || smp_apic_id(0) > 0xff)
		return; /* an 8-bit destination only, as msi.c's */
	hal_mmio_write32(u->regs + REG_FEDATA, FAULT_VEC);
	hal_mmio_write32(u->regs + REG_FEADDR, 0xFEE00000u | smp_apic_id(0) << 12);
	hal_mmio_write32(u->regs + REG_FEUADR, 0);
	if (!fault_irq_on)
		trap_register(FAULT_VEC, fault_irq);
	fault_irq_on = true;
	hal_mmio_write32(u->regs + REG_FECTL, 0);
}

bool
iommu_fault_take(void)
{
	return __atomic_exchange_n(&fault_fired, false, __ATOMIC_ACQ_REL);
}

/* Root table pointer, invalidation, translation on (10.4.4-10.4.6). */
static void
unit_enable(struct unit *u)
{
	const char *opt = cmdline_get("iommu");

	wr64(u, REG_RTADDR, hal_virt_to_phys(root_table)); /* TTM 00: legacy mode */
	if (!gcmd(u, GCMD_SRTP, GCMD_SRTP))
		return;
	if (opt == NULL || strcmp(opt, "reginv") != 0)
		(void)qi_enable(u);
	unit_invalidate(u);
	fault_event_setup(u);
	u->on = gcmd(u, GCMD_TE, GCMD_TE);
}

static void
drhd_parse(const uint8_t *s, unsigned len)
{
	uint64_t base = le64(s + 8);
	struct unit *u;

	if (len < 16 || le16(s + 6) != 0)
		return; /* another PCI segment: ExoLab has only segment 0 */
	if (nunits == IOMMU_MAX_UNITS || base == 0 || base + REG_SPAN > kvm_directmap_end()) {
		printf("iommu: DRHD at 0x%lx left out\n", base);
		return;
	}
	u = &units[nunits++];
	u->regs = hal_phys_to_virt(base);
	u->cap = rd64(u, REG_CAP);
	u->ecap = rd64(u, REG_ECAP);
	coherent = coherent && ECAP_C(u->ecap);
}

/* An RMRR whose scope names an endpoint directly below its start bus (path length 1). */
static void
rmrr_parse(const uint8_t *s, unsigned len)
{
	for (unsigned off = 24; off + 8 <= len && nrmrrs < IOMMU_MAX_RMRR;) {
		const uint8_t *d = s + off;

		if (d[1] < 8 || off + d[1] > len)
			break;
		if (d[0] == SCOPE_ENDPOINT && d[1] == 8 && le16(s + 6) == 0)
			rmrrs[nrmrrs++] = (struct rmrr){ le64(s + 8), le64(s + 16), d[5],
				                         (unsigned)(d[6] << 3 | (d[7] & 7)) };
		off += d[1];
	}
}

static void
dmar_parse(const uint8_t *t)
{
	uint32_t len = (uint32_t)le16(t + 4) | (uint32_t)le16(t + 6) << 16;

	for (uint32_t off = DMAR_STRUCTS; off + 4 <= len;) {
		unsigned type = le16(t + off), slen = le16(t + off + 2);

		if (slen < 4 || off + slen > len) {
			printf("iommu: DMAR structure at offset %u has length %u; rest skipped\n",
			       off, slen);
			return;
		}
		if (type == DMAR_DRHD)
			drhd_parse(t + off, slen);
		else if (type == DMAR_RMRR && slen >= 24)
			rmrr_parse(t + off, slen);
		off += slen;
	}
}

/* Maps the reserved regions of bus:devfn into env's domain (8.4: the device may DMA there at
 * any time, e.g. a USB controller's legacy emulation). */
int
iommu_rmrr_map(unsigned bus, unsigned devfn, uint64_t env)
{
	int err = 0;

	for (unsigned i = 0; i < nrmrrs && err == 0; i++)
		if (rmrrs[i].bus == bus && rmrrs[i].devfn == devfn &&
		    rmrrs[i].limit > rmrrs[i].base)
			err =
			    iommu_map(env, rmrrs[i].base & ~0xfffull,
			              ((rmrrs[i].limit | 0xfff) + 1 - (rmrrs[i].base & ~0xfffull)) /
			                  PAGE_SIZE);
	return err;
}

/* A device an RMRR names may use its reserved regions at any time, driver or not (8.4: e.g.
 * the display engine's stolen memory, a USB controller's legacy emulation): each one without
 * a domain joins IOMMU_ENV_FIRMWARE's, which maps those regions only.  At boot (before
 * translation is on), and after its driver loses it or dies. */
void
iommu_rmrr_restore(void)
{
	for (unsigned i = 0; i < nrmrrs; i++) {
		uint64_t *ce = iommu_context_entry(rmrrs[i].bus, rmrrs[i].devfn, false);

		if ((ce == NULL || !(ce[0] & 1)) &&
		    iommu_attach(rmrrs[i].bus, rmrrs[i].devfn, IOMMU_ENV_FIRMWARE) < 0)
			printf("iommu: %02x:%02x.%u: no table page for its reserved region\n",
			       rmrrs[i].bus, rmrrs[i].devfn >> 3, rmrrs[i].devfn & 7);
	}
}

void
iommu_init(void)
{
	const char *opt = cmdline_get("iommu");
	unsigned levels, on = 0, queued = 0;
	int64_t pa;

	if (acpi.dmar == 0 || (opt != NULL && strcmp(opt, "off") == 0)) {
		if (acpi.dmar != 0 || opt != NULL)
			printf("iommu: %s: WARNING: devices reach all memory (trusted drivers)\n",
			       acpi.dmar == 0 ? "none" : "off");
		return;
	}
	dmar_parse(hal_phys_to_virt(acpi.dmar));
	levels = levels_common();
	if (nunits == 0 || levels == 0 || (pa = pmm_alloc(POOL_ORDER)) < 0) {
		printf("iommu: %u units, none usable: WARNING: devices reach all memory\n", nunits);
		return;
	}
	pool_pa = (uint64_t)pa;
	root_table = hal_phys_to_virt((uint64_t)iommu_table_alloc());
	iommu_domain_setup(levels);
	translating = true; /* for iommu_attach: the reserved regions' context entries first */
	iommu_rmrr_restore();
	for (unsigned i = 0; i < nunits; i++) {
		unit_enable(&units[i]);
		on += units[i].on;
		queued += units[i].on && units[i].iq != NULL;
	}
	translating = on > 0;
	printf("iommu: %u units, translation %s (%u-level tables, %u RMRRs, %s invalidation)\n", on,
	       translating ? "on" : "off", levels, nrmrrs,
	       queued == on  ? "queued"
	       : queued == 0 ? "register"
	                     : "mixed");
}

static const char *
reason_name(unsigned r)
{
	static const char *const names[] = {
		[1] = "root entry not present", [2] = "context entry not present",
		[3] = "bad context entry",      [4] = "address beyond the width",
		[5] = "no write permission",    [6] = "no read permission",
		[7] = "bad paging entry",       [0xd] = "reserved bit in a paging entry",
	};

	return r < sizeof(names) / sizeof(names[0]) && names[r] ? names[r] : "other";
}

/* One fault record (10.4.14): printed, counted against the device's domain, cleared. */
static void
fault_record(const struct unit *u, unsigned off)
{
	uint64_t hi = rd64(u, off + 8), lo = rd64(u, off);
	unsigned sid = (unsigned)(hi & 0xffff), reason = (unsigned)(hi >> 32) & 0xff;
	uint64_t *ce = iommu_context_entry(sid >> 8, sid & 0xff, false);
	unsigned did = ce != NULL ? (unsigned)(ce[1] >> 8) & 0xffff : 0; /* kept by a detach */

	printf("iommu: fault: %02x:%02x.%u %s at 0x%lx blocked: %s (reason %u), env %lx\n",
	       sid >> 8, (sid >> 3) & 0x1f, sid & 7, (hi & FRCD_T) ? "read" : "write",
	       (unsigned long)(lo & ~0xfffull), reason_name(reason), reason, iommu_domain_env(did));
	iommu_domain_fault(did);
	hal_mmio_write32(u->regs + off + 12, 1u << 31); /* F is write-1-to-clear */
}

uint64_t
iommu_faults(uint64_t env)
{
	for (unsigned i = 0; i < nunits; i++) {
		const struct unit *u = &units[i];
		unsigned n = CAP_NFR(u->cap), fri = (rd32(u, REG_FSTS) >> 8) & 0xff;

		if (!u->on)
			continue;
		for (unsigned k = 0; k < n && (rd32(u, REG_FSTS) & FSTS_PPF); k++) {
			unsigned off = CAP_FRO(u->cap) + ((fri + k) % n) * 16;

			if (rd64(u, off + 8) & FRCD_F)
				fault_record(u, off);
		}
		hal_mmio_write32(u->regs + REG_FSTS, FSTS_PFO); /* overflow noted, cleared */
		if (fault_irq_on) /* records cleared: the next fault raises the event again */
			hal_mmio_write32(u->regs + REG_FECTL, 0);
	}
	return iommu_domain_faults(env);
}
