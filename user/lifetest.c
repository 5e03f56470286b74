/* lifetest: environment lifetimes, what creating them costs, and revoke taking a frame back
 * (issue 17, defects 1 and 3).  Each scenario is a reproduction the audit found; the quota
 * in ABI_SLOT_UNTYPED (shared by fork's children) must come back to its value before the
 * scenario, and grade/lifetimes.py checks the kernel's leak-check line after the program.
 *   exit:    a child exoforks a raw child (never runnable) and exits.
 *   blocked: a child makes its raw child not runnable (as the audit's did) and exits.
 *   fill:    a child exoforks until failure: its quota stops it, not the env table.
 *   spin:    a child forks a grandchild that spins with no system call, and exits: the
 *            grandchild dies with it (else the machine never goes idle).
 *   revoke:  this env derives a frame to two forked children, each maps it; after revoke
 *            neither maps it any more, this env keeps its own mapping, and once deleted and
 *            unmapped the frame's page is back in the quota.
 *   region:  this env derives a DMA region's capability to a forked child, which maps it
 *            (reads the secret) and deletes its copy; after revoke the child's mapping is
 *            gone (protect finds nothing) and its next read faults with the kernel's
 *            page-fault line and kills it (the grader checks the line), while this env's
 *            own mapping stays; the region's pages go back to the quota at its delete.
 *   spawn:   sys_spawn charges its creator's quota for the env, its image's tables and every
 *            page the loader maps (segments, stack, info page); the image's pages come back
 *            at the child's death, the rest with its slot.  A helper ("lifetest tight N")
 *            with exactly one page too few is refused with E_NOMEM, nothing taken, and with
 *            exactly N is left with a quota of 0. */
#include <stdint.h>

#include "fd.h"
#include "fork.h"
#include "printfmt.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define FRAME_VA     0x31000000ull /* the revoked frame, in every env that maps it */
#define SYNC_VA      0x31001000ull /* a page the children share with this env (never revoked) */
#define NSPIN        100000
#define MAX_SPINS    2000000
#define REGION_VA    0x31200000ull /* the DMA region here */
#define KID_VA       0x31400000ull /* and in the child (fork does not copy region mappings) */
#define SECRET       0x5ec7e75ec7e7ull
#define TIGHT_FRAMES 64 /* extra quota the tight helper burns down (one slot a frame) */

static int nchecks, nfailed;

static void
check(const char *tag, int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("lifetest: %s: %s %s\n", tag, what, ok ? "OK" : "FAIL");
}

/* Runs fn in a forked child and waits for it: its exit status, or a negative code. */
static int
in_child(int (*fn)(void))
{
	long id = fork();
	int status = -100;

	if (id == 0)
		exit(fn());
	if (id < 0 || wait(id, &status) < 0)
		return -101;
	return status;
}

static int
exofork_and_exit(void)
{
	long slot = slot_alloc();

	if (slot < 0 || sys_exofork((uint64_t)slot) < 0)
		return 1;
	return 0; /* the raw child never runs: exofork's second return never happens */
}

static int
exofork_blocked(void)
{
	long slot = slot_alloc();

	if (slot < 0 || sys_exofork((uint64_t)slot) < 0)
		return 1;
	return sys_env_set_status((uint64_t)slot, ENV_NOT_RUNNABLE) < 0;
}

/* Exoforks until an error: E_NOMEM from the quota (env_cost pages each), well before the
 * 256 entries of the env table are all taken. */
static int
exofork_fill(void)
{
	long n = 0, err = 0;

	while (n < 1000) {
		long slot = slot_alloc();

		if (slot < 0)
			return 2;
		if ((err = sys_exofork((uint64_t)slot)) < 0)
			break;
		n++;
	}
	printf("lifetest: fill: %ld envs before %s\n", n, error_name((int)err));
	return err == E_NOMEM && n < 128 ? 0 : 1;
}

static int
spin_orphan(void)
{
	long id = fork();

	if (id == 0)
		for (volatile uint64_t i = 0;; i++)
			;
	return id < 0;
}

static int
nothing(void)
{
	return 0;
}

