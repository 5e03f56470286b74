/* sys_spawn: a new env running a program from the ramdisk.  A compromise for lab 3: the
 * loader belongs in the LibOS (exofork, map, set_regs), which can replace this call later
 * without any kernel change. */
#include "env_impl.h"
#include "xstring.h"

/* Gives `child` `pages` of the quota in (parent, uslot) as its own quota in its
 * ABI_SLOT_UNTYPED, which pays for its page tables from then on (those of the program
 * env_load maps included). */
static int
spawn_quota(struct env *parent, uint64_t uslot, struct env *child, uint64_t pages)
{
	struct cap_object *q;
	int err;

	if (pages == 0)
		return 0;
	if ((err = quota_new(pages, &q)) < 0)
		return err;
	err = cap_retype(&parent->caps, uslot, &child->caps, ABI_SLOT_UNTYPED, q, pages, CAP_R_ALL);
	if (err < 0) {
		quota_discard(q);
		return err;
	}
	if (cap_object_hold(q) == 0) {
		if (child->pt_pool != NULL)
			cap_object_put(child->pt_pool);
		child->pt_pool = q;
	}
	return 0;
}

int64_t
sys_spawn(struct env *e, const uint64_t *a)
{
	uint64_t cmd = a[0], len = a[1], dslot = a[2], uslot = a[3], pages = a[4];
	struct abi_envinfo info;
	char cmdline[ABI_CMD_MAX];
	struct env *child;
	int err;

	if (len == 0 || len > ABI_CMD_MAX)
		return E_INVAL;
	if ((err = copyin(cmdline, cmd, len)) < 0)
		return err;
	if ((err = env_alloc_charged(&child, e, uslot, ENV_NSLOTS, "spawn")) < 0)
		return err;
	memset(&info, 0, sizeof(info));
	info.first_free = ABI_SLOT_UNTYPED + 1;
	info.quota_pages = pages;
	child->pt_loading = true; /* the image's tables and pages are part of spawn's charge */
	err = env_load(child, cmdline, len, &info);
	child->pt_loading = false;
	if (err < 0 || (err = spawn_quota(e, uslot, child, pages)) < 0 ||
	    (err = cap_create(&e->caps, dslot, &child->obj, CAP_R_ALL)) < 0) {
		env_destroy(child);
		return err;
	}
	child->leak_report = e->id == env_init_id;
	env_wake(child);
	return (int64_t)child->id;
}
