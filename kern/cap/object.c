/* The objects capabilities name: their headers, reference counts and release.  An object is
 * released exactly once, when its last reference (capability, kernel hold, or object paid
 * from its quota) goes.  Release hooks run after the module lock is dropped, from a per-CPU
 * queue drained only by the outermost cap_* call on that CPU: a hook that deletes
 * capabilities (an env's hook destroying its table) adds to the queue instead of nesting, so
 * a chain of releases never deepens the kernel stack. */
#include "cap_impl.h"

struct hal_spinlock cap_lock = HAL_SPINLOCK_INIT("cap");

static cap_release_fn release_hook[CAP_NTYPES];
static uint64_t nobjects; /* referenced at least once, not yet released */

/* Per CPU: objects whose refs reached zero, and whether this CPU is running hooks. */
static struct cap_object *release_head[CAP_MAX_CPUS];
static struct cap_object *release_tail[CAP_MAX_CPUS];
static bool releasing[CAP_MAX_CPUS];

/* True if `type` is one a capability may have now (not NULL, not reserved). */
static bool
cap_type_usable(unsigned type)
{
	return type == CAP_UNTYPED || type == CAP_FRAME || type == CAP_ENV ||
	       type == CAP_ENDPOINT || type == CAP_NOTIFY;
}

static int
object_reset(struct cap_object *obj, unsigned type)
{
	if (obj == NULL || !cap_type_usable(type))
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if (obj->state == CAP_OBJ_LIVE) {
		hal_spin_unlock(&cap_lock);
		return E_INVAL;
	}
	*obj = (struct cap_object){ .type = (uint8_t)type, .state = CAP_OBJ_FRESH };
	hal_spin_unlock(&cap_lock);
	return 0;
}

int
cap_object_init(struct cap_object *obj, unsigned type, uint64_t id)
{
	int err;

	if (type != CAP_ENV && type != CAP_ENDPOINT && type != CAP_NOTIFY)
		return E_INVAL;
	if ((err = object_reset(obj, type)) < 0)
		return err;
	obj->id = id;
	return 0;
}

int
cap_object_init_frame(struct cap_object *obj, physaddr_t phys, uint64_t bytes)
{
	int err;

	if (bytes != CAP_PAGE_BYTES && bytes != CAP_HUGE_BYTES)
		return E_INVAL;
	if (phys & (bytes - 1))
		return E_INVAL;
	if ((err = object_reset(obj, CAP_FRAME)) < 0)
		return err;
	obj->phys = phys;
	obj->bytes = bytes;
	return 0;
}

int
cap_object_init_untyped(struct cap_object *obj, uint64_t pages)
{
	int err;

	if ((err = object_reset(obj, CAP_UNTYPED)) < 0)
		return err;
	obj->quota = pages;
	return 0;
}

void
cap_set_release_hook(unsigned type, cap_release_fn fn)
{
	if (type >= CAP_NTYPES)
		HAL_PANIC("cap_set_release_hook: type %u", type);
	hal_spin_lock(&cap_lock);
	release_hook[type] = fn;
	hal_spin_unlock(&cap_lock);
}

void
cap_obj_ref(struct cap_object *obj)
{
	if (obj->state != CAP_OBJ_FRESH && obj->state != CAP_OBJ_LIVE)
		HAL_PANIC("cap: reference to a dead object (state %u)", obj->state);
	if (obj->refs == UINT32_MAX)
		HAL_PANIC("cap: object reference count overflow");
	if (obj->state == CAP_OBJ_FRESH)
		nobjects++;
	obj->state = CAP_OBJ_LIVE;
	obj->refs++;
}

/* The last reference is gone: refund the quota that paid for the object (which may release
 * the quota in turn; that loop is iterative) and queue each released object. */
