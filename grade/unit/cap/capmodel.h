/* The reference model of the kern/cap random tests (capmodel.c): the state it keeps and
 * the operations it predicts.  Global slot index g = table * NS + slot. */
#ifndef EXOLAB_CAPMODEL_H
#define EXOLAB_CAPMODEL_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>

#include "abi/error.h"
#include "cap.h"

#define NT     4
#define NS     128
#define NG     (NT * NS)
#define MAXOBJ 4096

struct mslot {
	bool full;
	int obj; /* index into objs[] */
	uint32_t rights;
	uint64_t badge;
	int parent; /* global index, -1 for a root */
};

struct mobj {
	unsigned type;
	uint32_t refs;  /* capabilities + holds + objects paid from it */
	uint64_t quota; /* untyped */
	int pool;       /* -1 or the untyped that paid */
	uint64_t charged;
	bool released;
	int released_at; /* step the model released it */
};

extern struct mslot model_caps[NG];
extern struct mobj model_objs[MAXOBJ];
extern uint64_t model_live; /* full slots */
extern int model_step;      /* recorded as released_at */

/* Each returns 0 or the E_* code kern/cap must return, and changes the model only on 0. */
int model_slot(uint64_t slot, bool want_full, int t, int *g);
int model_create(int t, uint64_t s, int o, uint64_t rights);
int model_derive(int t, uint64_t s, int dt, uint64_t ds, uint64_t mask, uint64_t badge, bool copy);
int model_retype(int t, uint64_t s, int dt, uint64_t ds, int o, uint64_t pages, uint64_t mask);
int model_revoke(int t, uint64_t s);
int model_delete(int t, uint64_t s);
int model_destroy(int t);
int model_acquire(int t, uint64_t s, unsigned type, uint32_t need);
/* cap_object_hold on initialised object o (fresh or live; released: E_INVAL). */
int model_hold(int o);
/* Drops a reference to object o (a kernel hold), releasing as cap_object_put does. */
void model_unref(int o);

#endif
