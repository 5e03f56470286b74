/* A software MMU: translates a linear address through real x86-64 4-level page tables held
 * in simulated physical memory (sim/hal), with the access-right rules of the processor
 * (Intel SDM Vol. 3A 4.5-4.7).  Tests verify page tables through it, and exosim uses it to
 * model address translation. */
#ifndef EXOLAB_MMU_H
#define EXOLAB_MMU_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

/* The access: one kind, plus MMU_USER when made at CPL 3. */
#define MMU_READ  0x0
#define MMU_WRITE 0x1
#define MMU_EXEC  0x2
#define MMU_USER  0x4

/* Why a translation failed.  When several reasons apply, the one reported is the first of:
 * a walk fault (not present, reserved bit; top level first), then U/S, SMEP, SMAP, R/W, XD.
 * A permission fault names the highest level whose entry denies the access. */
enum mmu_fault {
	MMU_OK = 0,
	MMU_NOT_PRESENT,     /* P = 0 in the entry at `level` */
	MMU_RESERVED,        /* a reserved bit is set in the entry at `level` */
	MMU_USER_SUPERVISOR, /* user access, U/S = 0 in the entry at `level` */
	MMU_WRITE_PROTECT,   /* write, R/W = 0 in the entry at `level` (supervisor: with CR0.WP) */
	MMU_NX,              /* fetch, XD = 1 in the entry at `level` */
	MMU_SMEP,            /* supervisor fetch from a user page with CR4.SMEP */
	MMU_SMAP,         /* supervisor data access to a user page with CR4.SMAP, EFLAGS.AC = 0 */
	MMU_NONCANONICAL, /* not a #PF at all: a #GP; level is 0 */
	MMU_NFAULTS,
};

/* The processor state that changes translation.  IA32_EFER.NXE is always 1. */
struct mmu_config {
	bool wp;           /* CR0.WP: supervisor writes honour R/W */
	bool smep;         /* CR4.SMEP */
	bool smap;         /* CR4.SMAP (with EFLAGS.AC = 0) */
	bool set_accessed; /* a successful translation sets A on every entry used, D on a write */
	unsigned
	    maxphyaddr; /* physical-address width; bits 51:maxphyaddr of entries are reserved */
};

struct mmu_result {
	enum mmu_fault fault;
	unsigned level; /* of the faulting entry; on success, of the entry that maps the page */
	uint32_t error_code; /* #PF error code (SDM Vol. 3A 4.7): P, W/R, U/S, RSVD, I/D bits */
	/* On success: */
	physaddr_t pa;
	uint64_t page_size;
	bool writable;      /* R/W = 1 at every level */
	bool user;          /* U/S = 1 at every level */
	bool executable;    /* XD = 0 at every level */
	bool global;        /* G in the entry that maps the page */
	unsigned pat_index; /* PAT:PCD:PWT of that entry, selecting the IA32_PAT memory type */
};

#define MMU_PF_P    (1u << 0)
#define MMU_PF_W    (1u << 1)
#define MMU_PF_U    (1u << 2)
#define MMU_PF_RSVD (1u << 3)
#define MMU_PF_I    (1u << 4)

/* Defaults: WP on, SMEP/SMAP off, no A/D updates, MAXPHYADDR 52. */
void mmu_set_config(const struct mmu_config *cfg);
void mmu_get_config(struct mmu_config *cfg);

/* Translates `va` for an `access` through the tables at `root`.  Returns the fault (MMU_OK
 * on success) and fills *r.  Tables outside simulated memory are a test failure (simhal). */
enum mmu_fault mmu_translate(physaddr_t root, uint64_t va, unsigned access, struct mmu_result *r);

const char *mmu_fault_name(enum mmu_fault f);

#endif
