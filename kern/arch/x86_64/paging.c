/* The processor's paging controls (paging.h): execute-disable, supervisor write protection,
 * global pages, the PAT and SMEP/SMAP, switched on from what CPUID reports. */
#include <stdint.h>

#include "abi/error.h"
#include "console.h"
#include "paging.h"
#include "printfmt.h"
#include "pte.h"
#include "x86.h"

/* Control-register and MSR bits (Intel SDM Vol. 3A 2.5, 2.2.1, 11.12.2). */
#define CR0_WP   (1ull << 16)
#define CR4_PGE  (1ull << 7)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define MSR_EFER 0xC0000080u
#define EFER_NXE (1ull << 11)
#define MSR_PAT  0x277u

/* CPUID feature bits (SDM Vol. 2A, CPUID, Tables 3-10, 3-8 leaf 07H, leaf 80000001H). */
#define CPUID1_EDX_PGE    (1u << 13)
#define CPUID1_EDX_PAT    (1u << 16)
#define CPUID7_EBX_SMEP   (1u << 7)
#define CPUID7_EBX_SMAP   (1u << 20)
#define CPUID_EXT1_EDX_NX (1u << 20)

void
paging_get_features(struct paging_features *f)
{
	uint32_t max_basic, max_ext, ebx = 0, edx;

	cpuid(0, 0, &max_basic, NULL, NULL, NULL);
	cpuid(0x80000000, 0, &max_ext, NULL, NULL, NULL);
	cpuid(1, 0, NULL, NULL, NULL, &edx);
	f->pge = edx & CPUID1_EDX_PGE;
	f->pat = edx & CPUID1_EDX_PAT;
	if (max_basic >= 7)
		cpuid(7, 0, NULL, &ebx, NULL, NULL);
	f->smep = ebx & CPUID7_EBX_SMEP;
	f->smap = ebx & CPUID7_EBX_SMAP;
	edx = 0;
	if (max_ext >= 0x80000001)
		cpuid(0x80000001, 0, NULL, NULL, NULL, &edx);
	f->nx = edx & CPUID_EXT1_EDX_NX;
}

void
paging_get_state(struct paging_state *s)
{
	struct paging_features f;
	uint64_t cr4 = read_cr4();

	paging_get_features(&f);
	s->nxe = rdmsr(MSR_EFER) & EFER_NXE;
	s->wp = read_cr0() & CR0_WP;
	s->pge = cr4 & CR4_PGE;
	s->smep = cr4 & CR4_SMEP;
	s->smap = cr4 & CR4_SMAP;
	s->pat = f.pat ? rdmsr(MSR_PAT) : 0;
}

void
paging_cpu_init(void)
{
	struct paging_features f;
	uint64_t cr4 = read_cr4();

	paging_get_features(&f);
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
	write_cr0(read_cr0() | CR0_WP);
	/* Changing a PAT entry that no mapping selects needs no cache flush (SDM Vol. 3A
	 * 11.12.4); only entry 4 changes, and the boot page tables select entry 0. */
	if (f.pat)
		wrmsr(MSR_PAT, PTE_PAT_MSR_VALUE);
	cr4 |= f.pge ? CR4_PGE : 0;
	/* No user page exists yet, so SMEP and SMAP cannot stop anything the kernel does; from
	 * lab 3 on, the kernel reaches user memory only between stac and clac. */
	cr4 |= f.smep ? CR4_SMEP : 0;
	cr4 |= f.smap ? CR4_SMAP : 0;
	write_cr4(cr4);
}

void
paging_print(void)
{
	struct paging_features f;
	struct paging_state s;

	paging_get_features(&f);
	paging_get_state(&s);
	printf("paging: on:%s%s%s%s%s%s; absent:%s%s%s%s\n", s.nxe ? " nxe" : "", s.wp ? " wp" : "",
	       s.pge ? " pge" : "", s.pat == PTE_PAT_MSR_VALUE ? " pat-wc" : "",
	       s.smep ? " smep" : "", s.smap ? " smap" : "", f.pge ? "" : " pge",
	       f.pat ? "" : " pat", f.smep ? "" : " smep", f.smap ? "" : " smap");
}

int
paging_check(char *why, size_t len)
{
	struct paging_features f;
	struct paging_state s;
	const char *bad = NULL;

	paging_get_features(&f);
	paging_get_state(&s);
	if (!s.nxe)
		bad = "EFER.NXE is off";
	else if (!s.wp)
		bad = "CR0.WP is off";
	else if (s.pge != f.pge)
		bad = "CR4.PGE does not match CPUID";
	else if (s.smep != f.smep)
		bad = "CR4.SMEP does not match CPUID";
	else if (s.smap != f.smap)
		bad = "CR4.SMAP does not match CPUID";
	else if (f.pat && s.pat != PTE_PAT_MSR_VALUE)
		bad = "IA32_PAT is not the kernel's value";
	if (bad == NULL)
		return 0;
	fmt_snprintf(why, len, "%s", bad);
	return E_RANGE;
}