static void
lifetimes(void)
{
	uint64_t q;

	/* The first fork takes the loader's pages over (a page of quota each, for good), and
	 * writes after it copy pages: a fork that has ended leaves the quota where it was. */
	check("exit", in_child(nothing) == 0 && in_child(nothing) == 0, "two warm-up forks");
	q = libos_quota_pages();

	check("exit", in_child(exofork_and_exit) == 0, "a child exoforks and exits");
	check("exit", libos_quota_pages() == q, "its raw child's charge is back in the quota");
	check("blocked", in_child(exofork_blocked) == 0, "a child blocks its raw child, exits");
	check("blocked", libos_quota_pages() == q,
	      "the blocked child's charge is back in the quota");
	check("fill", in_child(exofork_fill) == 0, "exofork until failure stops at the quota");
	check("fill", libos_quota_pages() == q, "every filled env's charge is back in the quota");
	check("spin", in_child(spin_orphan) == 0, "a child leaves a spinning grandchild");
	check("spin", libos_quota_pages() == q, "the spinner died with its parent");
	if (libos_quota_pages() != q)
		printf("lifetest: quota %lu, was %lu\n", (unsigned long)libos_quota_pages(),
		       (unsigned long)q);
}

/* A child of the revoke scenario: maps the frame through its derived capability, says so in
 * the sync page, and once told reports whether the mapping survived the revoke. */
static int
revoke_child(uint64_t fslot, uint64_t sslot, int me)
{
	volatile uint64_t *sync = (volatile uint64_t *)SYNC_VA;
	long spins = 0;

	while (sys_map(ABI_SLOT_SELF, sslot, SYNC_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		if (sys_yield(), ++spins > MAX_SPINS)
			return 10;
	if (sys_map(ABI_SLOT_SELF, fslot, FRAME_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		return 11;
	*(volatile uint64_t *)FRAME_VA = 0xb0 + (uint64_t)me;
	sync[me] = 1;
	while (sync[0] != 2)
		if (sys_yield(), ++spins > MAX_SPINS)
			return 12;
	/* protect finds the mapping without touching it: E_NOENT once revoke removed it. */
	sync[me] = sys_protect(ABI_SLOT_SELF, FRAME_VA, ABI_PERM_R) == E_NOENT ? 3 : 4;
	return 0;
}

static void
revoke(void)
{
	volatile uint64_t *sync = (volatile uint64_t *)SYNC_VA;
	long fslot = slot_alloc(), sslot = slot_alloc(), id[2];
	uint64_t q = libos_quota_pages();
	long spins = 0;
	int st[2];

	check("revoke", fslot > 0 && sslot > 0, "two slots");
	check("revoke",
	      sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)fslot, CAP_R_ALL) == 0 &&
	          sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)sslot, CAP_R_ALL) == 0 &&
	          sys_map(ABI_SLOT_SELF, (uint64_t)fslot, FRAME_VA, ABI_PERM_R | ABI_PERM_W) == 0 &&
	          sys_map(ABI_SLOT_SELF, (uint64_t)sslot, SYNC_VA, ABI_PERM_R | ABI_PERM_W) == 0,
	      "two frames mapped here");
	for (int i = 0; i < 2; i++) {
		long cs;

		if ((id[i] = fork()) == 0)
			exit(revoke_child((uint64_t)fslot, (uint64_t)sslot, i + 1));
		cs = fork_child_slot(id[i]);
		check("revoke",
		      id[i] > 0 && cs > 0 &&
		          sys_cap_derive((uint64_t)fslot, (uint64_t)cs, (uint64_t)fslot,
		                         CAP_R_READ | CAP_R_WRITE | CAP_R_MAP, CAP_NO_BADGE) == 0 &&
		          sys_cap_copy((uint64_t)sslot, (uint64_t)cs, (uint64_t)sslot) == 0,
		      "a child gets a derived copy of the frame");
	}
	while ((sync[1] != 1 || sync[2] != 1) && ++spins < MAX_SPINS)
		sys_yield();
	check("revoke",
	      *(volatile uint64_t *)FRAME_VA == 0xb1 || *(volatile uint64_t *)FRAME_VA == 0xb2,
	      "the children wrote through their mappings");
	check("revoke", sys_cap_revoke((uint64_t)fslot) == 0, "revoke the frame's copies");
	sync[0] = 2;
	while ((sync[1] < 3 || sync[2] < 3) && ++spins < MAX_SPINS)
		sys_yield();
	check("revoke", sync[1] == 3, "the first child's mapping is gone");
	check("revoke", sync[2] == 3, "the second child's mapping is gone");
	*(volatile uint64_t *)FRAME_VA = 0xa0;
	check("revoke", *(volatile uint64_t *)FRAME_VA == 0xa0, "this env keeps its own mapping");
	check("revoke",
	      wait(id[0], &st[0]) == 0 && wait(id[1], &st[1]) == 0 && st[0] == 0 && st[1] == 0,
	      "both children ended well");
	check("revoke",
	      sys_unmap(ABI_SLOT_SELF, FRAME_VA) == 0 && sys_cap_delete((uint64_t)fslot) == 0,
	      "unmap and delete the frame");
	/* Still out: the sync page, and the page table both pages were mapped through. */
	check("revoke", libos_quota_pages() == q - 2, "the frame's page is back in the quota");
	sys_unmap(ABI_SLOT_SELF, SYNC_VA);
	sys_cap_delete((uint64_t)sslot);
	check("revoke", libos_quota_pages() == q, "the sync page and the emptied table too");
}

