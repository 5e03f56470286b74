/* The software MMU: a page walk over the real x86-64 4-level format in simulated memory,
 * then the access-right checks of Intel SDM Vol. 3A 4.6 (see mmu.h). */
#include "mm.h"
#include "mmu.h"
#include "pte.h"

static struct mmu_config config = { .wp = true, .maxphyaddr = 52 };

void
mmu_set_config(const struct mmu_config *cfg)
{
	config = *cfg;
}

void
mmu_get_config(struct mmu_config *cfg)
{
	*cfg = config;
}

const char *
mmu_fault_name(enum mmu_fault f)
{
	static const char *const names[MMU_NFAULTS] = {
		"ok",         "not-present", "reserved-bit", "user-supervisor", "write-protect",
		"no-execute", "smep",        "smap",         "non-canonical",
	};

	return f < MMU_NFAULTS ? names[f] : "?";
}

/* The bits that must be 0 in a present entry of `level` (SDM Vol. 3A 4.5). */
static uint64_t
reserved_bits(pte_t e, unsigned level)
{
	uint64_t rsvd = 0;

	if (config.maxphyaddr < PHYS_ADDR_BITS)
		rsvd |= (PHYS_ADDR_END - 1) & ~((1ull << config.maxphyaddr) - 1);
	if (level == 4)
		rsvd |= PTE_PS;
	else if (level == 3 && (e & PTE_PS))
		rsvd |= PTE_RSVD_1G;
	else if (level == 2 && (e & PTE_PS))
		rsvd |= PTE_RSVD_2M;
	return rsvd;
}

/* The first (highest) level in entries[4..level] with `bit` set (want = true) or clear. */
static unsigned
first_level(const pte_t *entries, unsigned leaf, uint64_t bit, bool want)
{
	for (unsigned l = PT_LEVELS; l >= leaf; l--) {
		if (((entries[l] & bit) != 0) == want)
			return l;
	}
	return 0;
}

static enum mmu_fault
fault(struct mmu_result *r, enum mmu_fault f, unsigned level, uint32_t code)
{
	r->fault = f;
	r->level = level;
	r->error_code = code;
	return f;
}

/* Walks the tables; fills entries[4..leaf] and returns the leaf level, or faults. */
static enum mmu_fault
walk(physaddr_t root, uint64_t va, pte_t *entries, pte_t **ptrs, unsigned *leaf,
     struct mmu_result *r, uint32_t code)
{
	physaddr_t tbl = root & PTE_ADDR_MASK;

	for (unsigned l = PT_LEVELS; l >= 1; l--) {
		pte_t *p = (pte_t *)hal_phys_to_virt(tbl) + PTE_INDEX(va, l);
		pte_t e = *p;

		entries[l] = e;
		ptrs[l] = p;
		if (!(e & PTE_P))
			return fault(r, MMU_NOT_PRESENT, l, code);
		if (e & reserved_bits(e, l))
			return fault(r, MMU_RESERVED, l, code | MMU_PF_P | MMU_PF_RSVD);
		if (l == 1 || (e & PTE_PS)) {
			*leaf = l;
			return MMU_OK;
		}
		tbl = e & PTE_ADDR_MASK;
	}
	return MMU_OK; /* not reached: level 1 always ends the walk */
}

/* The access-right checks of SDM Vol. 3A 4.6, in the order documented in mmu.h. */
static enum mmu_fault
check_rights(const pte_t *entries, unsigned leaf, unsigned access, struct mmu_result *r,
             uint32_t code)
{
	bool user_access = access & MMU_USER, write = access & MMU_WRITE;
	bool fetch = access & MMU_EXEC;
	unsigned l;

	code |= MMU_PF_P;
	if (user_access && (l = first_level(entries, leaf, PTE_U, false)) != 0)
		return fault(r, MMU_USER_SUPERVISOR, l, code);
	if (!user_access && r->user && fetch && config.smep)
		return fault(r, MMU_SMEP, leaf, code);
	if (!user_access && r->user && !fetch && config.smap)
		return fault(r, MMU_SMAP, leaf, code);
	if (write && (user_access || config.wp) &&
	    (l = first_level(entries, leaf, PTE_W, false)) != 0)
		return fault(r, MMU_WRITE_PROTECT, l, code);
	if (fetch && (l = first_level(entries, leaf, PTE_NX, true)) != 0)
		return fault(r, MMU_NX, l, code);
	return MMU_OK;
}

enum mmu_fault
mmu_translate(physaddr_t root, uint64_t va, unsigned access, struct mmu_result *r)
{
	pte_t entries[PT_LEVELS + 1], *ptrs[PT_LEVELS + 1];
	uint32_t code = ((access & MMU_WRITE) ? MMU_PF_W : 0) |
	                ((access & MMU_USER) ? MMU_PF_U : 0) | ((access & MMU_EXEC) ? MMU_PF_I : 0);
	unsigned leaf = 0;
	pte_t e;

	*r = (struct mmu_result){ 0 };
	if (va >= VA_USER_END && va < VA_KERNEL_START)
		return fault(r, MMU_NONCANONICAL, 0, 0);
	if (walk(root, va, entries, ptrs, &leaf, r, code) != MMU_OK)
		return r->fault;
	e = entries[leaf];
	r->level = leaf;
	r->page_size = PT_LEVEL_SIZE(leaf);
	r->pa = (e & PTE_ADDR_MASK & ~(r->page_size - 1)) | (va & (r->page_size - 1));
	r->writable = first_level(entries, leaf, PTE_W, false) == 0;
	r->user = first_level(entries, leaf, PTE_U, false) == 0;
	r->executable = first_level(entries, leaf, PTE_NX, true) == 0;
	r->global = (e & PTE_G) != 0;
	r->pat_index = ((e & (leaf > 1 ? PTE_PAT_LARGE : PTE_PAT)) ? 4 : 0) |
	               ((e & PTE_PCD) ? 2 : 0) | ((e & PTE_PWT) ? 1 : 0);
	if (check_rights(entries, leaf, access, r, code) != MMU_OK)
		return r->fault;
	if (config.set_accessed) {
		for (unsigned l = PT_LEVELS; l >= leaf; l--)
			*ptrs[l] |= PTE_A;
		if (access & MMU_WRITE)
			*ptrs[leaf] |= PTE_D;
	}
	return MMU_OK;
}
