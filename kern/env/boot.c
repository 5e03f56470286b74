/* The first env: find the ramdisk among the boot modules, load init=NAME (default "init")
 * from it, give it its quota, the ramdisk as a region, a capability per PCI device (abi/dev.h)
 * and the tests= list, and run it. */
#include "abi/memlayout.h"
#include "bootinfo.h"
#include "cmdline.h"
#include "console.h"
#include "env_impl.h"
#include "mm.h"
#include "syscall.h"
#include "timer.h"
#include "xstring.h"

CMDLINE_OPTION(init, "init", "init=NAME: the first program, from the ramdisk (default init)");
CMDLINE_OPTION(tests, "tests", "tests=a,b,c: programs init runs one after the other");
CMDLINE_OPTION(initquota, "initquota", "initquota=N: pages in init's untyped quota (4096)");

#define INIT_QUOTA_DEFAULT 4096
#define INIT_SLOTS_SPARE   512 /* free slots init gets beyond its boot capabilities */

uint64_t env_init_id;

static uint64_t
parse_u64(const char *s, uint64_t dflt)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return dflt;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	return *s == '\0' ? v : dflt;
}

static bool
overlaps(uint64_t a, uint64_t a_end, uint64_t b, uint64_t b_end)
{
	return a < b_end && b < a_end;
}

/* Init maps the ramdisk's pages whole, so the bytes after the archive in its last page are
 * init's to read: zero them, as they hold whatever the loader or the firmware left there,
 * unless they belong to something else the loader placed in that page (another module,
 * the multiboot2 information), which stays and is said. */
static void
initrd_clear_tail(const struct boot_module *m)
{
	uint64_t end = MM_ALIGN_UP(m->end, PAGE_SIZE);

	if (end == m->end)
		return;
	for (unsigned i = 0; i < bootinfo.nmodules; i++)
		if (&bootinfo.modules[i] != m &&
		    overlaps(m->end, end, bootinfo.modules[i].start, bootinfo.modules[i].end))
			goto shared;
	if (overlaps(m->end, end, bootinfo.info_start, bootinfo.info_end))
		goto shared;
	memset((char *)hal_phys_to_virt(m->start) + (m->end - m->start), 0, end - m->end);
	return;
shared:
	printf("env: the ramdisk's last page holds other boot data: init can read %lu bytes "
	       "past the archive\n",
	       end - m->end);
}

/* The module named "initrd" (or the first one), page aligned, into initrd_data/size. */
static int
initrd_find(physaddr_t *pa)
{
	const struct boot_module *m = NULL;

	for (unsigned i = 0; i < bootinfo.nmodules; i++)
		if (m == NULL || strcmp(bootinfo.modules[i].name, "initrd") == 0)
			m = &bootinfo.modules[i];
	if (m == NULL || m->end <= m->start)
		return E_NOENT;
	if (!MM_IS_ALIGNED(m->start, PAGE_SIZE))
		return E_ALIGN; /* its first page would show init what lies before it */
	initrd_clear_tail(m);
	*pa = m->start;
	initrd_data = hal_phys_to_virt(m->start);
	initrd_size = m->end - m->start;
	return 0;
}

/* The ramdisk as one region capability (read-only: READ, MAP, GRANT, DERIVE) in init's slot
 * ABI_SLOT_INITRD, and mapped read-only at ABI_INITRD_VA.  The kernel keeps a hold on every
 * page: spawn reads the ramdisk for as long as the machine runs.  The region records one
 * mapping per env, so every env can have it (the LibOS shares it with each child). */
static int
initrd_grant(struct env *e, physaddr_t pa, uint64_t npages)
{
	struct frame *frames;
	struct region *r;
	int err;

	if ((err = frame_wrap(pa, npages, &frames)) < 0)
		return err;
	for (uint64_t i = 0; i < npages; i++)
		if ((err = frame_hold(&frames[i])) < 0)
			return err;
	if ((err = region_new(frames, npages, 0, 0, NENV, &r)) < 0)
		return err;
	if ((err = cap_create(&e->caps, ABI_SLOT_INITRD, region_obj(r),
	                      CAP_R_READ | CAP_R_MAP | CAP_R_GRANT | CAP_R_DERIVE)) < 0) {
		region_discard(r);
		return err;
	}
	return region_map(r, e, e, ABI_INITRD_VA, ABI_PERM_R);
}

static int
init_create(struct env **out, physaddr_t initrd_pa)
{
	uint64_t npages = MM_ALIGN_UP(initrd_size, PAGE_SIZE) / PAGE_SIZE, nslots = 16;
	uint64_t quota = parse_u64(cmdline_get("initquota"), INIT_QUOTA_DEFAULT);
	const char *name = cmdline_get("init"), *tests = cmdline_get("tests");
	struct abi_envinfo info;
	struct cap_object *q;
	struct env *e;
	int err;

	if (name == NULL || *name == '\0')
		name = "init";
	while (nslots < ABI_SLOT_INITRD + 1 + dev_count() + core_count() + INIT_SLOTS_SPARE)
		nslots *= 2;
	if ((err = env_alloc(&e, 0, nslots, name)) < 0)
		return err;
	memset(&info, 0, sizeof(info));
	info.initrd_va = ABI_INITRD_VA;
	info.initrd_size = initrd_size;
	info.initrd_slot = ABI_SLOT_INITRD;
	info.initrd_pages = npages;
	info.quota_pages = quota;
	info.dev_slot = ABI_SLOT_INITRD + 1;
	info.dev_count = dev_count();
	info.core_slot = info.dev_slot + info.dev_count;
	info.core_count = core_count();
	info.first_free = info.core_slot + info.core_count;
	strlcpy(info.tests, tests != NULL ? tests : "", sizeof(info.tests));
	if ((err = quota_new(quota, &q)) < 0)
		goto fail;
	if ((err = cap_create(&e->caps, ABI_SLOT_UNTYPED, q, CAP_R_ALL)) < 0) {
		quota_discard(q);
		goto fail;
	}
	if ((err = initrd_grant(e, initrd_pa, npages)) < 0 ||
	    (err = dev_grant(e, info.dev_slot)) < 0 || (err = core_grant(e, info.core_slot)) < 0 ||
	    (err = env_load(e, name, strlen(name), &info)) < 0)
		goto fail;
	*out = e;
	return 0;
fail:
	env_destroy(e);
	return err;
}

void
env_boot(void)
{
	physaddr_t initrd_pa = 0;
	struct env *e;
	int err;

	syscall_init();
	env_init();
	region_init();
	if ((err = initrd_find(&initrd_pa)) < 0) {
		printf("env: no usable initrd module (%s): no user space\n", error_name(err));
		return;
	}
	if ((err = init_create(&e, initrd_pa)) < 0) {
		printf("env: cannot start init (%s)\n", error_name(err));
		return;
	}
	env_init_id = e->id;
	printf("env: init is env 0x%lx (%lu KiB ramdisk)\n", e->id, (uint64_t)initrd_size / 1024);
	timer_init();
	env_wake(e);
	env_schedule();
}
