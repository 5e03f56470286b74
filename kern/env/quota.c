/* Untyped quotas the kernel makes: init's boot quota and the quotas spawn carves for its
 * children.  The pages themselves stay in the pmm; a quota is a number the cap module
 * charges and refunds. */
#include "env_impl.h"
#include "kheap.h"
#include "panic.h"
#include "xstring.h"

int
quota_new(uint64_t pages, struct cap_object **out)
{
	struct cap_object *obj = kmalloc(sizeof(*obj));
	int err;

	if (obj == NULL)
		return E_NOMEM;
	memset(obj, 0, sizeof(*obj));
	if ((err = cap_object_init_untyped(obj, pages)) < 0) {
		kfree(obj);
		return err;
	}
	*out = obj;
	return 0;
}

void
quota_discard(struct cap_object *obj)
{
	if (obj->state != CAP_OBJ_FRESH)
		panic("quota_discard: quota in use");
	kfree(obj);
}

static void
quota_release(struct cap_object *obj)
{
	kfree(obj);
}

void
quota_init(void)
{
	cap_set_release_hook(CAP_UNTYPED, quota_release);
}
