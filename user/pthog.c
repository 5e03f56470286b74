/* pthog: page tables are paid from the quota of the env whose address space holds them
 * (issue 17, defect 2).
 *   pthog       (a test in init's list) spawns "pthog hog" with a quota of HOG_PAGES pages,
 *               waits for it, and checks its own quota got back every page it gave.
 *   pthog hog   maps one frame at up to NADDR addresses 1 GiB + 2 MiB apart (each needs a new
 *               page table and most a new page directory): the quota, not the machine's
 *               memory, must stop it, at E_NOMEM, long before NADDR.  Unmapping everything
 *               must give every table back (the quota returns to its value before the first
 *               map), and the same maps must then succeed again. */
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define HOG_PAGES 48
#define NADDR     2000
#define BASE_VA   0x10000000000ull /* 1 TiB: far from the program, stacks and ramdisk */
#define STRIDE    ((1ull << 30) + (1ull << 21))

static int nchecks, nfailed;

static void
check(const char *tag, int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("pthog: %s: %s %s\n", tag, what, ok ? "OK" : "FAIL");
}

static uint64_t
quota(void)
{
	struct cap_info ci;

	if (sys_cap_identify(ABI_SLOT_UNTYPED, &ci) < 0)
		return 0;
	return ci.pages;
}

/* Maps the frame in slot at BASE_VA + i * STRIDE for i = 0, 1, ... until an error: how many. */
static long
map_all(uint64_t slot, long *err)
{
	long n;

	*err = 0;
	for (n = 0; n < NADDR; n++)
		if ((*err = sys_map(ABI_SLOT_SELF, slot, BASE_VA + (uint64_t)n * STRIDE,
		                    ABI_PERM_R)) < 0)
			break;
	return n;
}

static int
unmap_all(long n)
{
	int bad = 0;

	for (long i = 0; i < n; i++)
		bad |= sys_unmap(ABI_SLOT_SELF, BASE_VA + (uint64_t)i * STRIDE) < 0;
	return bad;
}

static int
hog(void)
{
	long slot = slot_alloc(), n, again, err;
	uint64_t before;

	check("pt", slot > 0 && sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, CAP_R_ALL) == 0,
	      "one frame");
	before = quota();
	n = map_all((uint64_t)slot, &err);
	printf("pthog: %ld maps before %s, quota %lu of %lu left\n", n, error_name((int)err),
	       (unsigned long)quota(), (unsigned long)before);
	check("pt", n > 0 && n < HOG_PAGES && err == E_NOMEM,
	      "the quota stops the maps, at E_NOMEM");
	check("pt", unmap_all(n) == 0, "unmap every address");
	check("pt", quota() == before, "every page table is back in the quota");
	again = map_all((uint64_t)slot, &err);
	check("pt", again == n, "the same maps succeed again");
	check("pt", unmap_all(again) == 0 && quota() == before, "and give the tables back again");
	return nfailed != 0;
}

int
main(int argc, char **argv)
{
	const char *const args[] = { "pthog", "hog", NULL };
	uint64_t q = 0;
	long id;
	int st;

	if (argc > 1 && strcmp(argv[1], "hog") == 0)
		return hog();
	/* Twice: the first spawn also sets up this env's child records (a page for good). */
	for (int i = 0; i < 2; i++) {
		st = -1;
		id = spawn("pthog", args, HOG_PAGES);
		check("pt", id > 0 && wait(id, &st) == 0 && st == 0, "the hog ran and ended well");
		if (i == 1)
			check("pt", quota() == q, "its quota is back in this env's");
		q = quota();
	}
	return nfailed != 0;
}
