/* LibOS partition helpers (partition.h, docs/partitions.md "Running a partition"): the TSC as
 * lib/fastpath's clock, the area of pages a host env shares with a fast-path app at PART_VA,
 * and an app's life on an owned core: spawn, claim (core_claim through a capability derived
 * from this env's core capability), revoke (cap_revoke of that capability: the kernel stops
 * the app at once), destroy.  An area may instead live on the shell's partition board
 * (part_area_board, partition_board.c): one derived region, mapped whole by region_map. */
#include <stdint.h>

#include "abi/cap.h"
#include "abi/core.h"
#include "libos.h"
#include "partition.h"
#include "printfmt.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE        4096ull
#define WAIT_YIELDS 2000000 /* bounds on waits for another env: a count, not a time */
#define WAIT_NAP_US 10      /* a wait for another CPU sleeps this long between looks */
#define WAIT_NAPS   200000  /* and gives up after this many naps (2 s) */
#define LINGER_MS   120000  /* part_board_leave's bound */

static uint64_t
tsc_now(void *ctx)
{
	(void)ctx;
	return rdtsc();
}

uint64_t
part_tsc_hz(void)
{
	return libos_envinfo->tsc_hz;
}

void
part_clock(struct fp_clock *c)
{
	c->now = tsc_now;
	c->ctx = NULL;
	c->hz = part_tsc_hz();
}

/* With no calibrated rate the kernel's own fallback, 1 GHz (clock.c), is the best guess. */
uint64_t
part_ms_to_tsc(uint64_t ms)
{
	uint64_t hz = part_tsc_hz() ? part_tsc_hz() : 1000000000ull;

	return ms * (hz / 1000);
}

int
part_area_alloc(struct part_area *a, uint64_t npages, unsigned cpu)
{
	long s, err;

	memset(a, 0, sizeof(*a));
	if (npages == 0 || npages > PART_MAX_PAGES)
		return E_INVAL;
	for (; a->npages < npages; a->npages++) {
		if ((s = slot_alloc()) < 0) {
			part_area_free(a);
			return (int)s;
		}
		a->slot[a->npages] = (uint64_t)s;
		err = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s,
		                      CAP_R_READ | CAP_R_WRITE | CAP_R_MAP);
		if (err == 0)
			err = sys_map(ABI_SLOT_SELF, (uint64_t)s, PART_VA + a->npages * PAGE,
			              ABI_PERM_R | ABI_PERM_W);
		if (err < 0) {
			a->npages++;
			part_area_free(a);
			return (int)err;
		}
	}
	a->ctl = (struct part_ctl *)PART_VA;
	a->ctl->magic = PART_MAGIC;
	a->ctl->npages = npages;
	a->ctl->cpu = cpu;
	a->used = sizeof(struct part_ctl);
	return 0;
}

/* Relaxed stores for the words the old app shared (it is dead or stopped: nothing reads
 * them but the host); ready last, with release, as the app's own stores of it. */
void
part_area_renew(struct part_area *a, uint32_t generation)
{
	struct part_ctl *c = a->ctl;

	c->generation = generation;
	__atomic_store_n(&c->poll.heartbeat, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->poll.stop, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->ready, 0, __ATOMIC_RELEASE);
}

/* The entry back to FREE if it is still this registration's; the region's capability deleted
 * first: that unmaps the area everywhere (this env, the app, an fpstat -p). */
