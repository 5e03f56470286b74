/* memtest: the exokernel memory interface end to end.  Allocates frames from its quota,
 * maps them into itself and into a child ("memtest child"), unmaps, deletes and destroys,
 * and checks after each step how many pages the quota holds: a frame goes back only when
 * its last capability and its last mapping are gone, and at the end the count is exactly
 * what it was at the start. */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define NFRAMES    8
#define SELF_VA    0x30000000ull /* the frames in this env */
#define CHILD_VA   0x40000000ull /* the frames in the child */
#define PATTERN    0x6d656d7465737400ull
#define MAX_YIELDS 100000

/* Words of frame 0 the child reports through. */
enum { W_PATTERN, W_SEEN, W_DONE, W_CHILD_WROTE };

static uint64_t frames[NFRAMES];
static int64_t child_tables; /* page tables mapping the frames into the child cost this many */
static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
	nchecks++;
	nfailed += !ok;
	printf("memtest: %s %s\n", what, ok ? "OK" : "FAIL");
}

static int64_t
quota(void)
{
	struct cap_info ci;
	long r = sys_cap_identify(ABI_SLOT_UNTYPED, &ci);

	return r < 0 ? r : (int64_t)ci.pages;
}

/* The child: every frame shows the parent's pattern; reports, then waits to be destroyed.
 * It may run as soon as it is spawned, so it first waits for the last frame to be mapped
 * (protect fails with E_NOENT until then) and to hold its pattern, the parent's last write. */
static void
child(void)
{
	volatile uint64_t *f0 = (volatile uint64_t *)CHILD_VA;
	volatile uint64_t *last = (volatile uint64_t *)(CHILD_VA + (NFRAMES - 1) * ABI_PAGE_SIZE);
	uint64_t seen = 0;

	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, (uintptr_t)last, ABI_PERM_R | ABI_PERM_W) == 0 &&
		    last[0] == PATTERN + NFRAMES - 1)
			break;
		sys_yield();
	}
	for (int i = 0; i < NFRAMES; i++)
		seen += *(volatile uint64_t *)(CHILD_VA + i * ABI_PAGE_SIZE) == PATTERN + i;
	*(volatile uint64_t *)(CHILD_VA + (NFRAMES - 1) * ABI_PAGE_SIZE + 8) = ~PATTERN;
	f0[W_SEEN] = seen;
	f0[W_DONE] = 1;
	for (int i = 0; i < MAX_YIELDS; i++)
		sys_yield();
	exit(1);
}

/* Allocates and maps the frames into this env and the child; returns false on failure. */
static int
alloc_and_map(uint64_t env, int64_t q1)
{
	long phys[NFRAMES];
	int mapped = 0, distinct = 1, zeroed = 1;

	for (int i = 0; i < NFRAMES; i++) {
		long s = slot_alloc();

		if (s < 0 || sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_ALL) < 0)
			return 0;
		frames[i] = (uint64_t)s;
	}
	check(quota() == q1 - NFRAMES, "alloc: each frame takes one page of the quota");
	/* This env's maps first, then the child's: the page tables each needs are paid from
	 * this env's quota (the child's, spawned with none, are too), and child_tables is what
	 * the child's cost. */
	for (int i = 0; i < NFRAMES; i++)
		mapped += sys_map(ABI_SLOT_SELF, frames[i], SELF_VA + i * ABI_PAGE_SIZE,
		                  ABI_PERM_R | ABI_PERM_W) == 0;
	child_tables = quota();
	for (int i = 0; i < NFRAMES; i++) {
		mapped += sys_map(env, frames[i], CHILD_VA + i * ABI_PAGE_SIZE,
		                  ABI_PERM_R | ABI_PERM_W) == 0;
		phys[i] = sys_frame_phys(frames[i]);
		distinct &= phys[i] > 0 && phys[i] % ABI_PAGE_SIZE == 0;
		for (int j = 0; j < i; j++)
			distinct &= phys[j] != phys[i];
	}
	child_tables -= quota();
	check(mapped == 2 * NFRAMES, "map: every frame into this env and the child");
	check(distinct, "phys: the frames have distinct page-aligned physical addresses");
	for (int i = 0; i < NFRAMES; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(SELF_VA + i * ABI_PAGE_SIZE);

		zeroed &= w[0] == 0 && w[ABI_PAGE_SIZE / 8 - 1] == 0;
		w[0] = PATTERN + (uint64_t)i;
	}
	check(zeroed, "alloc: new frames are zeroed");
	return 1;
}

/* Takes the frames away step by step; the quota must follow exactly. */
static void
unmap_and_free(uint64_t env, int64_t q1)
{
	int ok = 1;

	for (int i = 0; i < NFRAMES / 2; i++)
		ok &= sys_unmap(env, CHILD_VA + i * ABI_PAGE_SIZE) == 0;
	check(ok, "unmap: half the frames from the child");
	check(sys_unmap(env, CHILD_VA) == E_NOENT, "unmap: a second unmap finds nothing");
	for (int i = 0; i < NFRAMES; i++)
		ok &= sys_unmap(ABI_SLOT_SELF, SELF_VA + i * ABI_PAGE_SIZE) == 0;
	check(ok, "unmap: every frame from this env");
	/* This env's tables went with its last mapping; the child's stay while it maps some. */
	check(quota() == q1 - NFRAMES - child_tables,
	      "free: unmapped frames with capabilities stay allocated");
	for (int i = 0; i < NFRAMES; i++) {
		ok &= sys_cap_delete(frames[i]) == 0;
		slot_free(frames[i]);
		if (i == NFRAMES / 2 - 1)
			check(quota() == q1 - NFRAMES / 2 - child_tables,
			      "free: frames without capability or mapping return to the quota");
	}
	check(ok, "free: every frame capability deleted");
	check(quota() == q1 - NFRAMES / 2 - child_tables,
	      "free: frames still mapped in the child stay allocated");
}

int
main(int argc, char **argv)
{
	volatile uint64_t *f0 = (volatile uint64_t *)SELF_VA;
	int64_t q0, q1;
	long env;

	if (argc > 1 && strcmp(argv[1], "child") == 0)
		child();
	q0 = quota();
	check(q0 >= NFRAMES, "quota: this env has enough pages");
	env = slot_alloc();
	if (env < 0 || sys_spawn("memtest child", 13, (uint64_t)env, ABI_SLOT_UNTYPED, 0) < 0)
		panic("cannot spawn the child");
	q1 = quota();
	if (!alloc_and_map((uint64_t)env, q1))
		panic("cannot allocate %d frames", NFRAMES);
	for (int i = 0; i < MAX_YIELDS && f0[W_DONE] == 0; i++)
		sys_yield();
	check(f0[W_SEEN] == NFRAMES, "share: the child sees what this env wrote");
	check(*(volatile uint64_t *)(SELF_VA + (NFRAMES - 1) * ABI_PAGE_SIZE + 8) == ~PATTERN,
	      "share: this env sees what the child wrote");
	unmap_and_free((uint64_t)env, q1);
	check(sys_env_destroy((uint64_t)env) == 0 && sys_env_status((uint64_t)env) == ENV_DEAD,
	      "destroy: the child is dead");
	check(quota() == q1 + (int64_t)libos_image_pages(),
	      "destroy: the child's mappings went, its frames and its loaded image returned");
	check(sys_cap_delete((uint64_t)env) == 0 && quota() == q0,
	      "destroy: the frame count is back to its start");
	printf("memtest: quota %lld pages at the start, %lld at the end; %d of %d checks failed\n",
	       (long long)q0, (long long)quota(), nfailed, nchecks);
	return nfailed ? 1 : 0;
}
