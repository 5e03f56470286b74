/* The block service's protocol and its client library (lib/user/blk.c; the service is
 * user/blksrv.c, docs/storage.md "Block service").  The service owns the NVMe controller and
 * serves clients over one IPC endpoint (abi/ipc.h).  A client holds a badged copy of that
 * endpoint with WRITE and GRANT only: the badge, stamped by the kernel on every message, is its
 * identity (the copy also has GRANT, to send buffer frames), and the service maps it to the range
 * of blocks the owner granted it.  A client addresses blocks 0 .. count - 1 of its range; the
 * service adds the range's first block. Data moves through the client's own frames, handed to the
 * service (BLK_ATTACH): the controller reads and writes them directly (no copy).
 *
 * Every request is an ipc_call; w[0] of the call is the request, w[0] of the reply is 0 or a
 * negative E_* code, and for READ and WRITE w[1] of the reply is the controller's status
 * field (0, or a code nvme_status_name decodes).  Errors: E_PERM (a badge without a grant,
 * or an owner's request from a client), E_RANGE (blocks outside the client's range, a
 * buffer page not attached), E_INVAL (a malformed request), E_NOMEM (too many clients or
 * buffer pages). */
#ifndef EXOLAB_BLK_H
#define EXOLAB_BLK_H

#include <stdint.h>

/* Requests (w[0]); w[1..3] as listed, the reply's w[1..3] after "->". */
enum blk_req {
	BLK_INFO = 1, /* -> lba_size, count (blocks of the range), pages attached */
	BLK_ATTACH,   /* the call carries a frame capability (READ WRITE PHYS, and GRANT to send
	               * it, through an endpoint copy with GRANT): the next
	               * buffer page -> its index */
	BLK_READ,     /* lba, nblocks, first buffer page -> status field */
	BLK_WRITE,    /* lba, nblocks, first buffer page -> status field */
	BLK_FLUSH,    /* -> status field */
	BLK_DETACH,   /* the service drops the client's buffer pages */
	/* The owner's requests, through the unbadged endpoint (badge 0). */
	BLK_GRANT = 16, /* badge, first block, count: the client with that badge gets the range
	                 * (a new grant for a badge replaces its range) */
	BLK_DISK,       /* -> lba_size, blocks of the namespace */
	BLK_STOP,       /* the service replies, closes the controller and exits */
};

#define BLK_MAX_CLIENTS 8
#define BLK_MAX_PAGES   8 /* buffer pages per client; a request moves at most this many */

/* The service's slots, filled by whoever starts it: the device capability, then the
 * endpoint (its arrival tells the service both are there). */
#define BLK_SRV_SLOT_DEV 200
#define BLK_SRV_SLOT_EP  201

struct blk_client {
	uint64_t ep;       /* the badged endpoint */
	uint32_t lba_size; /* bytes */
	uint64_t count;    /* blocks of the range */
	uint8_t *buf;      /* the buffer pages, mapped at consecutive addresses */
	unsigned npages;
	uint64_t frames[BLK_MAX_PAGES];
};

/* Asks for the range (BLK_INFO), allocates `npages` frames mapped at `va` (page aligned,
 * unmapped) and attaches them.  0 or an E_* code (the service's, e.g. E_PERM). */
int blk_open(struct blk_client *c, uint64_t ep, unsigned npages, uint64_t va);
/* Moves `nblocks` blocks at `lba` (of the client's range) from or into the buffer, starting
 * at buffer page `page`.  0 or an E_* code; *status (if not NULL) the controller's status. */
int blk_read(struct blk_client *c, uint64_t lba, uint32_t nblocks, unsigned page, uint16_t *status);
int blk_write(struct blk_client *c, uint64_t lba, uint32_t nblocks, unsigned page,
              uint16_t *status);
int blk_flush(struct blk_client *c);
/* Detaches and frees the buffer pages. */
void blk_close(struct blk_client *c);

/* One call of the protocol: w[0..3] in, the reply's words in out (if not NULL); the call's
 * error, else the reply's w[0]. */
long blk_call(uint64_t ep, uint64_t cslot, const uint64_t w[4], uint64_t out[4]);

#endif
