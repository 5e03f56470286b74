/* nvme_init's last step under write protection (nvme_wp.h): the partition tables read through
 * I/O queue 1 into one DMA buffer and handed to nvme_wp_scan.  Reads only: nothing here can
 * write the disk. */
#include "abi/error.h"
#include "nvme_regs.h"
#include "nvme_wp.h"

struct wp_load {
	struct nvme_ctrl *c;
	struct nvme_dma buf;
};

/* nvme_wp_scan's reader: `n` blocks at `lba` into buf + off, in transfers of max_xfer. */
static int
load_read(void *ctx, uint64_t lba, uint32_t n, size_t off)
{
	struct wp_load *l = ctx;
	uint32_t bs = l->c->lba_size, per = l->c->max_xfer / bs;

	if (off > l->buf.len || (uint64_t)n * bs > l->buf.len - off || per == 0)
		return E_RANGE;
	while (n > 0) {
		uint32_t k = n < per ? n : per;
		struct nvme_req rq = { NVME_OP_READ, lba, k, l->buf.pa + off, NULL };
		int r = nvme_io(&l->c->ioq[0], &rq, NULL);
		if (r < 0)
			return r;
		lba += k;
		n -= k;
		off += (size_t)k * bs;
	}
	return 0;
}

int
nvme_wp_load(struct nvme_ctrl *c)
{
	struct nvme_wp *wp = c->ops.wp;
	struct wp_load l = { c, { 0 } };
	int r;

	if (wp == NULL || wp->mode != NVME_WP_WINDOW)
		return 0;
	wp->table_read = false;
	if ((r = c->ops.dma_alloc(c->ops.ctx, NVME_WP_SCAN_BYTES, &l.buf)) < 0) {
		wp->table_note = "no memory to read the partition table: every write refused";
	} else {
		r = nvme_wp_scan(wp, c->lba_size, c->nsze, load_read, &l, l.buf.va, l.buf.len);
		if (c->ops.dma_free != NULL)
			c->ops.dma_free(c->ops.ctx, &l.buf);
	}
	if (wp->report != NULL)
		wp->report(wp->report_ctx, wp, NULL);
	return r;
}
