/* regiontest: the ramdisk as a region (CAP_REGION, abi/cap.h; region_map and region_derive,
 * docs/syscalls.md).  Runs in any env that has the ramdisk (init, or a program the shell
 * spawned: the LibOS gave it a copy of the capability in slot ABI_SLOT_INITRD).  Checks every
 * refused argument of the two calls, that a derived region maps the pages it names, that
 * revoking the ramdisk capability takes a derived region's mappings from every env that had
 * them (here and in a child made by exofork), and, with the argument `bench` (as init:
 * `init=regiontest tests=bench`), prints the instructions one LibOS spawn of `echo` costs,
 * spawn() alone and spawn + wait (rdtsc: instructions under `qemu -icount shift=0`).  One line per
 * check: `regiontest: TAG: what OK|FAIL`.
 * DMA regions (dma_alloc, syscall 50; lib/user/dma.c): the rounding to a power of two, the
 * physical base of the region and of regions derived from its pages, zeroed and writable
 * pages, the limit (ABI_DMA_MAX_PAGES) and the quota refused, the latter in a child spawned
 * with a quota smaller than the largest request (`regiontest dmaquota`). */
#include <stdint.h>

#include "abi/dev.h"
#include "abi/memlayout.h"
#include "dma.h"
#include "fd.h"
#include "file.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define VA_A            0x0000300000000000ul /* free in every program (below ABI_INITRD_VA) */
#define VA_B            0x0000300000100000ul
#define VA_RECS         0x0000300000200000ul /* ABI_REGION_RECS + 1 one-page mappings */
#define PAGE            ABI_PAGE_SIZE
#define RD_RIGHTS       (CAP_R_READ | CAP_R_MAP | CAP_R_GRANT | CAP_R_DERIVE)
#define NSPAWN          5
#define DMA_CHILD_PAGES 48 /* enough to run the child, less than ABI_DMA_MAX_PAGES */

static int failures;

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("regiontest: %s: %s %s\n", tag, what, got == want ? "OK" : "FAIL");
	if (got != want) {
		printf("regiontest:   got %ld (%s), want %ld\n", got,
		       got < 0 ? error_name((int)got) : "", want);
		failures++;
	}
}

static void
arg_cases(uint64_t rd, uint64_t npages, uint64_t tmp)
{
	check("args", "map the untyped quota",
	      sys_region_map(ABI_SLOT_UNTYPED, ABI_SLOT_SELF, VA_A, 1), E_INVAL);
	check("args", "map an empty slot", sys_region_map(tmp, ABI_SLOT_SELF, VA_A, 1), E_NOENT);
	check("args", "map unaligned", sys_region_map(rd, ABI_SLOT_SELF, VA_A + 8, 1), E_ALIGN);
	check("args", "map writable (no WRITE)", sys_region_map(rd, ABI_SLOT_SELF, VA_A, 3),
	      E_PERM);
	check("args", "map executable", sys_region_map(rd, ABI_SLOT_SELF, VA_A, 5), E_INVAL);
	check("args", "map in the kernel half",
	      sys_region_map(rd, ABI_SLOT_SELF, 0xffff800000000000ul, 1), E_RANGE);
	check("args", "map across the user end",
	      sys_region_map(rd, ABI_SLOT_SELF, ABI_USER_END - PAGE, 1), E_RANGE);
	check("args", "map into the quota (not an env)",
	      sys_region_map(rd, ABI_SLOT_UNTYPED, VA_A, 1), E_INVAL);
	check("args", "map over itself", sys_region_map(rd, ABI_SLOT_SELF, ABI_INITRD_VA, 1),
	      E_EXIST);
	check("args", "map with its last page on it",
	      sys_region_map(rd, ABI_SLOT_SELF, ABI_INITRD_VA - (npages - 1) * PAGE, 1), E_EXIST);
	check("args", "nothing of that was mapped",
	      sys_protect(ABI_SLOT_SELF, ABI_INITRD_VA - (npages - 1) * PAGE, 1), E_NOENT);
	check("args", "derive 0 pages", sys_region_derive(rd, tmp, 0, 0, CAP_R_ALL), E_RANGE);
	check("args", "derive past the end", sys_region_derive(rd, tmp, npages - 1, 2, CAP_R_ALL),
	      E_RANGE);
	check("args", "derive into an occupied slot", sys_region_derive(rd, rd, 0, 1, CAP_R_ALL),
	      E_EXIST);
	check("args", "derive rights outside CAP_R_ALL", sys_region_derive(rd, tmp, 0, 1, 0x100),
	      E_INVAL);
	check("args", "derive without MAP", sys_region_derive(rd, tmp, 0, 1, CAP_R_DERIVE), 0);
	check("args", "map it", sys_region_map(tmp, ABI_SLOT_SELF, VA_A, 1), E_PERM);
	check("args", "derive from it without DERIVE",
	      sys_cap_derive(tmp, ABI_SLOT_SELF, tmp + 1, CAP_R_READ, 0), 0);
	check("args", "region_derive needs DERIVE", sys_region_derive(tmp + 1, tmp + 2, 0, 1, 0xff),
	      E_PERM);
	check("args", "delete them", sys_cap_delete(tmp + 1) | sys_cap_delete(tmp), 0);
}

