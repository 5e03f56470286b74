/* captest: capabilities across three envs.  A (this program) allocates a frame and derives a
 * narrower capability to it, spawns B and C ("captest B", "captest C"), copies the derived
 * capability into B and an env capability to C into B; B maps the frame and derives a still
 * narrower, badged capability into C's table; C uses it.  Then A revokes its derived
 * capability: B's copy and C's grandchild must both be gone, in every env, while A's own
 * capabilities stay.  Along the way: rights never grow, badges cannot be rewritten, and
 * forged slot numbers fail.  The envs meet in a shared page and take turns with yield; the
 * timer may also switch between them at any instruction. */
#include <stdint.h>

#include "abi/memlayout.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define SHARED_VA  0x20000000ull /* the rendezvous page, in all three envs */
#define FRAME_VA   0x20001000ull /* where B and C map the frame under test */
#define B_FRAME    20            /* B's slot for its copy of A's derived capability */
#define B_ENV_C    21            /* B's slot for the env capability to C */
#define C_FRAME    22            /* C's slot for the capability B derives for it */
#define BADGE      0x42
#define MAX_YIELDS 100000
#define PATTERN    0xcafe0000c0ffee00ull

/* The derived capability's rights: no PHYS, so the grandchildren cannot learn the address. */
#define MID_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_GRANT | CAP_R_DERIVE)
#define LOW_RIGHTS (CAP_R_READ | CAP_R_MAP)

/* Steps each env has finished, written only by its owner, polled by the others. */
struct rendezvous {
	volatile uint64_t a_step, b_step, c_step;
	volatile uint64_t failures;
	volatile uint64_t a_frame; /* A's slot of the frame: a forged number in B */
};

static struct rendezvous *const rv = (struct rendezvous *)SHARED_VA;
static const char *role = "A";
static int nchecks, nfailed;

static void
check(int ok, const char *what)
{
	nchecks++;
	if (!ok) {
		nfailed++;
		rv->failures++;
	}
	printf("captest[%s]: %s %s\n", role, what, ok ? "OK" : "FAIL");
}

/* Yields until *step reaches `want`; false (and a FAIL line) when it never does. */
static int
await(volatile uint64_t *step, uint64_t want, const char *what)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (*step >= want)
			return 1;
		sys_yield();
	}
	check(0, what);
	return 0;
}

/* B and C may run as soon as A spawns them, before A maps the rendezvous page into them:
 * they wait for it (protect to its own permissions fails with E_NOENT until it is mapped). */
static void
await_rendezvous(void)
{
	for (int i = 0; i < MAX_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, SHARED_VA, ABI_PERM_R | ABI_PERM_W) == 0)
			return;
		sys_yield();
	}
	printf("captest[%s]: sync: the rendezvous page is mapped FAIL\n", role);
	exit(1);
}

static int
rights_are(uint64_t slot, uint32_t rights, uint64_t badge)
{
	struct cap_info ci;

	return sys_cap_identify(slot, &ci) == 0 && ci.type == CAP_FRAME && ci.rights == rights &&
	       ci.badge == badge;
}

static void
role_b(void)
{
	uint64_t spare = B_FRAME + 3;

	await_rendezvous();
	if (!await(&rv->a_step, 1, "sync: B waits for its capabilities"))
		exit(1);
	check(rights_are(B_FRAME, MID_RIGHTS, 0), "derive: B's copy has A's derived rights");
	check(sys_map(ABI_SLOT_SELF, B_FRAME, FRAME_VA, ABI_PERM_R | ABI_PERM_W) == 0,
	      "derive: B maps the copy writable");
	*(volatile uint64_t *)FRAME_VA = PATTERN;
	check(sys_cap_identify(rv->a_frame, &(struct cap_info){ 0 }) == E_NOENT,
	      "forged: a slot number from A's table names nothing in B");
	check(sys_cap_derive(B_FRAME, B_ENV_C, C_FRAME, LOW_RIGHTS, BADGE) == 0,
	      "derive: B derives a badged read-only child into C's table");
	check(sys_cap_derive(B_FRAME, ABI_SLOT_SELF, spare, CAP_R_ALL, 0) == 0 &&
	          rights_are(spare, MID_RIGHTS, 0),
	      "rights: asking for every right yields only the parent's");
	sys_cap_delete(spare);
	rv->b_step = 1;
	if (!await(&rv->a_step, 2, "sync: B waits for the revoke"))
		exit(1);
	check(sys_cap_identify(B_FRAME, &(struct cap_info){ 0 }) == E_NOENT,
	      "revoke: B's copy is gone");
	check(sys_map(ABI_SLOT_SELF, B_FRAME, FRAME_VA + ABI_PAGE_SIZE, ABI_PERM_R) == E_NOENT,
	      "revoke: mapping B's revoked copy fails");
	check(sys_cap_derive(B_FRAME, B_ENV_C, C_FRAME, LOW_RIGHTS, 0) == E_NOENT,
	      "revoke: deriving from B's revoked copy fails");
	check(sys_env_status(B_ENV_C) == ENV_RUNNABLE,
	      "revoke: B's env capability to C, not derived from the frame, stays");
	rv->b_step = 2;
	exit(nfailed ? 1 : 0);
}

