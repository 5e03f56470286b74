/* ACPI tables: from the RSDP that multiboot2 copied, through the RSDT (ACPI 1.0, 32-bit
 * pointers) or XSDT (ACPI 2.0+, 64-bit pointers), to the MADT (CPUs, IOAPICs) and the FADT
 * (the PM timer).  Section numbers are those of the ACPI Specification 6.5, chapter 5.
 *
 * Firmware is input, not kernel state: every length and pointer is checked before use, a
 * table whose checksum or size is wrong is reported and skipped, and nothing here panics. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acpi.h"
#include "console.h"
#include "hal.h"
#include "kerninfo.h"
#include "kvm.h"
#include "x86.h"

struct acpi_info acpi;

#define SDT_HEADER_LEN 36         /* 5.2.6, Table 5.4 */
#define SDT_MAX_LEN    (1u << 20) /* no table we read is anywhere near this */
#define RSDP_V1_LEN    20         /* 5.2.5.3, Table 5.3: the ACPI 1.0 checksum covers these */
#define RSDP_V2_LEN    36

/* MADT (5.2.12, Table 5.43): after the header, the local APIC address and flags, then
 * variable-length entries of (type, length, ...). */
#define MADT_ENTRIES        44
#define MADT_LAPIC          0         /* 5.2.12.2, length 8 */
#define MADT_IOAPIC         1         /* 5.2.12.3, length 12 */
#define MADT_LAPIC_OVERRIDE 5         /* 5.2.12.8, length 12 */
#define MADT_X2APIC         9         /* 5.2.12.12, length 16 */
#define MADT_ENABLED        (1u << 0) /* Local APIC Flags (Table 5.47) */
#define MADT_ONLINE_CAPABLE (1u << 1) /* ACPI 6.3+; reserved (0) before */

/* FADT (5.2.9, Table 5.9) offsets. */
#define FADT_PM_TMR_BLK   76
#define FADT_PM_TMR_LEN   91
#define FADT_FLAGS        112
#define FADT_X_PM_TMR_BLK 208 /* a Generic Address Structure (5.2.3.2), 12 bytes */
#define FADT_TMR_VAL_EXT  (1u << 8)
#define GAS_SPACE_MEMORY  0
#define GAS_SPACE_IO      1

/* The FADT's pointers to the FACS and the DSDT (no root table lists them), 32-bit, then the
 * 64-bit forms, preferred when set (ACPI 2.0+). */
#define FADT_FIRMWARE_CTRL   36
#define FADT_DSDT            40
#define FADT_X_FIRMWARE_CTRL 132
#define FADT_X_DSDT          140
#define FACS_MIN_LEN         64 /* 5.2.10, Table 5.14 */

/* MCFG (PCI Firmware Specification 3.x, 4.1.2, Table 4-3): after the header 8 reserved
 * bytes, then 16-byte entries: ECAM base (8), PCI segment (2), start bus, end bus, 4
 * reserved.  ExoLab uses segment 0, the only one QEMU and the Legion have. */
#define MCFG_ENTRIES   44
#define MCFG_ENTRY_LEN 16

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* The kernel can read physical [pa, pa + len) through the direct map. */
static bool
phys_readable(uint64_t pa, uint64_t len)
{
	uint64_t end = kvm_directmap_end() ? kvm_directmap_end() : KERN_BOOT_MAP_SIZE;

	return pa != 0 && len <= end && pa <= end - len;
}

/* Every ACPI table's bytes sum to 0 mod 256 (5.2.5.3, 5.2.6). */
static bool
checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum == 0;
}

/* The table at physical `pa`, checked, or NULL (reported).  `sig` NULL accepts any. */
static const uint8_t *
table_at(uint64_t pa, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	if (!phys_readable(pa, SDT_HEADER_LEN)) {
		printf("acpi: table pointer 0x%lx is outside memory; skipped\n", pa);
		return NULL;
	}
	t = hal_phys_to_virt(pa);
	if (sig != NULL && (t[0] != sig[0] || t[1] != sig[1] || t[2] != sig[2] || t[3] != sig[3]))
		return NULL;
	len = le32(t + 4);
	if (len < SDT_HEADER_LEN || len > SDT_MAX_LEN || !phys_readable(pa, len)) {
		printf("acpi: %.4s at 0x%lx: bad length %u; skipped\n", (const char *)t, pa, len);
		return NULL;
	}
	if (!checksum_ok(t, len)) {
		printf("acpi: %.4s at 0x%lx: bad checksum; skipped\n", (const char *)t, pa);
		return NULL;
	}
	return t;
}

/* The root table's entries: 4-byte (RSDT) or 8-byte (XSDT) physical addresses. */
static const uint8_t *root;
static unsigned root_entry_size;

/* The first valid table with signature `sig`, or NULL. */
static const uint8_t *
table_find(const char *sig)
{
	uint32_t n = (le32(root + 4) - SDT_HEADER_LEN) / root_entry_size;

	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HEADER_LEN + i * root_entry_size;
		uint64_t pa = root_entry_size == 8 ? le64(e) : le32(e);
		const uint8_t *t = table_at(pa, sig);

		if (t != NULL)
			return t;
	}
	return NULL;
}