/* The child of the region scenario: maps the region through its derived capability,
 * checks the secret, deletes its copy (the mapping outlives a delete) and says so; once told,
 * reports whether the mapping survived the revoke, then reads it: a fault ends it here. */
static int
region_child(uint64_t rslot, uint64_t sslot)
{
	volatile uint64_t *sync = (volatile uint64_t *)SYNC_VA;
	long spins = 0;

	while (sys_map(ABI_SLOT_SELF, sslot, SYNC_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		if (sys_yield(), ++spins > MAX_SPINS)
			return 10;
	if (sys_region_map(rslot, ABI_SLOT_SELF, KID_VA, ABI_PERM_R) < 0)
		return 11;
	if (*(volatile uint64_t *)KID_VA != SECRET || sys_cap_delete(rslot) < 0)
		return 12;
	sync[1] = 1;
	while (sync[0] != 2)
		if (sys_yield(), ++spins > MAX_SPINS)
			return 13;
	sync[1] = sys_protect(ABI_SLOT_SELF, KID_VA, ABI_PERM_R) == E_NOENT ? 3 : 4;
	sync[2] = *(volatile uint64_t *)KID_VA; /* faults: the page fault line, and death */
	return 14;
}

static void
region_revoke(void)
{
	volatile uint64_t *sync = (volatile uint64_t *)SYNC_VA;
	long rslot = slot_alloc(), sslot = slot_alloc(), id, cs;
	uint64_t q = libos_quota_pages();
	long spins = 0;
	int st = 0;

	check("region", rslot > 0 && sslot > 0, "two slots");
	check("region",
	      sys_dma_alloc(ABI_SLOT_UNTYPED, (uint64_t)rslot, 1, ABI_DMA_WB, CAP_R_ALL) > 0 &&
	          sys_region_map((uint64_t)rslot, ABI_SLOT_SELF, REGION_VA,
	                         ABI_PERM_R | ABI_PERM_W) == 0 &&
	          sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)sslot, CAP_R_ALL) == 0 &&
	          sys_map(ABI_SLOT_SELF, (uint64_t)sslot, SYNC_VA, ABI_PERM_R | ABI_PERM_W) == 0,
	      "a DMA region and a sync page mapped here");
	*(volatile uint64_t *)REGION_VA = SECRET;
	sync[0] = sync[1] = sync[2] = 0;
	if ((id = fork()) == 0)
		exit(region_child((uint64_t)rslot, (uint64_t)sslot));
	cs = fork_child_slot(id);
	check("region",
	      id > 0 && cs > 0 &&
	          sys_cap_derive((uint64_t)rslot, (uint64_t)cs, (uint64_t)rslot,
	                         CAP_R_READ | CAP_R_MAP, CAP_NO_BADGE) == 0 &&
	          sys_cap_copy((uint64_t)sslot, (uint64_t)cs, (uint64_t)sslot) == 0,
	      "the child gets a derived copy of the region");
	while (sync[1] != 1 && ++spins < MAX_SPINS)
		sys_yield();
	check("region", sync[1] == 1, "the child read the secret and deleted its copy");
	check("region", sys_cap_revoke((uint64_t)rslot) == 0, "revoke the region's copies");
	sync[0] = 2;
	check("region", wait(id, &st) == 0 && st == WAIT_KILLED, "the child's read killed it");
	check("region", sync[1] == 3 && sync[2] == 0, "its mapping was gone, no data read");
	check("region", *(volatile uint64_t *)REGION_VA == SECRET, "this env keeps its mapping");
	check("region",
	      sys_unmap(ABI_SLOT_SELF, REGION_VA) == 0 && sys_cap_delete((uint64_t)rslot) == 0 &&
	          sys_unmap(ABI_SLOT_SELF, SYNC_VA) == 0 && sys_cap_delete((uint64_t)sslot) == 0,
	      "unmap and delete the region and the sync page");
	check("region", libos_quota_pages() == q, "the region's page is back in the quota");
	slot_free((uint64_t)rslot);
	slot_free((uint64_t)sslot);
}

