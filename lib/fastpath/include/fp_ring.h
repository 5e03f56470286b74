/* lib/fastpath: single-producer/single-consumer rings in memory the caller provides (a page
 * shared by two environments, or host memory in exosim and the tests).  Design and the
 * memory-ordering argument: docs/fastpath.md. */
#ifndef EXOLAB_FP_RING_H
#define EXOLAB_FP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FP_CACHELINE          64
#define FP_RING_MAGIC         0x46505231u /* "FPR1" */
#define FP_RING_MAX_SLOTS     (1u << 24)
#define FP_RING_MAX_SLOT_SIZE 4096u

/* The shared layout.  Each index sits alone on its cache line so that the producer's stores
 * to `tail` never invalidate the line the consumer writes, and the reverse (no false
 * sharing).  Indices run freely modulo 2^32; slot i of the ring is index & (nslots - 1), and
 * tail - head (mod 2^32) is the number of full slots, 0 ... nslots. */
struct fp_ring_shared {
	/* Line 0: the geometry, written once by fp_ring_init before the memory is shared. */
	uint32_t magic;
	uint32_t nslots;
	uint32_t slot_size;
	uint8_t pad0[FP_CACHELINE - 12];
	/* Line 1: written by the producer only. */
	uint32_t tail;
	uint8_t pad1[FP_CACHELINE - 4];
	/* Line 2: written by the consumer only. */
	uint32_t head;
	uint8_t pad2[FP_CACHELINE - 4];
	/* The slots follow, nslots * slot_size bytes. */
	uint8_t slots[];
} __attribute__((aligned(FP_CACHELINE)));

enum fp_ring_role { FP_RING_PRODUCER, FP_RING_CONSUMER };

/* One side's private handle, used by one thread.  The geometry is copied here at init or
 * attach and never read from shared memory again, so a peer that scribbles on the shared
 * header cannot make this side index outside the slots.  `pos` is this side's own index
 * (the producer's tail, the consumer's head): the shared copy is only ever stored.
 * `cached` is the last seen index of the other side: it saves a load of the other side's
 * cache line while it still shows room (producer) or items (consumer). */
struct fp_ring {
	struct fp_ring_shared *sh;
	uint8_t *slots;
	uint32_t mask;
	uint32_t slot_size;
	uint32_t pos;
	uint32_t cached;
	enum fp_ring_role role;
	bool corrupt; /* the peer's index was impossible: the ring is dead for this side */
};

/* Bytes of shared memory a ring of nslots slots of slot_size bytes needs. */
size_t fp_ring_bytes(uint32_t nslots, uint32_t slot_size);
/* Lays out an empty ring in mem (FP_CACHELINE-aligned, `bytes` long) and fills the handle.
 * nslots is a power of two, 2 ... FP_RING_MAX_SLOTS.  0 or E_INVAL / E_ALIGN / E_RANGE. */
int fp_ring_init(struct fp_ring *r, enum fp_ring_role role, void *mem, size_t bytes,
                 uint32_t nslots, uint32_t slot_size);
/* The other side's handle on a ring another party initialised: checks the geometry against
 * `bytes` and the slot size this side expects.  0 or E_INVAL / E_ALIGN / E_RANGE. */
int fp_ring_attach(struct fp_ring *r, enum fp_ring_role role, void *mem, size_t bytes,
                   uint32_t slot_size);

/* Producer: copies up to n items (n * slot_size bytes from items) into free slots and
 * publishes them at once; returns how many it took (0 ... n; fewer when the ring fills). */
uint32_t fp_ring_enqueue(struct fp_ring *r, const void *items, uint32_t n);
/* Consumer: copies up to n items out, oldest first, and frees their slots; returns how many. */
uint32_t fp_ring_dequeue(struct fp_ring *r, void *items, uint32_t n);

/* Consumer, zero-copy: up to max items readable in place, contiguous from *first (a run stops
 * at the end of the slot array); then fp_ring_release(r, k) frees the first k of them. */
uint32_t fp_ring_peek(struct fp_ring *r, void **first, uint32_t max);
void fp_ring_release(struct fp_ring *r, uint32_t k);

/* Items in the ring as this side last saw them (the other side moves on meanwhile). */
uint32_t fp_ring_count(struct fp_ring *r);
uint32_t fp_ring_capacity(const struct fp_ring *r);

#endif