/* A derived region of pages [1, 3) mapped here and in a child; revoking the ramdisk
 * capability (its parent) deletes it, and both mappings go. */
static void
revoke_cases(uint64_t rd, uint64_t tmp, uint64_t kid)
{
	struct cap_info ci;
	long id;

	check("derive", "pages [1, 3)", sys_region_derive(rd, tmp, 1, 2, CAP_R_ALL), 0);
	check("derive", "identify: a 2-page region without PHYS",
	      sys_cap_identify(tmp, &ci) == 0 && ci.type == CAP_REGION && ci.bytes == 2 * PAGE &&
	          ci.phys == 0 && ci.rights == RD_RIGHTS,
	      1);
	check("derive", "map it here", sys_region_map(tmp, ABI_SLOT_SELF, VA_A, 1), 0);
	check("derive", "it shows ramdisk page 1",
	      memcmp((const void *)VA_A, (const void *)(ABI_INITRD_VA + PAGE), 2 * PAGE), 0);
	check("derive", "a copy of it", sys_cap_copy(tmp, ABI_SLOT_SELF, tmp + 1), 0);
	if ((id = sys_exofork(kid)) == 0)
		sys_exit(0); /* never runs: the child is never made runnable */
	check("derive", "exofork a child", id > 0, 1);
	check("derive", "map the copy in the child", sys_region_map(tmp + 1, kid, VA_B, 1), 0);
	check("derive", "the child has it", sys_protect(kid, VA_B + PAGE, 1), 0);
	check("revoke", "revoke the ramdisk capability", sys_cap_revoke(rd), 0);
	check("revoke", "the derived region is gone", sys_cap_identify(tmp, &ci), E_NOENT);
	check("revoke", "and its copy", sys_cap_identify(tmp + 1, &ci), E_NOENT);
	check("revoke", "unmapped here", sys_protect(ABI_SLOT_SELF, VA_A, 1), E_NOENT);
	check("revoke", "unmapped in the child", sys_protect(kid, VA_B, 1), E_NOENT);
	check("revoke", "the ramdisk stays", sys_protect(ABI_SLOT_SELF, ABI_INITRD_VA, 1), 0);
	check("revoke", "destroy the child", sys_env_destroy(kid) | sys_cap_delete(kid), 0);
}

/* A derived region records ABI_REGION_RECS mappings; one more is E_NOMEM. */
static void
recs_cases(uint64_t rd, uint64_t tmp)
{
	long err = 0;

	check("recs", "a one-page region", sys_region_derive(rd, tmp, 0, 1, CAP_R_ALL), 0);
	for (uint64_t i = 0; i < ABI_REGION_RECS && err == 0; i++)
		err = sys_region_map(tmp, ABI_SLOT_SELF, VA_RECS + i * PAGE, 1);
	check("recs", "ABI_REGION_RECS mappings", err, 0);
	check("recs", "one more",
	      sys_region_map(tmp, ABI_SLOT_SELF, VA_RECS + ABI_REGION_RECS * PAGE, 1), E_NOMEM);
	check("recs", "delete it", sys_cap_delete(tmp), 0);
	check("recs", "every mapping is gone",
	      sys_protect(ABI_SLOT_SELF, VA_RECS + (ABI_REGION_RECS - 1) * PAGE, 1), E_NOENT);
}