/* A child that only yields, spawned with `pages` of quota: its env slot, or an error. */
static long
spawn_spinner(uint64_t pages)
{
	static const char cmd[] = "lifetest spinner";
	long slot = slot_alloc(), id;

	if (slot < 0)
		return slot;
	id = sys_spawn(cmd, sizeof(cmd) - 1, (uint64_t)slot, ABI_SLOT_UNTYPED, pages);
	if (id < 0) {
		slot_free((uint64_t)slot);
		return id;
	}
	return slot;
}

/* Destroys the spinner in `slot` (the quota holding q_alive pages while it lives): true when
 * its death gives its loaded image back and its capability is deleted. */
static int
spinner_end(long slot, uint64_t q_alive)
{
	int ok = sys_env_destroy((uint64_t)slot) == 0 &&
	         libos_quota_pages() == q_alive + libos_image_pages();

	ok &= sys_cap_delete((uint64_t)slot) == 0;
	slot_free((uint64_t)slot);
	return ok;
}

static uint64_t
parse_u64(const char *s)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

/* "lifetest tight N": with its quota at N - 1 pages a spawn of the spinner fails with
 * E_NOMEM and takes nothing; at N it succeeds and leaves 0; the spinner's end gives all N
 * back.  Frames of the quota, never mapped (so no table), burn it down to the page. */
static int
tight(uint64_t need)
{
	long frames[TIGHT_FRAMES], slot;
	int n = 0;

	while (libos_quota_pages() > need - 1 && n < TIGHT_FRAMES &&
	       (frames[n] = slot_alloc()) > 0 &&
	       sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)frames[n], CAP_R_ALL) == 0)
		n++;
	check("tight", need > 0 && libos_quota_pages() == need - 1, "quota burnt to one short");
	check("tight", spawn_spinner(0) == E_NOMEM, "spawn with one page too few: E_NOMEM");
	check("tight", libos_quota_pages() == need - 1, "the refused spawn took nothing");
	check("tight", n > 0 && sys_cap_delete((uint64_t)frames[--n]) == 0, "give one page back");
	slot = spawn_spinner(0);
	check("tight", slot > 0 && libos_quota_pages() == 0, "spawn with exactly its charge");
	check("tight", slot > 0 && spinner_end(slot, 0), "its death gives the image back");
	check("tight", libos_quota_pages() == need, "the whole charge is back");
	while (n > 0)
		sys_cap_delete((uint64_t)frames[--n]);
	return nfailed;
}

static void
spawn_charge(void)
{
	uint64_t img = libos_image_pages(), q0 = libos_quota_pages(), q1;
	long slot = spawn_spinner(0), id;
	char need[24];
	const char *argv[] = { "lifetest", "tight", need, NULL };
	int st = -1;

	check("spawn", slot > 0, "spawn a spinner with no quota of its own");
	if (slot <= 0)
		return;
	q1 = libos_quota_pages();
	printf("lifetest: spawn: charged %lu pages, %lu of them the loaded image\n",
	       (unsigned long)(q0 - q1), (unsigned long)img);
	check("spawn", q0 - q1 >= img + 3, "spawn charges the env, its tables and its image");
	check("spawn", spinner_end(slot, q1), "the spinner's death gives its image back");
	check("spawn", libos_quota_pages() == q0, "the slot's release gives back the rest");
	fmt_snprintf(need, sizeof(need), "%lu", (unsigned long)(q0 - q1));
	id = spawn("lifetest", argv, q0 - q1 + TIGHT_FRAMES);
	check("spawn", id > 0 && wait(id, &st) == 0 && st == 0, "the tight helper passed");
	check("spawn", libos_quota_pages() == q0, "the helper's quota is back");
}

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "spinner") == 0)
		for (;;)
			sys_yield();
	if (argc == 3 && strcmp(argv[1], "tight") == 0)
		return tight(parse_u64(argv[2]));
	lifetimes();
	revoke();
	region_revoke();
	spawn_charge();
	printf("lifetest: %d checks, %d failed\n", nchecks, nfailed);
	return nfailed != 0;
}