static void
board_release(struct part_area *a)
{
	struct part_board *b = part_board_map();
	struct part_board_ent *e = b ? &b->ent[a->entry] : NULL;
	uint32_t st;

	sys_cap_delete(a->region);
	slot_free(a->region);
	a->region = 0;
	if (e != NULL && __atomic_load_n(&e->gen, __ATOMIC_ACQUIRE) == a->bgen) {
		st = __atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
		if (st == PART_BOARD_LIVE || st == PART_BOARD_ENDED)
			__atomic_compare_exchange_n(&e->state, &st, PART_BOARD_FREE, false,
			                            __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
	}
	a->bgen = 0;
	a->ctl = NULL;
}

/* Deleting a frame capability unmaps it everywhere (the app's mapping was made from it). */
void
part_area_free(struct part_area *a)
{
	if (a->region != 0)
		board_release(a);
	for (uint64_t i = 0; i < a->npages; i++) {
		if (a->slot[i] == 0)
			continue;
		sys_cap_delete(a->slot[i]);
		slot_free(a->slot[i]);
		a->slot[i] = 0;
	}
	a->npages = 0;
	a->ctl = NULL;
}

/* A FREE or ENDED entry made TAKEN (compare-and-swap: two hosts cannot take one), or -1. */
static int
board_take(struct part_board *b)
{
	for (unsigned i = 0; i < PART_BOARD_ENTRIES; i++) {
		uint32_t st = __atomic_load_n(&b->ent[i].state, __ATOMIC_ACQUIRE);

		if ((st == PART_BOARD_FREE || st == PART_BOARD_ENDED) &&
		    __atomic_compare_exchange_n(&b->ent[i].state, &st, PART_BOARD_TAKEN, false,
		                                __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return (int)i;
	}
	return -1;
}

/* Entry i's fields while it is TAKEN, then its pages as a derived region mapped at PART_VA
 * (zeroed: an ended host's may be there), then LIVE with release: a reader that sees LIVE
 * sees the rest. */
static int
board_fill(struct part_board *b, unsigned i, struct part_area *a, uint64_t npages, const char *name)
{
	struct part_board_ent *e = &b->ent[i];
	long s = slot_alloc(), err;

	if (s < 0)
		return (int)s;
	err = sys_region_derive(part_board_slot(), (uint64_t)s, 1 + i * PART_BOARD_AREA, npages,
	                        CAP_R_READ | CAP_R_WRITE | CAP_R_MAP);
	if (err == 0) {
		memset(part_board_area(b, i), 0, npages * PAGE);
		err = sys_region_map((uint64_t)s, ABI_SLOT_SELF, PART_VA, ABI_PERM_R | ABI_PERM_W);
		if (err < 0)
			sys_cap_delete((uint64_t)s);
	}
	if (err < 0) {
		slot_free((uint64_t)s);
		return (int)err;
	}
	e->gen = __atomic_add_fetch(&b->gen, 1, __ATOMIC_RELAXED);
	e->host = e->runner = sys_env_id();
	e->parent = libos_envinfo->parent;
	e->linger = __atomic_exchange_n(&b->linger, 0, __ATOMIC_RELAXED);
	e->seen = 0;
	memset(e->name, 0, sizeof(e->name));
	memcpy(e->name, name, strnlen(name, PART_BOARD_NAME - 1));
	a->region = (uint64_t)s;
	a->bgen = e->gen;
	a->entry = i;
	return 0;
}

int
part_area_board(struct part_area *a, uint64_t npages, unsigned cpu, const char *name)
{
	struct part_board *b = part_board_map();
	int i = -1, err = 0;

	memset(a, 0, sizeof(*a));
	if (b == NULL || npages == 0 || npages > PART_BOARD_AREA || (i = board_take(b)) < 0 ||
	    (err = board_fill(b, (unsigned)i, a, npages, name)) < 0) {
		if (i >= 0)
			__atomic_store_n(&b->ent[i].state, PART_BOARD_FREE, __ATOMIC_RELEASE);
		if (b != NULL)
			printf("%s: not on the partition board (%s): only fpstat -p shows it\n",
			       name, i < 0 ? "no free entry" : error_name(err));
		return part_area_alloc(a, npages, cpu);
	}
	a->ctl = (struct part_ctl *)PART_VA;
	a->ctl->magic = PART_MAGIC;
	a->ctl->npages = a->npages = npages;
	a->ctl->cpu = b->ent[i].cpu = cpu;
	a->used = sizeof(struct part_ctl);
	__atomic_store_n(&b->ent[i].state, PART_BOARD_LIVE, __ATOMIC_RELEASE);
	return 0;
}

/* Naps as part_app_revoke's; the bound only keeps a host nobody looks at from waiting for
 * ever (fpstat -l was typed and no fpstat followed). */
void
part_board_leave(struct part_area *a)
{
	struct part_board *b = part_board_map();
	struct part_board_ent *e = b && a->bgen ? &b->ent[a->entry] : NULL;
	uint64_t end = rdtsc() + part_ms_to_tsc(LINGER_MS), nap = part_ms_to_tsc(1);

	if (e == NULL || !e->linger)
		return;
	while (!__atomic_load_n(&e->seen, __ATOMIC_ACQUIRE) && rdtsc() < end)
		sys_sleep_until(rdtsc() + nap, 0);
}

/* The pages in reverse order: the control block, which the app waits for, is mapped last. */
int
part_area_share(const struct part_area *a, uint64_t eslot)
{
	struct abi_share rec[PART_MAX_PAGES];
	uint64_t n = a->npages;

	if (a->region != 0) /* one call maps the whole run: the app sees it all at once */
		return (int)sys_region_map(a->region, eslot, PART_VA, ABI_PERM_R | ABI_PERM_W);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t p = n - 1 - i;

		rec[i] = (struct abi_share){ .va = PART_VA + p * PAGE,
			                     .slot = (uint32_t)a->slot[p],
			                     .perm = ABI_PERM_R | ABI_PERM_W,
			                     .flags = ABI_SHARE_MAPONLY };
	}
	return (int)sys_share_pages(eslot, rec, n);
}

int
part_area_wait(struct part_area *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < WAIT_YIELDS; i++) {
		if (sys_protect(ABI_SLOT_SELF, PART_VA, ABI_PERM_R | ABI_PERM_W) == 0) {
			a->ctl = (struct part_ctl *)PART_VA;
			if (a->ctl->magic != PART_MAGIC || a->ctl->npages > PART_MAX_PAGES)
				return E_INVAL;
			a->npages = a->ctl->npages;
			a->used = sizeof(struct part_ctl);
			sys_yield(); /* the move to the owned core happens here */
			return 0;
		}
		sys_yield();
	}
	return E_AGAIN;
}

void *
part_carve(struct part_area *a, size_t bytes, uint64_t *off)
{
	size_t at = (a->used + FP_CACHELINE - 1) & ~(size_t)(FP_CACHELINE - 1);

	if (bytes > a->npages * PAGE || at > a->npages * PAGE - bytes)
		return NULL;
	a->used = at + bytes;
	*off = at;
	return (uint8_t *)a->ctl + at;
}

static void
app_forget(struct part_app *app)
{
	if (app->cslot != 0) {
		sys_cap_delete(app->cslot);
		slot_free(app->cslot);
	}
	if (app->eslot != 0) {
		sys_env_destroy(app->eslot);
		(void)env_wait_dead(app->eslot, WAIT_YIELDS);
		sys_cap_delete(app->eslot);
		slot_free(app->eslot);
	}
	app->cslot = app->eslot = 0;
}

int
part_app_start(struct part_app *app, struct part_area *a, unsigned cpu, const char *cmd,
               uint64_t dev)
{
	long es, cs, id, err;

	memset(app, 0, sizeof(*app));
	app->cpu = cpu;
	if ((app->core = part_core_slot(cpu)) == 0)
		return E_NOENT;
	if ((es = slot_alloc()) < 0)
		return (int)es;
	if ((id = sys_spawn(cmd, strlen(cmd), (uint64_t)es, ABI_SLOT_UNTYPED, PART_APP_PAGES)) <
	    0) {
		slot_free((uint64_t)es);
		return (int)id;
	}
	app->eslot = (uint64_t)es;
	app->envid = (uint64_t)id;
	if ((cs = slot_alloc()) < 0) {
		app_forget(app);
		return (int)cs;
	}
	err = sys_cap_derive(app->core, ABI_SLOT_SELF, (uint64_t)cs, CAP_R_ALL, 0);
	if (err < 0) {
		slot_free((uint64_t)cs);
		app_forget(app);
		return (int)err;
	}
	app->cslot = (uint64_t)cs;
	a->ctl->cpu = cpu;
	if ((err = sys_core_claim(app->cslot, app->eslot)) < 0 ||
	    (dev != 0 && (err = sys_cap_copy(dev, app->eslot, PART_APP_DEV)) < 0) ||
	    (err = part_area_share(a, app->eslot)) < 0) {
		app_forget(app);
		return (int)err;
	}
	if (a->bgen != 0 && part_board_map() != NULL) { /* the loop is the app's now */
		__atomic_store_n(&part_board_map()->ent[a->entry].cpu, cpu, __ATOMIC_RELAXED);
		__atomic_store_n(&part_board_map()->ent[a->entry].runner, app->envid,
		                 __ATOMIC_RELEASE);
	}
	return 0;
}

/* The wait for the owned core to stop its owner sleeps instead of yielding: the host CPU
 * halts between looks rather than spinning.  That matters under `qemu -icount`, where one
 * host thread runs the vCPUs in turn and a vCPU spinning in sys_yield keeps the turn to its
 * next timer deadline, so the owned vCPU takes the revoke's IPI only then (40-100 ms of
 * virtual time, measured with bench-watchdog); a halt hands the turn over at once.  On
 * hardware it frees the host core's pipeline for its sibling thread. */
int
part_app_revoke(struct part_app *app)
{
	struct abi_core_stat st;
	uint64_t nap = part_tsc_hz() / (1000000 / WAIT_NAP_US);
	long err = sys_cap_revoke(app->core);

	if (err < 0)
		return (int)err;
	for (int i = 0; i < WAIT_NAPS; i++) {
		if (sys_core_stat(app->cpu, &st) == 0 && st.owner == 0)
			return 0;
		sys_sleep_until(rdtsc() + (nap ? nap : 1), 0);
	}
	return E_AGAIN;
}

/* The revoke deleted the claim's capability: its slot is empty, only the allocator's entry
 * is left (a delete of an empty slot fails harmlessly). */
void
part_app_destroy(struct part_app *app)
{
	app_forget(app);
}

int
part_app_layout(struct part_area *a, const struct fp_clock *clk, uint32_t nrecs, uint32_t nhists,
                struct fp_log *log, struct fp_metrics *met)
{
	struct part_ctl *c = a->ctl;
	size_t lb = fp_log_bytes(nrecs), mb = fp_metrics_bytes(nhists);
	void *lm = part_carve(a, lb, &c->log_off), *mm = part_carve(a, mb, &c->met_off);
	int err;

	if (lm == NULL || mm == NULL)
		return E_NOMEM;
	if ((err = fp_log_init(log, lm, lb, nrecs, clk)) < 0 ||
	    (err = fp_metrics_init(met, mm, mb, nhists)) < 0)
		return err;
	c->log_bytes = lb;
	c->log_recs = nrecs;
	c->met_bytes = mb;
	c->met_hists = nhists;
	c->tsc_hz = clk->hz;
	return 0;
}

/* Release: everything laid out before is visible to a host whose acquire load sees it. */
void
part_app_ready(struct part_area *a)
{
	a->ctl->started_tsc = rdtsc();
	__atomic_store_n(&a->ctl->ready, a->ctl->generation, __ATOMIC_RELEASE);
}

/* A word of the control block the app may rewrite at any time: read exactly once. */
static uint64_t
once(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void *
part_span(const struct part_area *a, const uint64_t *off, uint64_t bytes)
{
	uint64_t o = once(off), size = a->npages * PAGE;

	if (o < sizeof(struct part_ctl) || o > size || bytes > size - o || o % FP_CACHELINE != 0)
		return NULL;
	return (uint8_t *)a->ctl + o; /* PART_VA, or the area in fpstat's board mapping */
}

int
part_attach(struct part_area *a, uint32_t generation, struct fp_log *log, struct fp_metrics *met)
{
	struct part_ctl *c = a->ctl;
	uint64_t lb = once(&c->log_bytes), mb = once(&c->met_bytes);
	void *lm, *mm;
	int err;

	if (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) != generation)
		return 0;
	if ((lm = part_span(a, &c->log_off, lb)) == NULL ||
	    (mm = part_span(a, &c->met_off, mb)) == NULL)
		return E_RANGE;
	if ((err = fp_log_attach(log, lm, lb)) < 0 || (err = fp_metrics_attach(met, mm, mb)) < 0)
		return err;
	return 1;
}

int
part_ring_init(struct part_area *a, unsigned i, enum fp_ring_role role, uint32_t nslots,
               uint32_t slot_size, struct fp_ring *r)
{
	size_t bytes = fp_ring_bytes(nslots, slot_size);
	void *m;

	if (i >= 2 || bytes == 0 || (m = part_carve(a, bytes, &a->ctl->ring_off[i])) == NULL)
		return E_NOMEM;
	a->ctl->ring_bytes[i] = bytes;
	return fp_ring_init(r, role, m, bytes, nslots, slot_size);
}

int
part_ring_attach(struct part_area *a, unsigned i, enum fp_ring_role role, uint32_t slot_size,
                 struct fp_ring *r)
{
	uint64_t bytes;
	void *m;

	if (i >= 2)
		return E_INVAL;
	bytes = once(&a->ctl->ring_bytes[i]);
	if ((m = part_span(a, &a->ctl->ring_off[i], bytes)) == NULL)
		return E_RANGE;
	return fp_ring_attach(r, role, m, bytes, slot_size);
}

struct drain_ctx {
	const char *prefix;
};

static void
drain_line(void *ctx, const char *line)
{
	printf("%s: %s\n", ((struct drain_ctx *)ctx)->prefix, line);
}

uint32_t
part_log_drain(struct fp_log *log, uint64_t hz, const char *prefix)
{
	struct drain_ctx d = { prefix };

	return fp_log_drain(log, hz, drain_line, &d);
}

long
part_number(const char *s)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > 100000000000l)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int
part_run_fpstat(struct part_area *a)
{
	static const char cmd[] = "fpstat -p";
	long es = slot_alloc(), err;

	if (es < 0)
		return (int)es;
	err = sys_spawn(cmd, sizeof(cmd) - 1, (uint64_t)es, ABI_SLOT_UNTYPED, 64);
	if (err >= 0) {
		if ((err = part_area_share(a, (uint64_t)es)) < 0)
			sys_env_destroy((uint64_t)es);
		(void)env_wait_dead((uint64_t)es, WAIT_YIELDS);
		sys_cap_delete((uint64_t)es);
	}
	slot_free((uint64_t)es);
	return err < 0 ? (int)err : 0;
}