static void
role_c(void)
{
	await_rendezvous();
	if (!await(&rv->b_step, 1, "sync: C waits for B"))
		exit(1);
	check(rights_are(C_FRAME, LOW_RIGHTS, BADGE),
	      "derive: C's grandchild is R|MAP, badge 0x42");
	check(sys_map(ABI_SLOT_SELF, C_FRAME, FRAME_VA, ABI_PERM_R) == 0 &&
	          *(volatile uint64_t *)FRAME_VA == PATTERN,
	      "derive: C reads what B wrote through the same frame");
	check(sys_map(ABI_SLOT_SELF, C_FRAME, FRAME_VA + ABI_PAGE_SIZE, ABI_PERM_R | ABI_PERM_W) ==
	          E_PERM,
	      "rights: C cannot map its read-only capability writable");
	check(sys_cap_derive(C_FRAME, ABI_SLOT_SELF, C_FRAME + 1, LOW_RIGHTS, 0) == E_PERM,
	      "rights: C cannot derive without the DERIVE right");
	check(sys_cap_copy(C_FRAME, ABI_SLOT_SELF, C_FRAME + 1) == E_PERM,
	      "rights: C cannot copy without the GRANT right");
	check(sys_frame_phys(C_FRAME) == E_PERM, "rights: C cannot read the physical address");
	rv->c_step = 1;
	if (!await(&rv->a_step, 2, "sync: C waits for the revoke"))
		exit(1);
	check(sys_cap_identify(C_FRAME, &(struct cap_info){ 0 }) == E_NOENT,
	      "revoke: C's grandchild is gone (recursive, across envs)");
	rv->c_step = 2;
	/* B checks that its env capability still names a live C: stay until it has. */
	await(&rv->b_step, 2, "sync: C waits for B's checks");
	exit(nfailed ? 1 : 0);
}

/* A's slots: the frame, its derived capability, the rendezvous page, the two children. */
static uint64_t frame, mid, page, env_b, env_c;

static long
need_slot(void)
{
	long s = slot_alloc();

	if (s < 0)
		panic("slot_alloc: %s", error_name((int)s));
	return s;
}

/* Rights and badges within A's own table, and slot numbers that name nothing. */
static void
a_local_checks(void)
{
	uint64_t badged = (uint64_t)need_slot(), spare = (uint64_t)need_slot();
	struct cap_info ci;

	check(sys_cap_derive(mid, ABI_SLOT_SELF, badged, MID_RIGHTS, 7) == 0 &&
	          rights_are(badged, MID_RIGHTS, 7),
	      "derive: a badge is set on an unbadged parent's child");
	check(sys_cap_derive(badged, ABI_SLOT_SELF, spare, MID_RIGHTS, 8) == E_PERM,
	      "badge: a child cannot change its parent's badge");
	check(sys_cap_derive(badged, ABI_SLOT_SELF, spare, CAP_R_READ, CAP_NO_BADGE) == 0 &&
	          rights_are(spare, CAP_R_READ, 7),
	      "badge: a child without a badge of its own inherits the parent's");
	sys_cap_delete(spare);
	sys_cap_delete(badged);
	check(sys_frame_phys(mid) == E_PERM, "rights: the derived capability has no PHYS");
	check(sys_frame_phys(frame) >= 0, "rights: the original keeps PHYS");
	check(sys_cap_identify(0, &ci) == E_INVAL, "forged: slot 0 is never a capability");
	check(sys_cap_identify(libos_envinfo->nslots, &ci) == E_RANGE,
	      "forged: the slot past the table's end");
	check(sys_cap_identify((1ull << 32) | frame, &ci) == E_RANGE,
	      "forged: a slot that is in range only when truncated to 32 bits");
	check(sys_cap_identify(spare, &ci) == E_NOENT, "forged: an empty slot");
	slot_free(spare);
	slot_free(badged);
}

