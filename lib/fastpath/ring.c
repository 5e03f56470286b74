/* lib/fastpath: the single-producer/single-consumer ring (fp_ring.h).  Every access to a
 * shared index is an __atomic builtin; the comment on it names the access it pairs with,
 * labelled P1..P2 (producer) and C1..C2 (consumer).  The argument: docs/fastpath.md. */
#include "abi/error.h"
#include "fp_ring.h"
#include "ring_util.h"

size_t
fp_ring_bytes(uint32_t nslots, uint32_t slot_size)
{
	return sizeof(struct fp_ring_shared) + (size_t)nslots * slot_size;
}

static int
ring_handle(struct fp_ring *r, enum fp_ring_role role, void *mem, size_t bytes, uint32_t nslots,
            uint32_t slot_size)
{
	if (!r || !mem || (role != FP_RING_PRODUCER && role != FP_RING_CONSUMER))
		return E_INVAL;
	if ((uintptr_t)mem % FP_CACHELINE)
		return E_ALIGN;
	if (nslots < 2 || nslots > FP_RING_MAX_SLOTS || (nslots & (nslots - 1)) || slot_size == 0 ||
	    slot_size > FP_RING_MAX_SLOT_SIZE || bytes < fp_ring_bytes(nslots, slot_size))
		return E_RANGE;
	r->sh = mem;
	r->slots = r->sh->slots;
	r->mask = nslots - 1;
	r->slot_size = slot_size;
	r->role = role;
	r->corrupt = false;
	return 0;
}

int
fp_ring_init(struct fp_ring *r, enum fp_ring_role role, void *mem, size_t bytes, uint32_t nslots,
             uint32_t slot_size)
{
	struct fp_ring_shared *sh = mem;
	int err = ring_handle(r, role, mem, bytes, nslots, slot_size);

	if (err)
		return err;
	memset(sh, 0, sizeof(*sh));
	sh->magic = FP_RING_MAGIC;
	sh->nslots = nslots;
	sh->slot_size = slot_size;
	r->pos = r->cached = 0;
	return 0;
}

/* The geometry is read once, plainly: the memory reached this side through a channel
 * (an IPC grant, thread creation) that orders it after fp_ring_init's stores. */
int
fp_ring_attach(struct fp_ring *r, enum fp_ring_role role, void *mem, size_t bytes,
               uint32_t slot_size)
{
	struct fp_ring_shared *sh = mem;
	uint32_t head, tail;
	int err;

	if (!mem || (uintptr_t)mem % FP_CACHELINE || bytes < sizeof(*sh))
		return !mem ? E_INVAL : bytes < sizeof(*sh) ? E_RANGE : E_ALIGN;
	if (sh->magic != FP_RING_MAGIC || sh->slot_size != slot_size)
		return E_INVAL;
	err = ring_handle(r, role, mem, bytes, sh->nslots, slot_size);
	if (err)
		return err;
	/* Acquire both: pairs with the last release store of each (P2, C2). */
	tail = __atomic_load_n(&sh->tail, __ATOMIC_ACQUIRE);
	head = __atomic_load_n(&sh->head, __ATOMIC_ACQUIRE);
	if (tail - head > r->mask + 1)
		return E_RANGE;
	r->pos = role == FP_RING_PRODUCER ? tail : head;
	r->cached = role == FP_RING_PRODUCER ? head : tail;
	return 0;
}

