/* Packet buffers for the network drivers (netdev.h): a pool of NET_BUF_SIZE-byte buffers, two
 * per DMA page so that none crosses a page and each needs one physical address only.  The
 * free buffers are a stack, so the buffer freed last (still in the cache) is reused first
 * (net_buf_alloc and net_buf_free are inline in netdev.h). */
#include "abi/error.h"
#include "netdev.h"
#include "xstring.h"

#define PAGE     4096u
#define PER_PAGE (PAGE / NET_BUF_SIZE)

int
net_pool_init(struct net_pool *pool, const struct net_ops *ops, unsigned n)
{
	if (n == 0 || n > NET_POOL_MAX || ops->dma_alloc == 0)
		return E_INVAL;
	memset(pool, 0, sizeof(*pool));
	pool->ops = *ops;
	for (unsigned p = 0; p * PER_PAGE < n; p++) {
		int r = ops->dma_alloc(ops->ctx, PAGE, &pool->pages[p]);

		if (r < 0) {
			net_pool_fini(pool);
			return r;
		}
		for (unsigned k = 0; k < PER_PAGE && p * PER_PAGE + k < n; k++) {
			struct net_buf *b = &pool->bufs[p * PER_PAGE + k];

			b->data = (uint8_t *)pool->pages[p].va + k * NET_BUF_SIZE;
			b->pa = pool->pages[p].pa + k * NET_BUF_SIZE;
			b->idx = (uint16_t)(p * PER_PAGE + k);
			b->pool = pool;
			pool->n++;
		}
	}
	/* Push in reverse so that the first allocations hand out buffers 0, 1, 2, ... */
	for (unsigned i = pool->n; i-- > 0;)
		pool->free[pool->nfree++] = (uint16_t)i;
	return 0;
}

void
net_pool_fini(struct net_pool *pool)
{
	for (unsigned p = 0; p < NET_POOL_MAX / PER_PAGE; p++)
		if (pool->pages[p].va != 0 && pool->ops.dma_free != 0)
			pool->ops.dma_free(pool->ops.ctx, &pool->pages[p]);
	memset(pool->pages, 0, sizeof(pool->pages));
	pool->n = pool->nfree = 0;
}

int
net_dev_init(struct net_dev *dev, const struct net_driver *drv, const struct net_ops *ops,
             struct net_pool *pool, unsigned nrx, unsigned ntx)
{
	int err;

	if (drv == 0 || pool == 0 || nrx == 0 || ntx == 0)
		return E_INVAL;
	memset(dev, 0, sizeof(*dev));
	dev->drv = drv;
	dev->ops = *ops;
	dev->pool = pool;
	if ((err = drv->init(dev, nrx, ntx)) < 0)
		dev->drv = 0; /* not bound: nothing to fini */
	return err;
}