/* Reads the RSDP copy and finds the XSDT (preferred when valid) or the RSDT. */
static bool
root_init(const struct bootinfo *bi)
{
	const uint8_t *rsdp;

	if (bi->rsdp_version == 0 || !phys_readable(bi->rsdp, RSDP_V1_LEN)) {
		printf("acpi: no RSDP: no tables\n");
		return false;
	}
	rsdp = hal_phys_to_virt(bi->rsdp);
	if (!checksum_ok(rsdp, RSDP_V1_LEN)) {
		printf("acpi: RSDP checksum is bad: no tables\n");
		return false;
	}
	/* The XSDP's length field must say 36, the size multiboot2 copied (5.2.5.3). */
	if (bi->rsdp_version >= 2 && rsdp[15] >= 2 && le32(rsdp + 20) == RSDP_V2_LEN &&
	    checksum_ok(rsdp, RSDP_V2_LEN)) {
		root = table_at(le64(rsdp + 24), "XSDT");
		root_entry_size = 8;
	}
	if (root == NULL) {
		root = table_at(le32(rsdp + 16), "RSDT");
		root_entry_size = 4;
	}
	if (root == NULL) {
		printf("acpi: no valid RSDT or XSDT: no tables\n");
		return false;
	}
	printf("acpi: %.4s at 0x%lx, OEM '%.6s', %u tables\n", (const char *)root,
	       hal_virt_to_phys(root), (const char *)root + 10,
	       (le32(root + 4) - SDT_HEADER_LEN) / root_entry_size);
	return true;
}

static void
madt_add_cpu(uint32_t apic_id, uint32_t uid, uint32_t flags)
{
	if (!(flags & (MADT_ENABLED | MADT_ONLINE_CAPABLE)))
		return; /* disabled for good (5.2.12.2) */
	for (unsigned i = 0; i < acpi.ncpus; i++)
		if (acpi.cpus[i].apic_id == apic_id)
			return; /* listed as both a local APIC and an x2APIC */
	if (acpi.ncpus == ACPI_MAX_CPUS) {
		printf("acpi: madt: more than %u CPUs; apic id %u left out\n", ACPI_MAX_CPUS,
		       apic_id);
		return;
	}
	acpi.cpus[acpi.ncpus++] = (struct acpi_cpu){ apic_id, uid, (flags & MADT_ENABLED) != 0 };
}

static void
madt_entry(const uint8_t *e, unsigned len)
{
	switch (e[0]) {
	case MADT_LAPIC:
		if (len >= 8)
			madt_add_cpu(e[3], e[2], le32(e + 4));
		break;
	case MADT_X2APIC:
		if (len >= 16)
			madt_add_cpu(le32(e + 4), le32(e + 12), le32(e + 8));
		break;
	case MADT_IOAPIC:
		if (len >= 12 && acpi.nioapics < ACPI_MAX_IOAPICS)
			acpi.ioapics[acpi.nioapics++] =
			    (struct acpi_ioapic){ e[2], le32(e + 4), le32(e + 8) };
		break;
	case MADT_LAPIC_OVERRIDE:
		if (len >= 12)
			acpi.lapic_addr = le64(e + 4);
		break;
	}
}

static void
madt_parse(const uint8_t *madt)
{
	uint32_t len = le32(madt + 4), off = MADT_ENTRIES;
	unsigned enabled = 0;

	if (len < MADT_ENTRIES) {
		printf("acpi: MADT too short (%u bytes); no CPU list\n", len);
		return;
	}
	acpi.lapic_addr = le32(madt + 36);
	while (off + 2 <= len) {
		unsigned elen = madt[off + 1];

		if (elen < 2 || off + elen > len) {
			printf("acpi: MADT entry at offset %u has length %u; rest skipped\n", off,
			       elen);
			break;
		}
		madt_entry(madt + off, elen);
		off += elen;
	}
	for (unsigned i = 0; i < acpi.ncpus; i++)
		enabled += acpi.cpus[i].enabled;
	printf("acpi: MADT: %u CPUs enabled, %u online-capable, %u IOAPICs, lapic at 0x%lx\n",
	       enabled, acpi.ncpus - enabled, acpi.nioapics, acpi.lapic_addr);
}

/* The PM timer: X_PM_TMR_BLK where the FADT is long enough and sets it, else PM_TMR_BLK
 * (a port; PM_TMR_LEN must be 4) (5.2.9, Table 5.9). */
