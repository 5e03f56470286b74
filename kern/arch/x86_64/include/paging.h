/* The processor's paging controls (kern/arch/x86_64/paging.c): no-execute, supervisor write
 * protection, global pages, the PAT memory types, SMEP and SMAP.  The page tables themselves
 * are portable (kern/mm/pt.c); these are the switches that decide how the CPU reads them. */
#ifndef EXOLAB_PAGING_H
#define EXOLAB_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What CPUID says the processor has. */
struct paging_features {
	bool nx;   /* execute-disable bit (required: the boot code stops without it) */
	bool pge;  /* global pages */
	bool pat;  /* page attribute table: write-combining mappings */
	bool smep; /* supervisor-mode execution prevention */
	bool smap; /* supervisor-mode access prevention */
};

/* What is switched on now. */
struct paging_state {
	bool nxe;     /* IA32_EFER.NXE */
	bool wp;      /* CR0.WP */
	bool pge;     /* CR4.PGE */
	bool smep;    /* CR4.SMEP */
	bool smap;    /* CR4.SMAP */
	uint64_t pat; /* IA32_PAT, 0 without a PAT */
};

/* Turns on NXE, WP and every feature the CPU has, and loads the kernel's IA32_PAT value
 * (PTE_PAT_MSR_VALUE, pte.h).  Safe on the boot page tables: they use PAT entry 0 only and
 * have no user pages.  Each CPU runs it once, before it uses kern/mm mappings. */
void paging_cpu_init(void);

void paging_get_features(struct paging_features *f);
void paging_get_state(struct paging_state *s);

/* Prints one "paging: ..." line: what is on, and what the CPU lacks. */
void paging_print(void);

/* Self-check: 0 when every control paging_cpu_init sets is set on this CPU, else E_RANGE
 * with the first difference described in `why`. */
int paging_check(char *why, size_t len);

#endif
