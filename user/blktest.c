/* blktest: the block service (user/blksrv.c, protocol in blk.h) and its clients (issue 12
 * items 7 and 8).  Run as init (`init=blktest`: only init holds device capabilities) by
 * grade/nvmetests.py on the same pre-filled image as nvmetest (block b holds the words
 * b * PRE_MUL + j).  It is the owner: it starts the service with the controller and the
 * endpoint, grants client A blocks [A_FIRST, +RANGE) and client B [B_FIRST, +RANGE) through
 * badged endpoint copies, then, as client A, writes seeded patterns and reads them back
 * (checksums), asks outside its range and gets E_RANGE while the service goes on; client B
 * runs in its own env (this program spawned with the argument clientb); a badge without a grant and
 * a read-only frame are refused.  One line per check: `blktest: TAG: what = N OK|FAIL`. */
#include <stdint.h>

#include "abi/cap.h"
#include "abi/dev.h"
#include "blk.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PRE_MUL   0x9e3779b1u
#define A_FIRST   1024
#define B_FIRST   4096
#define RANGE     64
#define SRV_PAGES 160 /* the service's quota: the driver's queues, PRP lists, its own pages */
#define VA_A      0x0000510000000000ull
#define VA_B      0x0000510000100000ull
#define PAGE      4096u
#define B_SLOT    202 /* client B's endpoint, in its env */
#define B_PAGES   16

static struct blk_client a;

static void
check(const char *tag, const char *what, long got, long want)
{
	printf("blktest: %s: %s = %ld %s\n", tag, what, got, got == want ? "OK" : "FAIL");
}

/* FNV-1a, 64-bit. */
static uint64_t
checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* xorshift64 words seeded by `seed`. */
static void
fill_seeded(void *p, size_t len, uint64_t seed)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dull + 1, *w = p;

	for (size_t i = 0; i < len / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w[i] = s;
	}
}

/* Writes a pattern seeded by (seed, lba) to nblocks at lba from page, clears the pages, reads
 * them back: 1 if the checksums match, else 0 or the error. */
static long
write_read(struct blk_client *c, uint64_t lba, uint32_t nblocks, unsigned page, uint64_t seed)
{
	uint8_t *p = c->buf + page * PAGE;
	size_t len = (size_t)nblocks * c->lba_size;
	uint64_t want;
	int r;

	fill_seeded(p, len, seed ^ lba);
	want = checksum(p, len);
	if ((r = blk_write(c, lba, nblocks, page, NULL)) < 0)
		return r;
	memset(p, 0, len);
	if ((r = blk_read(c, lba, nblocks, page, NULL)) < 0)
		return r;
	return checksum(p, len) == want;
}

/* 1 if nblocks at lba still hold the pattern write_read wrote with `seed`. */
static long
still_there(struct blk_client *c, uint64_t lba, uint32_t nblocks, uint64_t seed)
{
	size_t len = (size_t)nblocks * c->lba_size;
	uint64_t want;
	int r;

	fill_seeded(c->buf, len, seed ^ lba);
	want = checksum(c->buf, len);
	memset(c->buf, 0, len);
	if ((r = blk_read(c, lba, nblocks, 0, NULL)) < 0)
		return r;
	return checksum(c->buf, len) == want;
}

/* 1 if block lba of c's range (absolute block `abs`) holds the image's pattern. */
static long
prefilled(struct blk_client *c, uint64_t lba, uint64_t abs)
{
	uint32_t *w = (uint32_t *)c->buf;
	int r;

	if ((r = blk_read(c, lba, 1, 0, NULL)) < 0)
		return r;
	for (unsigned j = 0; j < c->lba_size / 4; j++)
		if (w[j] != (uint32_t)abs * PRE_MUL + j)
			return 0;
	return 1;
}

static void
io_cases(void)
{
	uint32_t per_page = PAGE / a.lba_size;

	check("io", "A: its range's size", (long)a.count, RANGE);
	check("io", "A: 4 pages (4 NVMe commands) at block 0",
	      write_read(&a, 0, 4 * per_page, 0, 1), 1);
	check("io", "A: the last block of its range", write_read(&a, RANGE - 1, 1, 0, 2), 1);
	check("io", "A: 10 blocks across a page boundary from page 1", write_read(&a, 40, 10, 1, 3),
	      1);
	check("io", "A: flush", blk_flush(&a), 0);
	check("io", "A: block 0's 4 pages still hold their pattern",
	      still_there(&a, 0, 4 * per_page, 1), 1);
	check("io", "A: a block it never wrote holds the image's pattern (offset A_FIRST)",
	      prefilled(&a, 55, A_FIRST + 55), 1);
}

