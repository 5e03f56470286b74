/* hwinfo (syscall 66): the facts behind the hardware report (user/hwinfo.c), one record per
 * call (abi/hwinfo.h).  Everything comes from what the kernel already checked at boot: the
 * ACPI tables acpi.c listed (their headers are read again here through the direct map; ACPI
 * memory is never given to the page allocator), the MADT's CPUs, the clocks and how clock.c
 * found them, the boot loader's memory map and framebuffer.  Read-only: no kernel state
 * changes, so no capability guards it (docs/syscall_notes.py). */
#include <stdint.h>

#include "abi/error.h"
#include "abi/hwinfo.h"
#include "acpi.h"
#include "bootinfo.h"
#include "clock.h"
#include "env_impl.h"
#include "hal.h"
#include "iommu.h"
#include "smp.h"
#include "xstring.h"

#define SDT_HEADER_LEN 36 /* ACPI 6.5 5.2.6 */
#define MCFG_ENTRIES   44 /* PCI Firmware 3.x 4.1.2: 8 reserved bytes after the header */
#define MCFG_ENTRY_LEN 16
#define DMAR_HAW       36 /* VT-d 3.x 8.1: host address width - 1 */
#define DMAR_ENTRIES   48 /* remapping structures: type (2), length (2), ... */
#define DMAR_DRHD      0  /* 8.3: flags at 4, segment at 6, register base at 8; 16 bytes */
#define NO_INDEX       0xFFFFFFFFu

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint64_t
le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The listed table with signature `sig` (its length was checked when it was listed). */
static const uint8_t *
table_find(const char *sig)
{
	for (unsigned i = 0; i < acpi.ntables; i++) {
		const uint8_t *t = hal_phys_to_virt(acpi.tables[i]);

		if (memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

static void
fill_acpi(unsigned i, struct abi_hw_acpi *r)
{
	const uint8_t *t = hal_phys_to_virt(acpi.tables[i]);
	uint32_t len = le32(t + 4);
	uint8_t sum = 0;

	memcpy(r->sig, t, 4);
	r->length = len;
	r->addr = acpi.tables[i];
	if (memcmp(t, "FACS", 4) == 0) { /* 5.2.10: no checksum over the whole, no OEM fields */
		r->revision = t[32];
		return;
	}
	for (uint32_t k = 0; k < len; k++)
		sum += t[k];
	r->checksum_ok = sum == 0;
	r->revision = t[8];
	memcpy(r->oem_id, t + 10, 6);
	memcpy(r->oem_table_id, t + 16, 8);
	r->oem_revision = le32(t + 24);
	memcpy(r->creator_id, t + 28, 4);
	r->creator_revision = le32(t + 32);
}

/* The MCFG's entries, every segment: how many there are; entry `want` goes to *r. */
static unsigned
mcfg_walk(unsigned want, struct abi_hw_mcfg *r)
{
	const uint8_t *t = table_find("MCFG");
	unsigned n = 0;

	if (t == NULL)
		return 0;
	for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= le32(t + 4);
	     off += MCFG_ENTRY_LEN, n++) {
		if (n != want)
			continue;
		r->base = le64(t + off);
		r->segment = le16(t + off + 8);
		r->bus_start = t[off + 10];
		r->bus_end = t[off + 11];
		r->used = r->segment == 0 && r->base == acpi.mcfg.base;
	}
	return n;
}

/* The DMAR's DRHD units, likewise (a structure shorter than its kind or running past the
 * table ends the walk, as in kern/dev/iommu.c). */
static unsigned
dmar_walk(unsigned want, struct abi_hw_dmar *r)
{
	const uint8_t *t = acpi.dmar != 0 ? hal_phys_to_virt(acpi.dmar) : NULL;
	uint32_t len, off;
	unsigned n = 0;

	if (t == NULL || (len = le32(t + 4)) < DMAR_ENTRIES)
		return 0;
	for (off = DMAR_ENTRIES; off + 4 <= len; off += le16(t + off + 2)) {
		uint16_t type = le16(t + off), slen = le16(t + off + 2);

		if (slen < 4 || off + slen > len)
			break;
		if (type != DMAR_DRHD || slen < 16)
			continue;
		if (n++ != want)
			continue;
		r->flags = t[off + 4] & ABI_HW_DMAR_INCLUDE_ALL;
		r->segment = le16(t + off + 6);
		r->base = le64(t + off + 8);
		r->haw = (uint8_t)(t[DMAR_HAW] + 1);
	}
	return n;
}

static unsigned
count(unsigned kind)
{
	struct abi_hw_mcfg m;
	struct abi_hw_dmar d;

	switch (kind) {
	case ABI_HW_SUMMARY:
		return 1;
	case ABI_HW_ACPI:
		return acpi.ntables;
	case ABI_HW_CPU:
		return acpi.ncpus;
	case ABI_HW_IOAPIC:
		return acpi.nioapics;
	case ABI_HW_MCFG:
		return mcfg_walk(NO_INDEX, &m);
	case ABI_HW_DMAR:
		return dmar_walk(NO_INDEX, &d);
	case ABI_HW_MEM:
		return bootinfo.nmem;
	default: /* ABI_HW_FB */
		return bootinfo.fb.type != BOOT_FB_NONE;
	}
}

static void
fill_summary(struct abi_hw_summary *s)
{
	const struct acpi_pm_timer *pt = &acpi.pm_timer;

	s->tsc_hz = clock_tsc_hz();
	s->lapic_hz = clock_lapic_hz();
	s->crystal_hz = clock_crystal_hz();
	s->tsc_source = clock_tsc_source();
	s->flags = (clock_uses_tsc_deadline() ? ABI_HW_TSC_DEADLINE : 0) |
	           (pt->present ? ABI_HW_PM_TIMER : 0) |
	           (pt->present && pt->io ? ABI_HW_PM_TIMER_IO : 0) |
	           (pt->present && pt->bits32 ? ABI_HW_PM_TIMER_32 : 0) |
	           (acpi.ntables > 0 && memcmp(hal_phys_to_virt(acpi.tables[0]), "XSDT", 4) == 0
	                ? ABI_HW_ACPI_XSDT
	                : 0) |
	           (iommu_on() ? ABI_HW_IOMMU_ON : 0);
	s->pm_timer_addr = pt->present ? pt->addr : 0;
	s->lapic_addr = acpi.lapic_addr;
	s->cpus_online = smp_cpu_count();
	for (unsigned i = 0; i < s->cpus_online && i < 64; i++)
		s->online |= 1ull << i;
	s->rsdp = bootinfo.rsdp;
	s->rsdp_version = (uint32_t)bootinfo.rsdp_version;
	for (unsigned k = 0; k < ABI_HW_NKINDS; k++)
		s->counts[k] = count(k);
}

static void
fill_cpu(unsigned i, struct abi_hw_cpu *c)
{
	c->apic_id = acpi.cpus[i].apic_id;
	c->uid = acpi.cpus[i].uid;
	c->flags = acpi.cpus[i].enabled ? ABI_HW_CPU_ENABLED : ABI_HW_CPU_ONLINE_CAPABLE;
	c->cpu = -1;
	for (unsigned n = 0; n < smp_cpu_count(); n++)
		if (smp_apic_id(n) == c->apic_id)
			c->cpu = (int32_t)n;
}

static void
fill_fb(struct abi_hw_fb *f)
{
	const struct boot_fb *b = &bootinfo.fb;

	*f = (struct abi_hw_fb){ .addr = b->addr,
		                 .pitch = b->pitch,
		                 .width = b->width,
		                 .height = b->height,
		                 .type = b->type,
		                 .bpp = b->bpp,
		                 .red_pos = b->red_pos,
		                 .red_size = b->red_size,
		                 .green_pos = b->green_pos,
		                 .green_size = b->green_size,
		                 .blue_pos = b->blue_pos,
		                 .blue_size = b->blue_size };
}

static void
fill(unsigned kind, unsigned i, struct abi_hwinfo *r)
{
	switch (kind) {
	case ABI_HW_SUMMARY:
		fill_summary(&r->u.summary);
		break;
	case ABI_HW_ACPI:
		fill_acpi(i, &r->u.acpi);
		break;
	case ABI_HW_CPU:
		fill_cpu(i, &r->u.cpu);
		break;
	case ABI_HW_IOAPIC:
		r->u.ioapic = (struct abi_hw_ioapic){ acpi.ioapics[i].id, acpi.ioapics[i].gsi_base,
			                              acpi.ioapics[i].addr };
		break;
	case ABI_HW_MCFG:
		mcfg_walk(i, &r->u.mcfg);
		break;
	case ABI_HW_DMAR:
		dmar_walk(i, &r->u.dmar);
		break;
	case ABI_HW_MEM:
		r->u.mem = (struct abi_hw_mem){ bootinfo.mem[i].base, bootinfo.mem[i].len,
			                        bootinfo.mem[i].type, 0 };
		break;
	default:
		fill_fb(&r->u.fb);
		break;
	}
}

/* hwinfo(kind, index, buf, len): checks in this order: kind (E_INVAL), len (E_INVAL),
 * index (E_NOENT), then the buffer (copyout: E_FAULT). */
int64_t
sys_hwinfo(struct env *e, const uint64_t *a)
{
	struct abi_hwinfo r;
	int err;

	(void)e;
	if (a[0] >= ABI_HW_NKINDS || a[3] < sizeof(r))
		return E_INVAL;
	if (a[1] >= count((unsigned)a[0]))
		return E_NOENT;
	memset(&r, 0, sizeof(r));
	r.kind = (uint32_t)a[0];
	r.index = (uint32_t)a[1];
	fill(r.kind, r.index, &r);
	if ((err = copyout(a[2], &r, sizeof(r))) < 0)
		return err;
	return sizeof(r);
}