void
cap_obj_unref(struct cap_object *obj)
{
	unsigned cpu = hal_cpu_id();

	if (cpu >= CAP_MAX_CPUS)
		HAL_PANIC("cap: cpu %u >= CAP_MAX_CPUS", cpu);
	while (obj != NULL) {
		struct cap_object *pool;

		if (obj->state != CAP_OBJ_LIVE || obj->refs == 0)
			HAL_PANIC("cap: unreferencing an object with no references");
		if (--obj->refs > 0)
			return;
		obj->state = CAP_OBJ_RELEASED;
		nobjects--;
		obj->release_next = NULL;
		if (release_tail[cpu])
			release_tail[cpu]->release_next = obj;
		else
			release_head[cpu] = obj;
		release_tail[cpu] = obj;
		pool = obj->pool;
		if (pool)
			pool->quota += obj->charged;
		obj = pool;
	}
}

/* Runs the queued release hooks of this CPU, unless an outer call is already doing so. */
void
cap_release_run(void)
{
	unsigned cpu = hal_cpu_id();

	if (releasing[cpu])
		return;
	releasing[cpu] = true;
	for (;;) {
		struct cap_object *obj;
		cap_release_fn fn;

		hal_spin_lock(&cap_lock);
		obj = release_head[cpu];
		if (obj) {
			release_head[cpu] = obj->release_next;
			if (release_head[cpu] == NULL)
				release_tail[cpu] = NULL;
			obj->release_next = NULL;
		}
		fn = obj ? release_hook[obj->type] : NULL;
		hal_spin_unlock(&cap_lock);
		if (obj == NULL)
			break;
		if (fn)
			fn(obj);
	}
	releasing[cpu] = false;
}

int
cap_acquire(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
            struct cap_object **obj, uint32_t *rights)
{
	return cap_acquire_badge(t, slot, type, need, obj, rights, NULL);
}

int
cap_acquire_badge(struct cap_table *t, uint64_t slot, unsigned type, uint32_t need,
                  struct cap_object **obj, uint32_t *rights, uint64_t *badge)
{
	struct cap *c;
	int err;

	if (obj == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	err = cap_slot_get(t, slot, true, &c);
	if (err == 0 && (c->obj->type != type || (need & ~CAP_R_ALL)))
		err = E_INVAL;
	if (err == 0 && (c->rights & need) != need)
		err = E_PERM;
	/* A count at its maximum is an error for the caller (sys_map, ...), never a panic. */
	if (err == 0 && c->obj->refs == UINT32_MAX)
		err = E_RANGE;
	if (err == 0) {
		cap_obj_ref(c->obj);
		*obj = c->obj;
		if (rights)
			*rights = c->rights;
		if (badge)
			*badge = c->badge;
	}
	hal_spin_unlock(&cap_lock);
	return err;
}

int
cap_object_hold(struct cap_object *obj)
{
	int err = 0;

	if (obj == NULL)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if (obj->state != CAP_OBJ_FRESH && obj->state != CAP_OBJ_LIVE)
		err = E_INVAL;
	else if (obj->refs == UINT32_MAX)
		err = E_RANGE;
	else
		cap_obj_ref(obj);
	hal_spin_unlock(&cap_lock);
	return err;
}

void
cap_object_put(struct cap_object *obj)
{
	hal_spin_lock(&cap_lock);
	cap_obj_unref(obj);
	hal_spin_unlock(&cap_lock);
	cap_release_run();
}

uint64_t
cap_live_objects(void)
{
	uint64_t n;

	hal_spin_lock(&cap_lock);
	n = nobjects;
	hal_spin_unlock(&cap_lock);
	return n;
}

int
cap_quota_take(struct cap_object *pool, uint64_t pages)
{
	int err = 0;

	if (pool == NULL || pool->type != CAP_UNTYPED)
		return E_INVAL;
	hal_spin_lock(&cap_lock);
	if (pool->state != CAP_OBJ_LIVE)
		err = E_INVAL;
	else if (pool->quota < pages)
		err = E_NOMEM;
	else
		pool->quota -= pages;
	hal_spin_unlock(&cap_lock);
	return err;
}

void
cap_quota_give(struct cap_object *pool, uint64_t pages)
{
	hal_spin_lock(&cap_lock);
	pool->quota += pages;
	hal_spin_unlock(&cap_lock);
}