static void
range_cases(void)
{
	uint16_t st = 0;

	check("range", "read at the range's size", blk_read(&a, RANGE, 1, 0, &st), E_RANGE);
	check("range", "no command reached the controller", st, 0);
	check("range", "read across the range's end", blk_read(&a, RANGE - 1, 2, 0, NULL), E_RANGE);
	check("range", "read at block 2^63", blk_read(&a, 1ull << 63, 1, 0, NULL), E_RANGE);
	check("range", "write at block 2^64 - 1", blk_write(&a, ~0ull, 1, 0, NULL), E_RANGE);
	check("range", "read of 0 blocks", blk_read(&a, 0, 0, 0, NULL), E_INVAL);
	check("range", "buffer page not attached", blk_read(&a, 0, 1, 4, NULL), E_RANGE);
	check("range", "more blocks than the pages hold", blk_read(&a, 0, 33, 0, NULL), E_RANGE);
	check("range", "a client's grant request",
	      blk_call(a.ep, 0, (uint64_t[4]){ BLK_GRANT, 1, 0, 8192 }, NULL), E_PERM);
	check("range", "unknown request", blk_call(a.ep, 0, (uint64_t[4]){ 12, 0, 0, 0 }, NULL),
	      E_INVAL);
	check("range", "the service goes on: A's data reads back", still_there(&a, RANGE - 1, 1, 2),
	      1);
}

/* Client B, `blktest clientb` spawned with its own quota: it waits for its badged endpoint
 * (the owner copies it to B_SLOT after the spawn), checks its range and exits. */
static void
client_b(void)
{
	struct cap_info ci;
	struct blk_client b;
	int r;

	if (slot_reserve(B_SLOT) < 0)
		return;
	while (sys_cap_identify(B_SLOT, &ci) != 0)
		sys_yield();
	check("iso", "B (its own env): open with 1 buffer page", r = blk_open(&b, B_SLOT, 1, VA_B),
	      0);
	if (r < 0)
		return;
	check("iso", "B: a block it never wrote holds the image's pattern (offset B_FIRST)",
	      prefilled(&b, 5, B_FIRST + 5), 1);
	check("iso", "B: 8 blocks written and read back", write_read(&b, 0, 8, 0, 7), 1);
	check("iso", "B: its range ends where A's grant said", blk_read(&b, RANGE, 1, 0, NULL),
	      E_RANGE);
	blk_close(&b);
}

static void
isolation_cases(uint64_t bslot, uint64_t xslot)
{
	struct blk_client x;
	long env = slot_alloc(), r;

	check("iso", "spawn client B",
	      r = sys_spawn("blktest clientb", 15, (uint64_t)env, ABI_SLOT_UNTYPED, B_PAGES) > 0 &&
	          sys_cap_copy(bslot, (uint64_t)env, B_SLOT) == 0,
	      1);
	if (r == 1)
		check("iso", "B ended", env_wait_dead((uint64_t)env, 100000), 0);
	(void)sys_cap_delete((uint64_t)env);
	slot_free((uint64_t)env);
	check("iso", "A's blocks still hold A's patterns", still_there(&a, 0, 8, 1), 1);
	check("iso", "a badge without a grant", blk_open(&x, xslot, 1, VA_B), E_PERM);
}

/* A frame the client may only read: the controller would write it, so it is refused. */
static void
frame_cases(void)
{
	long s = slot_alloc(), r;

	check("frame", "a frame with READ, PHYS and GRANT only",
	      r = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s,
	                          CAP_R_READ | CAP_R_PHYS | CAP_R_GRANT),
	      0);
	if (r == 0)
		check("frame", "attaching it",
		      blk_call(a.ep, (uint64_t)s, (uint64_t[4]){ BLK_ATTACH, 0, 0, 0 }, NULL),
		      E_PERM);
	check("frame", "attach without a frame",
	      blk_call(a.ep, 0, (uint64_t[4]){ BLK_ATTACH, 0, 0, 0 }, NULL), E_INVAL);
	(void)sys_cap_delete((uint64_t)s);
	slot_free((uint64_t)s);
}