static void
fadt_parse(const uint8_t *fadt)
{
	uint32_t len = le32(fadt + 4);
	struct acpi_pm_timer *pt = &acpi.pm_timer;

	if (len < FADT_FLAGS + 4) {
		printf("acpi: FADT too short (%u bytes); no PM timer\n", len);
		return;
	}
	pt->bits32 = (le32(fadt + FADT_FLAGS) & FADT_TMR_VAL_EXT) != 0;
	if (len >= FADT_X_PM_TMR_BLK + 12 && le64(fadt + FADT_X_PM_TMR_BLK + 4) != 0) {
		const uint8_t *gas = fadt + FADT_X_PM_TMR_BLK;

		pt->addr = le64(gas + 4);
		pt->io = gas[0] == GAS_SPACE_IO;
		pt->present = (pt->io && pt->addr <= 0xFFFC) ||
		              (gas[0] == GAS_SPACE_MEMORY && phys_readable(pt->addr, 4));
	} else if (le32(fadt + FADT_PM_TMR_BLK) != 0 && fadt[FADT_PM_TMR_LEN] == 4) {
		pt->addr = le32(fadt + FADT_PM_TMR_BLK);
		pt->io = true;
		pt->present = pt->addr <= 0xFFFC;
	}
	if (pt->present)
		printf("acpi: FADT: PM timer at %s 0x%lx, %u bits\n", pt->io ? "port" : "memory",
		       pt->addr, pt->bits32 ? 32 : 24);
	else
		printf("acpi: FADT: no usable PM timer\n");
}

static void
mcfg_parse(const uint8_t *mcfg)
{
	uint32_t len = le32(mcfg + 4);

	for (uint32_t off = MCFG_ENTRIES; off + MCFG_ENTRY_LEN <= len; off += MCFG_ENTRY_LEN) {
		const uint8_t *e = mcfg + off;
		uint64_t base = le64(e);

		if ((e[8] | e[9]) != 0 || e[11] < e[10] || base == 0 || (base & 0xfffff) != 0)
			continue; /* another segment, or an entry that cannot be right */
		acpi.mcfg.base = base;
		acpi.mcfg.bus_start = e[10];
		acpi.mcfg.bus_end = e[11];
		return; /* pci_init prints it: the boot screen has few lines to spare */
	}
	printf("acpi: MCFG has no usable entry for segment 0\n");
}

/* Notes a table for the hardware report when its header and `min` bytes are readable. */
static void
table_note(uint64_t pa, uint32_t min)
{
	uint32_t len;

	if (pa == 0 || !phys_readable(pa, SDT_HEADER_LEN))
		return;
	len = le32((const uint8_t *)hal_phys_to_virt(pa) + 4);
	if (len < min || len > SDT_MAX_LEN || !phys_readable(pa, len))
		return;
	for (unsigned i = 0; i < acpi.ntables; i++)
		if (acpi.tables[i] == pa)
			return;
	if (acpi.ntables < ACPI_MAX_TABLES)
		acpi.tables[acpi.ntables++] = pa;
}

/* The list behind the hardware report: the root, its entries, and the DSDT and FACS that only
 * the FADT points at (5.2.9: X_DSDT and X_FIRMWARE_CTRL win over the 32-bit fields). */
static void
tables_list(const uint8_t *fadt)
{
	uint32_t n = (le32(root + 4) - SDT_HEADER_LEN) / root_entry_size;
	uint32_t flen = fadt != NULL ? le32(fadt + 4) : 0;

	table_note(hal_virt_to_phys(root), SDT_HEADER_LEN);
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *e = root + SDT_HEADER_LEN + i * root_entry_size;

		table_note(root_entry_size == 8 ? le64(e) : le32(e), SDT_HEADER_LEN);
	}
	if (flen >= FADT_DSDT + 4)
		table_note(flen >= FADT_X_DSDT + 8 && le64(fadt + FADT_X_DSDT) != 0
		               ? le64(fadt + FADT_X_DSDT)
		               : le32(fadt + FADT_DSDT),
		           SDT_HEADER_LEN);
	if (flen >= FADT_FIRMWARE_CTRL + 4)
		table_note(flen >= FADT_X_FIRMWARE_CTRL + 8 &&
		                   le64(fadt + FADT_X_FIRMWARE_CTRL) != 0
		               ? le64(fadt + FADT_X_FIRMWARE_CTRL)
		               : le32(fadt + FADT_FIRMWARE_CTRL),
		           FACS_MIN_LEN);
}

void
acpi_init(const struct bootinfo *bi)
{
	const uint8_t *t;

	if (!root_init(bi))
		return;
	acpi.valid = true;
	if ((t = table_find("APIC")) != NULL)
		madt_parse(t);
	else
		printf("acpi: no valid MADT: only the boot CPU runs\n");
	if ((t = table_find("FACP")) != NULL)
		fadt_parse(t);
	else
		printf("acpi: no valid FADT: no PM timer\n");
	tables_list(t);
	if ((t = table_find("MCFG")) != NULL)
		mcfg_parse(t);
	if ((t = table_find("DMAR")) != NULL) /* VT-d 8.1: kern/dev/iommu.c reads it */
		acpi.dmar = hal_virt_to_phys(t);
}

uint32_t
acpi_pm_timer_read(void)
{
	const struct acpi_pm_timer *pt = &acpi.pm_timer;
	uint32_t v;

	if (!pt->present)
		return 0;
	if (pt->io)
		v = inl((uint16_t)pt->addr);
	else
		v = hal_mmio_read32(hal_phys_to_virt(pt->addr));
	return pt->bits32 ? v : v & 0xFFFFFF;
}
