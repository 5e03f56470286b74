/* The kernel invariant checker (issue 17 item 10): the `check` monitor command and
 * sys_kcheck (syscall 64, which a fuzzer calls between seeds) walk every env's capability
 * table (capcheck.c: trees, object reference counts, pools and quotas) and every env's user
 * page table (each mapped page must be a LIVE frame of its address and size, and counts as
 * one reference of that frame), check that no trap handler ran with RFLAGS.AC set
 * (trap.c), and print one line per inconsistency with the object it was found in. */
#include "../env/env_impl.h"
#include "capcheck.h"
#include "console.h"
#include "kcheck.h"
#include "kheap.h"
#include "pmm.h"
#include "pte.h"
#include "trap.h"

struct kcheck {
	struct cap_table *tables[NENV];
	size_t ntables;
	struct cap_object **extra; /* NULL on the counting pass */
	size_t nmap, nerrors;
};

static void
say(void *ctx, const char *what, const void *where, uint64_t got, uint64_t want)
{
	struct kcheck *k = ctx;

	k->nerrors++;
	printf("kcheck: %s at %p (got 0x%lx, want 0x%lx)\n", what, where, got, want);
}

/* One user leaf entry: a LIVE frame object of exactly this page. */
static void
check_leaf(struct kcheck *k, const struct env *e, uint64_t va, pte_t pte, uint64_t bytes)
{
	physaddr_t pa = pte & (bytes == CAP_PAGE_BYTES ? PTE_ADDR_MASK : PTE_ADDR_2M);
	struct frame *f = frame_lookup(pa);

	if (f == NULL || f->obj.type != CAP_FRAME || f->obj.phys != pa || f->obj.bytes != bytes ||
	    f->obj.state != CAP_OBJ_LIVE) {
		if (k->extra == NULL) /* reported once, on the counting pass */
			printf(
			    "kcheck: env 0x%lx maps va 0x%lx to 0x%lx, which is no LIVE frame of "
			    "0x%lx bytes (frame %p)\n",
			    e->id, va, pa, bytes, (void *)f);
		k->nerrors += k->extra == NULL;
		return;
	}
	if (k->extra != NULL)
		k->extra[k->nmap] = &f->obj;
	k->nmap++;
}

/* The user half of e's page table, table by table (levels as pte.h). */
static void
walk(struct kcheck *k, const struct env *e, physaddr_t table, int level, uint64_t base)
{
	const pte_t *t = hal_phys_to_virt(table);
	unsigned n = level == PT_LEVEL_PML4 ? PT_ENTRIES / 2 : PT_ENTRIES;

	for (unsigned i = 0; i < n; i++) {
		uint64_t va = base + ((uint64_t)i << PT_LEVEL_SHIFT(level));

		if (!(t[i] & PTE_P))
			continue;
		if (level == PT_LEVEL_PT)
			check_leaf(k, e, va, t[i], CAP_PAGE_BYTES);
		else if (level == PT_LEVEL_PD && (t[i] & PTE_PS))
			check_leaf(k, e, va, t[i], CAP_HUGE_BYTES);
		else if (t[i] & PTE_PS)
			say(k, "a 1 GiB user page (no frame is that large)", &t[i], t[i], 0);
		else
			walk(k, e, t[i] & PTE_ADDR_MASK, level - 1, va);
	}
}

static void
walk_all(struct kcheck *k)
{
	k->nmap = 0;
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].status != ENV_FREE && envs[i].status != ENV_DEAD && envs[i].root != 0)
			walk(k, &envs[i], envs[i].root, PT_LEVEL_PML4, 0);
}

/* Everything, with the env lock held (a syscall) or with no env running (the monitor).
 * Returns the number of inconsistencies, or E_NOMEM. */
int64_t
kcheck_run(void)
{
	static struct kcheck k; /* under the env lock, or alone */
	struct pmm_stats ps;
	struct cap_check ck = { .report = say, .ctx = &k, .all_tables = true };
	size_t need;
	int err;

	k.ntables = k.nerrors = 0;
	k.extra = NULL;
	for (unsigned i = 0; i < NENV; i++)
		if (envs[i].status != ENV_FREE && envs[i].caps.slots != NULL)
			k.tables[k.ntables++] = &envs[i].caps;
	walk_all(&k);
	need = cap_check_scratch_need(k.tables, k.ntables, k.nmap);
	k.extra = kmalloc((k.nmap + 1) * sizeof(*k.extra));
	ck.scratch = kmalloc((need + 1) * sizeof(*ck.scratch));
	if (k.extra == NULL || ck.scratch == NULL) {
		kfree(k.extra);
		kfree(ck.scratch);
		return E_NOMEM;
	}
	walk_all(&k);
	pmm_get_stats(&ps);
	ck.tables = k.tables;
	ck.ntables = k.ntables;
	ck.extra = k.extra;
	ck.nextra = k.nmap;
	ck.nscratch = need;
	ck.max_pages = ps.total;
	err = cap_check_run(&ck);
	kfree(k.extra);
	kfree(ck.scratch);
	if (err < 0)
		return err;
	if (trap_ac_violations() != 0)
		say(&k, "trap handlers ran with RFLAGS.AC set", &k, trap_ac_violations(), 0);
	if (k.nerrors == 0)
		printf("kcheck: ok (%lu tables, %lu caps, %lu objects, %lu mappings)\n", k.ntables,
		       ck.ncaps, ck.nobjects, k.nmap);
	else
		printf("kcheck: %lu inconsistencies\n", k.nerrors);
	return (int64_t)k.nerrors;
}

int64_t
sys_kcheck(struct env *e, const uint64_t *a)
{
	(void)e;
	(void)a;
	return kcheck_run();
}
