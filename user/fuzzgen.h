/* The fuzzer's worker (user/fuzz.c spawns one per seed): argument generators, one generator
 * per system call, and the scenarios.  A header of static functions so that user/Makefrag's
 * one-object-per-program rule builds the fuzzer unchanged.
 *
 * The worker's capability table (256 slots, ENV_NSLOTS):
 *   FZ_SLOT_CODE    the frame of the random-code children
 *   FZ_SLOT_RES..   the env capabilities exofork and spawn return (its children)
 *   FZ_SLOT_POOL..  where every other call puts what it makes
 *   FZ_SLOT_GIVEN.. copies of the master's notification, endpoint, frame, the ramdisk
 *                   region, two devices and the last CPU's core
 * The worker never copies or derives its own env capability (ABI_SLOT_SELF), so a pool slot
 * never names the worker itself: map/unmap/protect and the env calls aimed at SELF use only
 * the scratch range FZ_SCRATCH or addresses that must be refused. */
#ifndef EXOLAB_FUZZGEN_H
#define EXOLAB_FUZZGEN_H

#include "abi/memlayout.h"

#define FZ_ORPHANS    1ull /* flag: the defect-1 patterns (see user/fuzz.c) */
#define FZ_TRACE      2ull /* flag: print every call before it is made (replaying a seed) */
#define FZ_SLOT_CODE  199  /* the frame random-code children run (user/fuzzscen.h) */
#define FZ_SLOT_RES   200
#define FZ_NRES       16
#define FZ_SLOT_POOL  216
#define FZ_NPOOL      32
#define FZ_SLOT_GIVEN 248
#define FZ_NGIVEN     8
#define FZ_SCRATCH    0x0000200000000000ull /* 64 pages spread over 4 KiB, 2 MiB, 1 GiB steps */
#define FZ_NSCRATCH   64
#define FZ_CODE_VA    FZ_SCRATCH /* where the worker fills a random-code page */

static struct {
	uint64_t x; /* xorshift64* state */
	uint64_t flags, calls, limit, ok;
	uint64_t code_runs;          /* random-code children made runnable */
	uint64_t nsyscalls;          /* entries of known[] */
	unsigned char live[FZ_NRES]; /* exofork/spawn put a child in this RES slot */
} fz;

/* Pages the kernel may write (cap_identify, dev_info, core_stat...) or read (regs, recs),
 * and a slack page after them that takes a write straddling their end (uptr), so no such
 * write reaches the worker's own state. */
static struct {
	uint8_t page[2 * 4096];
	uint8_t slack[4096];
} sinkbuf __attribute__((aligned(4096)));
#define sink sinkbuf.page
static const char cputs_text[] = "fuzz: cputs\n";

#define FZ_KNOWN_(num, name, nargs, argnames) num,
static const uint16_t known[] = { ABI_SYSCALLS(FZ_KNOWN_) };
#undef FZ_KNOWN_

static uint64_t
fz_parse(const char *s)
{
	uint64_t v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return v;
}

/* xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift generators"). */
static uint64_t
rnd(void)
{
	fz.x ^= fz.x >> 12;
	fz.x ^= fz.x << 25;
	fz.x ^= fz.x >> 27;
	return fz.x * 0x2545f4914f6cdd1dull;
}

static uint64_t
below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static long
call(long num, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	long r;

	if (fz.flags & FZ_TRACE)
		printf("fz: #%lu %ld(%lx, %lx, %lx, %lx, %lx, %lx)\n", fz.calls, num, a0, a1, a2,
		       a3, a4, a5);
	r = syscall6(num, a0, a1, a2, a3, a4, a5);
	fz.calls++;
	if (r >= 0)
		fz.ok++;
	return r;
}

static bool
strict(void)
{
	return !(fz.flags & FZ_ORPHANS);
}