/* One region_map of the whole ramdisk (a region derived from it, mapped and deleted). */
static void
bench_map(uint64_t tmp)
{
	struct cap_info ci;
	uint64_t t0, t1;

	if (sys_cap_identify(ABI_SLOT_INITRD, &ci) < 0 ||
	    sys_region_derive(ABI_SLOT_INITRD, tmp, 0, ci.bytes / PAGE, CAP_R_ALL) < 0) {
		failures++;
		return;
	}
	t0 = rdtsc();
	if (sys_region_map(tmp, ABI_SLOT_SELF, VA_A, ABI_PERM_R) < 0)
		failures++;
	t1 = rdtsc();
	sys_cap_delete(tmp);
	printf("regiontest: the ramdisk is %lu pages\n", (unsigned long)(ci.bytes / PAGE));
	printf("BENCH region_map_ramdisk %lu instructions\n", (unsigned long)(t1 - t0));
}

/* The cheapest of NSPAWN spawns of `prog`: spawn() alone and spawn + wait. */
static void
bench_spawn(const char *name, const char *const argv[])
{
	uint64_t best = ~0ull, best_wait = ~0ull;

	for (int i = 0; i < NSPAWN; i++) {
		uint64_t t0 = rdtsc(), t1, t2;
		long id = spawn(argv[0], argv, 0);

		t1 = rdtsc();
		if (id < 0 || wait(id, NULL) < 0) {
			printf("regiontest: spawn %s: %s\n", argv[0], error_name((int)id));
			failures++;
			return;
		}
		t2 = rdtsc();
		best = t1 - t0 < best ? t1 - t0 : best;
		best_wait = t2 - t0 < best_wait ? t2 - t0 : best_wait;
	}
	printf("BENCH spawn_%s %lu instructions\n", name, (unsigned long)best);
	printf("BENCH spawn_%s_wait %lu instructions\n", name, (unsigned long)best_wait);
}

static void
bench(uint64_t tmp)
{
	const char *const echo[] = { "echo", "spawned", NULL };
	const char *const cat[] = { "cat", "motd", NULL };

	bench_map(tmp);
	bench_spawn("echo", echo);
	bench_spawn("cat", cat);
}

/* One 3-page request: a 4-page region whose pages are one physical run. */
static void
dma_cases(uint64_t tmp)
{
	struct cap_info ci, di;
	uint64_t pa = 0, va0;
	void *va = NULL;
	long r, slot = dma_alloc_contig(3, ABI_DMA_WB, &va, &pa);
	volatile uint64_t *p;
	uint64_t sum = 0;

	check("dma", "alloc 3 pages (write-back)", slot >= 0, 1);
	if (slot < 0)
		return;
	check("dma", "physical base page aligned", (long)(pa & (PAGE - 1)), 0);
	check("dma", "a region of 4 pages (rounded up), base = the returned address",
	      sys_cap_identify((uint64_t)slot, &ci) == 0 && ci.type == CAP_REGION &&
	          ci.bytes == 4 * PAGE && ci.phys == pa,
	      1);
	for (uint64_t k = 0; k < 4; k++) {
		r = sys_region_derive((uint64_t)slot, tmp, k, 1, CAP_R_ALL);
		r = r == 0 ? sys_cap_identify(tmp, &di) : r;
		check("dma", "page k of the run is at base + k pages",
		      r == 0 && di.phys == pa + k * PAGE, 1);
		sys_cap_delete(tmp);
	}
	p = va;
	va0 = (uint64_t)va;
	for (uint64_t i = 0; i < 4 * PAGE / 8; i++)
		sum |= p[i];
	check("dma", "zeroed", (long)sum, 0);
	p[4 * PAGE / 8 - 1] = 0x5a5a;
	check("dma", "writable to its last byte", (long)p[4 * PAGE / 8 - 1], 0x5a5a);
	check("dma", "freed", dma_free(slot), 0);
	r = sys_region_derive(ABI_SLOT_INITRD, tmp, 0, 1, CAP_R_ALL);
	check("dma", "its mapping went with it (a page maps there again)",
	      r == 0 && sys_region_map(tmp, ABI_SLOT_SELF, va0, ABI_PERM_R) == 0 &&
	          sys_unmap(ABI_SLOT_SELF, va0) == 0,
	      1);
	sys_cap_delete(tmp);
	slot = dma_alloc_contig(ABI_DMA_MAX_PAGES, ABI_DMA_UC, &va, &pa);
	check("dma", "the limit, uncached", slot < 0 ? slot : (long)(pa & (PAGE - 1)), 0);
	if (slot >= 0)
		dma_free(slot);
	slot = dma_alloc_contig(1, ABI_DMA_WC, &va, &pa);
	check("dma", "one page, write-combining", slot < 0 ? slot : 0, 0);
	if (slot >= 0)
		dma_free(slot);
	check("dma", "0 pages", sys_dma_alloc(ABI_SLOT_UNTYPED, tmp, 0, ABI_DMA_WB, CAP_R_ALL),
	      E_RANGE);
	check("dma", "past the limit",
	      sys_dma_alloc(ABI_SLOT_UNTYPED, tmp, ABI_DMA_MAX_PAGES + 1, ABI_DMA_WB, CAP_R_ALL),
	      E_RANGE);
	check("dma", "attr 3", sys_dma_alloc(ABI_SLOT_UNTYPED, tmp, 1, 3, CAP_R_ALL), E_INVAL);
	check("dma", "from a region (not a quota)",
	      sys_dma_alloc(ABI_SLOT_INITRD, tmp, 1, ABI_DMA_WB, CAP_R_ALL), E_INVAL);
}

