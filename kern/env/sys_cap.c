/* The capability syscalls: thin checks around kern/cap, which enforces the rules (rights
 * only shrink, GRANT to leave a table, revoke takes every descendant).  A capability placed
 * in another env's table needs WRITE on the env capability that names it. */
#include "env_impl.h"

int64_t
sys_cap_derive(struct env *e, const uint64_t *a)
{
	/* LAB 3: derive into the table of the env eslot names (WRITE right on it). */
	/* BEGIN LAB 3 */
	uint64_t slot = a[0], eslot = a[1], dslot = a[2], rights = a[3], badge = a[4];
	struct env *t;
	int err;

	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	err = cap_derive(&e->caps, slot, &t->caps, dslot, rights, badge);
	cap_object_put(&t->obj);
	return err;
	/* END LAB 3 */
	/* STUB LAB 3: return E_NOSYS; */
}

int64_t
sys_cap_copy(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0], eslot = a[1], dslot = a[2];
	struct env *t;
	int err;

	if ((err = env_get(e, eslot, CAP_R_WRITE, &t)) < 0)
		return err;
	err = cap_copy(&e->caps, slot, &t->caps, dslot);
	cap_object_put(&t->obj);
	return err;
}

int64_t
sys_cap_revoke(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0];
	struct cap_object *obj = NULL;
	int err;

	/* Envs waiting on an endpoint or notification through a capability the revoke deletes
	 * wake with an error (ipc.h): hold the object across the revoke to find them after. */
	if (cap_acquire(&e->caps, slot, CAP_ENDPOINT, 0, &obj, NULL) < 0)
		(void)cap_acquire(&e->caps, slot, CAP_NOTIFY, 0, &obj, NULL);
	err = cap_revoke(&e->caps, slot);
	irq_revalidate(); /* device capabilities it deleted: their interrupts masked now */
	dev_revalidate(); /* ... and their devices out of their drivers' DMA domains */
	if (obj != NULL) {
		ipc_revoked(obj);
		cap_object_put(obj);
	}
	return err;
}

int64_t
sys_cap_delete(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0];
	int err = cap_delete(&e->caps, slot);

	irq_revalidate(); /* a device capability an interrupt was bound through */
	dev_revalidate();
	return err;
}

int64_t
sys_cap_identify(struct env *e, const uint64_t *a)
{
	uint64_t slot = a[0], info = a[1];
	struct cap_info desc;
	int err = cap_identify(&e->caps, slot, &desc);

	if (err < 0)
		return err;
	return copyout(info, &desc, sizeof(desc));
}