/* A boundary value, a small number, or anything. */
static uint64_t
val(void)
{
	static const uint64_t edge[] = { 0,
		                         1,
		                         2,
		                         3,
		                         7,
		                         8,
		                         255,
		                         256,
		                         4095,
		                         4096,
		                         4097,
		                         0x7fffffff,
		                         0x80000000,
		                         0xffffffff,
		                         1ull << 32,
		                         1ull << 63,
		                         ~0ull,
		                         ~0ull - 1,
		                         0x8000000000000001ull };

	switch (below(4)) {
	case 0:
		return edge[below(sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return below(300);
	case 2:
		return 1ull << below(64);
	default:
		return rnd();
	}
}

static uint64_t
scratch_va(void)
{
	uint64_t i = below(FZ_NSCRATCH);

	if (i < 32)
		return FZ_SCRATCH + i * 4096;
	if (i < 56)
		return FZ_SCRATCH + (i - 31) * (2ull << 20);
	return FZ_SCRATCH + (i - 55) * (1ull << 30);
}

/* Addresses that must be refused: kernel, non-canonical, misaligned, out of the user range. */
static uint64_t
bad_va(void)
{
	static const uint64_t bad[] = { 0,
		                        1,
		                        0xfff,
		                        ABI_USER_END,
		                        ABI_USER_END + 4096,
		                        0x00007ffffffff000ull + 8,
		                        0x0000800000000000ull,
		                        0x8000000000000000ull,
		                        0xffff800000000000ull,
		                        0xffffffff80000000ull,
		                        0xfffffffffffff000ull,
		                        ~0ull };

	return below(3) == 0 ? scratch_va() + 1 + below(4095) : bad[below(sizeof(bad) / 8)];
}

/* An address for the worker's own address space: its scratch range or one to refuse. */
static uint64_t
va_self(void)
{
	return below(3) ? scratch_va() : bad_va();
}

/* An address for another env's address space: anything. */
static uint64_t
va_any(void)
{
	switch (below(5)) {
	case 0:
		return ABI_UTEXT + below(64) * 4096;
	case 1:
		return bad_va();
	case 2:
		return ABI_USER_END - 4096 * (1 + below(4));
	case 3:
		return (rnd() & 0x00007ffffffff000ull) | ABI_USER_START;
	default:
		return scratch_va();
	}
}

/* A user pointer the kernel may write: the sink, or one it must refuse. */
static uint64_t
uptr(void)
{
	switch (below(4)) {
	case 0:
		return (uint64_t)sink;
	case 1:
		return (uint64_t)sink + below(sizeof(sink)); /* may straddle its end */
	case 2:
		return (uint64_t)&fz_parse; /* read-only text */
	default:
		return bad_va();
	}
}

/* A slot: the worker's real capabilities, or any number. */
static uint64_t
slot(void)
{
	switch (below(10)) {
	case 0:
	case 1:
	case 2:
	case 3:
		return FZ_SLOT_POOL + below(FZ_NPOOL);
	case 4:
	case 5:
		return FZ_SLOT_GIVEN + below(FZ_NGIVEN);
	case 6:
		return FZ_SLOT_RES + below(FZ_NRES);
	case 7:
		return ABI_SLOT_UNTYPED;
	default:
		return val();
	}
}

/* A slot naming another env (or nothing): never the worker itself. */
static uint64_t
eslot(void)
{
	uint64_t s = below(3) == 0 ? FZ_SLOT_RES + below(FZ_NRES) : slot();

	return s == ABI_SLOT_SELF ? FZ_SLOT_RES : s;
}

static bool
protected_slot(uint64_t s)
{
	return s == ABI_SLOT_SELF || (s >= FZ_SLOT_RES && s < FZ_SLOT_RES + FZ_NRES);
}

/* A slot cap_delete/cap_revoke may take: never the worker's own env capability (its
 * scenarios map into ABI_SLOT_SELF: once deleted, an exofork could put a child there and the
 * worker would map into the child, as orphans-mode seed 1001 did); in strict mode never a
 * child's root capability; the worker's own quota only rarely (without it the rest of the
 * seed allocates nothing). */
static uint64_t
dslot_kill(void)
{
	uint64_t s = slot();

	if (s == ABI_SLOT_SELF || (strict() && protected_slot(s)) ||
	    (s == ABI_SLOT_UNTYPED && below(64) != 0))
		return FZ_SLOT_POOL + below(FZ_NPOOL);
	return s;
}

/* Where exofork/spawn put a new child: a free RES slot (strict), or anywhere.  With every RES
 * slot taken, one is recycled: its child destroyed (in orphans mode, only sometimes) and its
 * capability deleted. */
static uint64_t
child_slot(int *res)
{
	unsigned i = (unsigned)below(FZ_NRES);

	*res = -1;
	if (!strict() && below(4) == 0)
		return slot();
	for (unsigned k = 0; k < FZ_NRES; k++, i = (i + 1) % FZ_NRES)
		if (!fz.live[i]) { /* not a child's root: whatever a random call left there goes */
			call(SYS_cap_delete, FZ_SLOT_RES + i, 0, 0, 0, 0, 0);
			*res = (int)i;
			return FZ_SLOT_RES + i;
		}
	if (below(8) == 0)
		return below(2) ? 0 : 256; /* exercise the refusal of a bad slot */
	if (strict() || below(2))
		call(SYS_env_destroy, FZ_SLOT_RES + i, 0, 0, 0, 0, 0);
	call(SYS_cap_delete, FZ_SLOT_RES + i, 0, 0, 0, 0, 0);
	fz.live[i] = 0;
	*res = (int)i;
	return FZ_SLOT_RES + i;
}

static uint64_t
rights(void)
{
	return below(4) == 0 ? val() : (below(3) ? CAP_R_ALL : rnd() & CAP_R_ALL);
}

static uint64_t
perm(void)
{
	return below(6) == 0 ? val() : (rnd() & ABI_PERM_ALL);
}

/* info for the IPC calls: random slots and bits, always non-blocking. */
static uint64_t
ipc_info(void)
{
	return (below(2) ? (rnd() & ABI_IPC_INFO_ALL) : val()) | ABI_IPC_NONBLOCK;
}

/* A deadline that passes soon, or one that must be refused. */
static uint64_t
deadline(void)
{
	switch (below(4)) {
	case 0:
		return 0;
	case 1:
		return ABI_SLEEP_MAX + below(2);
	case 2:
		return 1;
	default:
		return rdtsc() + below(200000);
	}
}

static void
fill_sink(void)
{
	for (unsigned i = 0; i < 64; i++)
		((uint64_t *)sink)[i] = below(2) ? val() : rnd();
}

#include "fuzzcalls.h"

#endif