/* Spawns a child role and maps the rendezvous page into it (which the child awaits). */
static uint64_t
a_spawn(const char *cmd)
{
	uint64_t slot = (uint64_t)need_slot();
	long id = sys_spawn(cmd, strlen(cmd), slot, ABI_SLOT_UNTYPED, 0);

	if (id < 0)
		panic("spawn %s: %s", cmd, error_name((int)id));
	if (sys_map(slot, page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("map the rendezvous page into %s", cmd);
	return slot;
}

static void
a_setup(void)
{
	frame = (uint64_t)need_slot();
	mid = (uint64_t)need_slot();
	page = (uint64_t)need_slot();
	if (sys_frame_alloc(ABI_SLOT_UNTYPED, frame, CAP_R_ALL) < 0 ||
	    sys_frame_alloc(ABI_SLOT_UNTYPED, page, CAP_R_ALL) < 0 ||
	    sys_map(ABI_SLOT_SELF, page, SHARED_VA, ABI_PERM_R | ABI_PERM_W) < 0)
		panic("cannot allocate and map the test frames");
	rv->a_frame = frame;
	check(sys_cap_derive(frame, ABI_SLOT_SELF, mid, MID_RIGHTS, CAP_NO_BADGE) == 0 &&
	          rights_are(mid, MID_RIGHTS, 0),
	      "derive: A derives a capability without PHYS");
	a_local_checks();
	env_b = a_spawn("captest B");
	env_c = a_spawn("captest C");
	check(sys_cap_copy(mid, env_b, B_FRAME) == 0, "derive: A copies it into B");
	check(sys_cap_copy(env_c, env_b, B_ENV_C) == 0, "derive: A gives B an env capability to C");
}

static void
a_finish(void)
{
	uint64_t failures = rv->failures;

	check(env_wait_dead(env_b, MAX_YIELDS) == 0 && env_wait_dead(env_c, MAX_YIELDS) == 0,
	      "revoke: B and C end");
	sys_cap_delete(env_b);
	sys_cap_delete(env_c);
	sys_unmap(ABI_SLOT_SELF, FRAME_VA);
	sys_unmap(ABI_SLOT_SELF, SHARED_VA);
	sys_cap_delete(page);
	sys_cap_delete(mid);
	sys_cap_delete(frame);
	printf("captest: %llu checks failed in all three envs\n", (unsigned long long)failures);
	exit(failures ? 1 : 0);
}

int
main(int argc, char **argv)
{
	struct cap_info ci;

	if (argc > 1 && strcmp(argv[1], "B") == 0) {
		role = "B";
		role_b();
	}
	if (argc > 1 && strcmp(argv[1], "C") == 0) {
		role = "C";
		role_c();
	}
	a_setup();
	rv->a_step = 1;
	if (await(&rv->b_step, 1, "sync: A waits for B") &&
	    await(&rv->c_step, 1, "sync: A waits for C")) {
		check(sys_map(ABI_SLOT_SELF, frame, FRAME_VA, ABI_PERM_R) == 0 &&
		          *(volatile uint64_t *)FRAME_VA == PATTERN,
		      "derive: A sees B's write in its own frame");
		check(sys_cap_revoke(mid) == 0, "revoke: A revokes its derived capability");
		check(rights_are(mid, MID_RIGHTS, 0),
		      "revoke: the revoked capability itself stays");
		check(sys_cap_identify(frame, &ci) == 0 && ci.type == CAP_FRAME,
		      "revoke: its parent stays");
	}
	rv->a_step = 2;
	await(&rv->b_step, 2, "sync: A waits for B's checks");
	await(&rv->c_step, 2, "sync: A waits for C's checks");
	a_finish();
	return 0;
}