uint32_t
fp_ring_enqueue(struct fp_ring *r, const void *items, uint32_t n)
{
	/* LAB 6: copy up to n items into the free slots (ring_copy_in) and publish them with one
	 * store of the new tail.  The free room is nslots - (tail - head); look at the
	 * consumer's head (r->cached holds the last value seen) only when the cached value
	 * shows too little room.  Choose each access's memory order so that the consumer sees
	 * the items' bytes once it sees the tail, and so that no slot is overwritten before
	 * the consumer has finished copying it out; give up (return 0) when the head is
	 * impossible (ring_sane).  Return the number of items taken. */
	/* BEGIN LAB 6 */
	uint32_t size = r->mask + 1;
	uint32_t room = size - (r->pos - r->cached);

	if (r->corrupt || r->role != FP_RING_PRODUCER)
		return 0;
	if (room < n) {
		/* P1, acquire: pairs with the consumer's release store of head (C2), so its
		 * copies out of the slots now freed happen before our copies into them. */
		r->cached = __atomic_load_n(&r->sh->head, __ATOMIC_ACQUIRE);
		if (!ring_sane(r, r->pos, r->cached))
			return 0;
		room = size - (r->pos - r->cached);
	}
	if (n > room)
		n = room;
	if (n == 0)
		return 0;
	ring_copy_in(r, r->pos, items, n);
	r->pos += n;
	/* P2, release: pairs with the consumer's acquire load of tail (C1): the slot bytes
	 * written above are visible to a consumer that sees the new tail. */
	__atomic_store_n(&r->sh->tail, r->pos, __ATOMIC_RELEASE);
	return n;
	/* END LAB 6 */
	/* STUB LAB 6: return 0; */
}

/* Consumer: items readable now, loading the producer's tail only when the cached one shows
 * none beyond what `want` asks. */
static uint32_t
ring_readable(struct fp_ring *r, uint32_t want)
{
	/* LAB 6: how many items the consumer may read: tail - head, from r->cached (the last
	 * tail seen) and, when that shows fewer than `want`, from a fresh load of the
	 * producer's tail in the order that makes the items' bytes visible; 0 when the tail is
	 * impossible (ring_sane) or this handle is not the consumer's. */
	/* BEGIN LAB 6 */
	if (r->corrupt || r->role != FP_RING_CONSUMER)
		return 0;
	if (r->cached - r->pos < want) {
		/* C1, acquire: pairs with the producer's release store of tail (P2), so
		 * the bytes of every slot before the loaded tail are visible from here on. */
		r->cached = __atomic_load_n(&r->sh->tail, __ATOMIC_ACQUIRE);
		if (!ring_sane(r, r->cached, r->pos))
			return 0;
	}
	return r->cached - r->pos;
	/* END LAB 6 */
	/* STUB LAB 6: return 0; */
}

uint32_t
fp_ring_dequeue(struct fp_ring *r, void *items, uint32_t n)
{
	uint32_t avail = ring_readable(r, n);

	if (n > avail)
		n = avail;
	if (n == 0)
		return 0;
	ring_copy_out(r, r->pos, items, n);
	fp_ring_release(r, n);
	return n;
}

uint32_t
fp_ring_peek(struct fp_ring *r, void **first, uint32_t max)
{
	uint32_t avail = ring_readable(r, max);

	if (max > avail)
		max = avail;
	*first = r->slots + (size_t)(r->pos & r->mask) * r->slot_size;
	return ring_run(r, r->pos, max);
}

void
fp_ring_release(struct fp_ring *r, uint32_t k)
{
	/* LAB 6: free the k oldest items (never more than are readable) by publishing the
	 * new head, in the order that keeps the producer from overwriting a slot before the
	 * consumer's reads of it are done. */
	/* BEGIN LAB 6 */
	if (r->role != FP_RING_CONSUMER || k > r->cached - r->pos)
		return;
	r->pos += k;
	/* C2, release: pairs with the producer's acquire load of head (P1): our reads of
	 * the freed slots happen before the producer's next writes to them. */
	__atomic_store_n(&r->sh->head, r->pos, __ATOMIC_RELEASE);
	/* END LAB 6 */
}

uint32_t
fp_ring_count(struct fp_ring *r)
{
	uint32_t other;

	if (r->role == FP_RING_PRODUCER) {
		/* Relaxed: a statistic, nothing is read or written on its strength. */
		other = __atomic_load_n(&r->sh->head, __ATOMIC_RELAXED);
		return r->pos - other > r->mask + 1 ? 0 : r->pos - other;
	}
	other = __atomic_load_n(&r->sh->tail, __ATOMIC_RELAXED);
	return other - r->pos > r->mask + 1 ? 0 : other - r->pos;
}

uint32_t
fp_ring_capacity(const struct fp_ring *r)
{
	return r->mask + 1;
}