/* The child of dma_quota: its quota is below ABI_DMA_MAX_PAGES. */
static int
dma_quota_child(uint64_t tmp)
{
	struct cap_info ci;

	check("dmaquota", "quota below the limit",
	      sys_cap_identify(ABI_SLOT_UNTYPED, &ci) == 0 && ci.pages < ABI_DMA_MAX_PAGES, 1);
	printf("regiontest: dmaquota: %lu pages\n", ci.pages);
	check("dmaquota", "the limit refused by the quota",
	      sys_dma_alloc(ABI_SLOT_UNTYPED, tmp, ABI_DMA_MAX_PAGES, ABI_DMA_WB, CAP_R_ALL),
	      E_NOMEM);
	check("dmaquota", "the quota unchanged",
	      sys_cap_identify(ABI_SLOT_UNTYPED, &ci) == 0 && ci.pages < ABI_DMA_MAX_PAGES, 1);
	check("dmaquota", "one page fits",
	      sys_dma_alloc(ABI_SLOT_UNTYPED, tmp, 1, ABI_DMA_WB, CAP_R_ALL) >= 0, 1);
	return failures != 0;
}

static void
dma_quota(void)
{
	const char *argv[] = { "regiontest", "dmaquota", NULL };
	long id = spawn("regiontest", argv, DMA_CHILD_PAGES);
	int status = -1;

	check("dmaquota", "spawn a child with a small quota", id > 0, 1);
	if (id > 0)
		check("dmaquota", "its checks passed", wait(id, &status) == 0 && status == 0, 1);
}

int
main(int argc, char **argv)
{
	uint64_t rd = ABI_SLOT_INITRD, tmp = (uint64_t)slot_alloc(), kid;
	struct cap_info ci;
	int fd;

	slot_alloc();
	slot_alloc(); /* tmp + 1 and tmp + 2 */
	kid = (uint64_t)slot_alloc();
	if ((argc > 1 && strcmp(argv[1], "bench") == 0) ||
	    strcmp(libos_envinfo->tests, "bench") == 0) {
		bench(tmp);
		return failures != 0;
	}
	if (argc > 1 && strcmp(argv[1], "dmaquota") == 0)
		return dma_quota_child(tmp);
	check("ramdisk", "slot ABI_SLOT_INITRD holds a read-only region",
	      sys_cap_identify(rd, &ci) == 0 && ci.type == CAP_REGION && ci.rights == RD_RIGHTS, 1);
	check("ramdisk", "open motd (the LibOS maps the region)",
	      (fd = open("motd", O_RDONLY)) >= 0, 1);
	close(fd);
	if (failures != 0)
		return 1;
	arg_cases(rd, ci.bytes / PAGE, tmp);
	revoke_cases(rd, tmp, kid);
	recs_cases(rd, tmp);
	dma_cases(tmp);
	dma_quota();
	printf("regiontest: %s\n", failures == 0 ? "all OK" : "FAILED");
	return failures != 0;
}