/* The owner's side: the service, the grants, the badged endpoints. */
static long
badged(uint64_t ep, uint64_t badge)
{
	long s = slot_alloc();

	if (s < 0 ||
	    sys_cap_derive(ep, ABI_SLOT_SELF, (uint64_t)s, CAP_R_WRITE | CAP_R_GRANT, badge) < 0)
		return E_NOMEM;
	return s;
}

static void
run(uint64_t dev, uint64_t ep, uint64_t srv)
{
	uint64_t out[4] = { 0 };
	long sa, sb, sx;
	int r;

	check("owner", "start the service",
	      sys_spawn("blksrv", 6, srv, ABI_SLOT_UNTYPED, SRV_PAGES) > 0 &&
	          sys_cap_copy(dev, srv, BLK_SRV_SLOT_DEV) == 0 &&
	          sys_cap_copy(ep, srv, BLK_SRV_SLOT_EP) == 0,
	      1);
	check("owner", "the disk", blk_call(ep, 0, (uint64_t[4]){ BLK_DISK, 0, 0, 0 }, out), 0);
	printf("blktest: disk of %lu blocks of %lu bytes\n", (unsigned long)out[2],
	       (unsigned long)out[1]);
	check("owner", "grant A", blk_call(ep, 0, (uint64_t[4]){ BLK_GRANT, 1, A_FIRST, RANGE }, 0),
	      0);
	check("owner", "grant B", blk_call(ep, 0, (uint64_t[4]){ BLK_GRANT, 2, B_FIRST, RANGE }, 0),
	      0);
	check("owner", "grant past the disk's end",
	      blk_call(ep, 0, (uint64_t[4]){ BLK_GRANT, 3, out[2] - 1, 2 }, NULL), E_RANGE);
	sa = badged(ep, 1);
	sb = badged(ep, 2);
	sx = badged(ep, 3);
	check("owner", "three badged endpoints", sa > 0 && sb > 0 && sx > 0, 1);
	check("io", "A: open with 4 buffer pages", r = blk_open(&a, (uint64_t)sa, 4, VA_A), 0);
	if (r == 0) {
		io_cases();
		range_cases();
		isolation_cases((uint64_t)sb, (uint64_t)sx);
		frame_cases();
		blk_close(&a);
	}
	check("owner", "stop the service", blk_call(ep, 0, (uint64_t[4]){ BLK_STOP, 0, 0, 0 }, 0),
	      0);
	check("owner", "it ended", env_wait_dead(srv, 100000), 0);
	(void)sys_cap_delete((uint64_t)sa);
	(void)sys_cap_delete((uint64_t)sb);
	(void)sys_cap_delete((uint64_t)sx);
	slot_free((uint64_t)sa);
	slot_free((uint64_t)sb);
	slot_free((uint64_t)sx);
}

/* The first mapping at VA_A allocates page tables, which stay: make them before counting. */
static void
warm_up(void)
{
	long s = slot_alloc();

	if (s > 0 && sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, CAP_R_ALL) == 0 &&
	    sys_map(ABI_SLOT_SELF, (uint64_t)s, VA_A, ABI_PERM_R) == 0)
		(void)sys_unmap(ABI_SLOT_SELF, VA_A);
	(void)sys_cap_delete((uint64_t)s);
	slot_free((uint64_t)s);
}

int
main(int argc, char **argv)
{
	uint64_t dev;
	long ep, srv;

	if (argc > 1 && strcmp(argv[1], "clientb") == 0) {
		client_b();
		return 0;
	}
	dev = nvme_libos_find();
	ep = slot_alloc();
	srv = slot_alloc();
	check("owner", "an NVMe controller", dev != 0, 1);
	check("owner", "an endpoint",
	      ep > 0 && srv > 0 &&
	          sys_endpoint_alloc(ABI_SLOT_UNTYPED, (uint64_t)ep, CAP_R_ALL) == 0,
	      1);
	if (dev == 0 || ep <= 0 || srv <= 0)
		return 1;
	warm_up();
	sys_leak_check();
	run(dev, (uint64_t)ep, (uint64_t)srv);
	(void)sys_cap_delete((uint64_t)srv);
	sys_leak_check();
	printf("blktest: done\n");
	return 0;
}
