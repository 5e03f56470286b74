/* The block service's client library (blk.h): each operation is one ipc_call on the
 * client's badged endpoint; the data moves through the client's frames, which the service
 * holds copies of (BLK_ATTACH) and the controller reads and writes directly. */
#include "abi/cap.h"
#include "abi/ipc.h"
#include "blk.h"
#include "libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE       4096ull
#define BUF_RIGHTS (CAP_R_READ | CAP_R_WRITE | CAP_R_MAP | CAP_R_PHYS | CAP_R_GRANT)
#define PERM_RW    (ABI_PERM_R | ABI_PERM_W)

long
blk_call(uint64_t ep, uint64_t cslot, const uint64_t w[4], uint64_t out[4])
{
	struct ipc_msg m;
	long r = sys_ipc_call(ep, ABI_IPC_INFO(cslot, 0), w, &m);

	if (r < 0)
		return r;
	if (out != NULL)
		memcpy(out, m.w, sizeof(m.w));
	return (long)m.w[0];
}

/* One frame mapped at va and attached: its slot in *slot, or an E_* code. */
static int
attach_page(struct blk_client *c, uint64_t va, uint64_t *slot)
{
	long s = slot_alloc(), r;

	if (s < 0)
		return (int)s;
	if ((r = sys_frame_alloc(ABI_SLOT_UNTYPED, (uint64_t)s, BUF_RIGHTS)) < 0 ||
	    (r = sys_map(ABI_SLOT_SELF, (uint64_t)s, va, PERM_RW)) < 0 ||
	    (r = blk_call(c->ep, (uint64_t)s, (uint64_t[4]){ BLK_ATTACH, 0, 0, 0 }, NULL)) < 0) {
		(void)sys_unmap(ABI_SLOT_SELF, va);
		(void)sys_cap_delete((uint64_t)s);
		slot_free((uint64_t)s);
		return (int)r;
	}
	*slot = (uint64_t)s;
	return 0;
}

int
blk_open(struct blk_client *c, uint64_t ep, unsigned npages, uint64_t va)
{
	uint64_t out[4];
	long r;

	memset(c, 0, sizeof(*c));
	c->ep = ep;
	if (npages == 0 || npages > BLK_MAX_PAGES || va % PAGE != 0)
		return E_INVAL;
	if ((r = blk_call(ep, 0, (uint64_t[4]){ BLK_INFO, 0, 0, 0 }, out)) < 0)
		return (int)r;
	c->lba_size = (uint32_t)out[1];
	c->count = out[2];
	c->buf = (uint8_t *)va;
	for (; c->npages < npages; c->npages++)
		if ((r = attach_page(c, va + c->npages * PAGE, &c->frames[c->npages])) < 0) {
			blk_close(c);
			return (int)r;
		}
	return 0;
}

static int
rw(struct blk_client *c, uint64_t op, uint64_t lba, uint32_t nblocks, unsigned page,
   uint16_t *status)
{
	uint64_t out[4] = { 0 };
	long r = blk_call(c->ep, 0, (uint64_t[4]){ op, lba, nblocks, page }, out);

	if (status != NULL)
		*status = (uint16_t)out[1];
	return (int)r;
}

int
blk_read(struct blk_client *c, uint64_t lba, uint32_t nblocks, unsigned page, uint16_t *status)
{
	return rw(c, BLK_READ, lba, nblocks, page, status);
}

int
blk_write(struct blk_client *c, uint64_t lba, uint32_t nblocks, unsigned page, uint16_t *status)
{
	return rw(c, BLK_WRITE, lba, nblocks, page, status);
}

int
blk_flush(struct blk_client *c)
{
	return (int)blk_call(c->ep, 0, (uint64_t[4]){ BLK_FLUSH, 0, 0, 0 }, NULL);
}

void
blk_close(struct blk_client *c)
{
	if (c->npages > 0)
		(void)blk_call(c->ep, 0, (uint64_t[4]){ BLK_DETACH, 0, 0, 0 }, NULL);
	for (unsigned i = 0; i < c->npages; i++) {
		(void)sys_unmap(ABI_SLOT_SELF, (uint64_t)c->buf + i * PAGE);
		(void)sys_cap_delete(c->frames[i]);
		slot_free(c->frames[i]);
	}
	c->npages = 0;
}
