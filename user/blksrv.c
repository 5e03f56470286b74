/* blksrv: the block service (issue 12 item 7; protocol in blk.h, docs/storage.md).  It owns
 * the NVMe controller (the device capability its starter copied to BLK_SRV_SLOT_DEV), drives
 * it with the portable driver in interrupt mode, MSI-X else INTx (polled if neither binds), and
 * serves clients on the endpoint in BLK_SRV_SLOT_EP.  Access control is the badge: the owner (badge
 * 0) grants each client badge a range of blocks, and every READ and WRITE is checked against the
 * range of the badge the kernel stamped on the message.  A request that fails a check gets its
 * error in the reply and the service goes on.  Client buffers are the clients' frames (BLK_ATTACH):
 * the service only checks their rights and learns their physical addresses; a request of several
 * pages is one NVMe command per page, submitted in one batch. */
#include <stdbool.h>
#include <stdint.h>

#include "abi/cap.h"
#include "abi/dev.h"
#include "abi/ipc.h"
#include "blk.h"
#include "libos.h"
#include "nvme_libos.h"
#include "usyscall.h"
#include "xstring.h"

#define PAGE        4096u
#define DEV         BLK_SRV_SLOT_DEV
#define EP          BLK_SRV_SLOT_EP
#define FRAME_NEEDS (CAP_R_READ | CAP_R_WRITE | CAP_R_PHYS)

struct client {
	uint64_t badge; /* 0: a free entry */
	uint64_t first, count;
	unsigned npages;
	uint64_t slot[BLK_MAX_PAGES]; /* the client's frames */
	uint64_t pa[BLK_MAX_PAGES];
};

static struct nvme_libos lo;
static struct nvme_ops ops;
static struct nvme_ctrl ctrl;
static bool up; /* the controller is ready */
static struct client clients[BLK_MAX_CLIENTS];
static uint64_t nserved, nrefused;

static struct client *
find(uint64_t badge)
{
	for (unsigned i = 0; i < BLK_MAX_CLIENTS && badge != 0; i++)
		if (clients[i].badge == badge)
			return &clients[i];
	return NULL;
}

static void
detach(struct client *c)
{
	for (unsigned i = 0; i < c->npages; i++) {
		(void)sys_iommu_unmap(c->slot[i]); /* out of our DMA domain (docs/devices.md) */
		(void)sys_cap_delete(c->slot[i]);
		slot_free(c->slot[i]);
	}
	c->npages = 0;
}

/* The frame in `slot` becomes c's next buffer page: it must be a 4 KiB frame the client may
 * read, write and name physically (the controller will do both).  Keeps the capability
 * (*kept) or returns an error. */
static long
attach(struct client *c, uint64_t slot, bool *kept)
{
	struct cap_info ci;

	if (slot == 0)
		return E_INVAL;
	if (sys_cap_identify(slot, &ci) < 0 || ci.type != CAP_FRAME || ci.bytes != PAGE ||
	    (ci.rights & FRAME_NEEDS) != FRAME_NEEDS)
		return E_PERM;
	if (c->npages == BLK_MAX_PAGES)
		return E_NOMEM;
	/* With an IOMMU the controller reaches the frame only once it is in our DMA domain
	 * (iommu_map, 55; without one this only returns the address). */
	if ((long)(ci.phys = (uint64_t)sys_iommu_map(slot)) < 0)
		return (long)ci.phys;
	c->slot[c->npages] = slot;
	c->pa[c->npages] = ci.phys;
	*kept = true;
	return c->npages++;
}

/* Waits for `n` completions on the queue: the first error (its status in *status), or 0. */
static int
reap(unsigned n, uint16_t *status)
{
	struct nvme_qpair *qp = &ctrl.ioq[0];
	struct nvme_done d[BLK_MAX_PAGES];
	int err = 0;

	while (n > 0) {
		int got = nvme_poll(qp, d, BLK_MAX_PAGES);
		if (got < 0)
			return got;
		for (int i = 0; i < got; i++)
			if (err == 0 && d[i].err < 0) {
				err = d[i].err;
				*status = d[i].status;
			}
		n -= (unsigned)got;
		if (got == 0 && ctrl.ops.wait != NULL)
			ctrl.ops.wait(ctrl.ops.ctx, ctrl.ops.now_ns(&lo) + ctrl.cmd_timeout / 16);
	}
	return err;
}

/* READ or WRITE of w[1] blocks at w[2] (of c's range) through c's pages from w[3]. */
static long
transfer(struct client *c, uint8_t op, const uint64_t *w, uint16_t *status)
{
	uint64_t lba = w[1], nblocks = w[2], page = w[3];
	uint32_t per_page = PAGE / ctrl.lba_size;
	struct nvme_req rq[BLK_MAX_PAGES];
	unsigned n = 0;

	if (nblocks == 0)
		return E_INVAL;
	if (lba >= c->count || nblocks > c->count - lba || page >= c->npages ||
	    nblocks > (c->npages - page) * per_page)
		return E_RANGE;
	for (uint64_t done = 0; done < nblocks; done += per_page, n++) {
		uint64_t left = nblocks - done;
		rq[n] = (struct nvme_req){ op, c->first + lba + done,
			                   (uint32_t)(left < per_page ? left : per_page),
			                   c->pa[page + n], NULL };
	}
	int r = nvme_submit(&ctrl.ioq[0], rq, n);
	if (r < 0)
		return r;
	if ((unsigned)r < n) { /* cannot happen at depth BLK_MAX_PAGES + 1: reap what went */
		(void)reap((unsigned)r, status);
		return E_BUSY;
	}
	return reap(n, status);
}

/* The owner's BLK_GRANT: badge w[1] gets w[3] blocks from w[2]. */
static long
grant(const uint64_t *w)
{
	struct client *c = find(w[1]);

	if (w[1] == 0 || w[3] == 0 || w[2] >= ctrl.nsze || w[3] > ctrl.nsze - w[2])
		return E_RANGE;
	for (unsigned i = 0; i < BLK_MAX_CLIENTS && c == NULL; i++)
		if (clients[i].badge == 0)
			c = &clients[i];
	if (c == NULL)
		return E_NOMEM;
	c->badge = w[1];
	c->first = w[2];
	c->count = w[3];
	return 0;
}

static long
owner_request(const uint64_t *w, uint64_t *out, bool *stop)
{
	switch (w[0]) {
	case BLK_GRANT:
		return grant(w);
	case BLK_DISK:
		out[1] = ctrl.lba_size;
		out[2] = ctrl.nsze;
		return 0;
	case BLK_STOP:
		*stop = true;
		return 0;
	default:
		return E_INVAL;
	}
}

/* A client's request (c its grant): the result; the reply's other words in out. */
static long
client_request(struct client *c, const struct ipc_msg *m, uint64_t cslot, uint64_t *out, bool *kept,
               uint16_t *status)
{
	long r;

	if (!up && m->w[0] != BLK_INFO)
		return E_AGAIN;
	switch (m->w[0]) {
	case BLK_INFO:
		out[1] = ctrl.lba_size;
		out[2] = c->count;
		out[3] = c->npages;
		return 0;
	case BLK_ATTACH:
		if ((r = attach(c, cslot, kept)) < 0)
			return r;
		out[1] = (uint64_t)r;
		return 0;
	case BLK_READ:
		return transfer(c, NVME_OP_READ, m->w, status);
	case BLK_WRITE:
		return transfer(c, NVME_OP_WRITE, m->w, status);
	case BLK_FLUSH:
		return nvme_io(&ctrl.ioq[0], &(struct nvme_req){ NVME_OP_FLUSH, 0, 0, 0, NULL },
		               status);
	case BLK_DETACH:
		detach(c);
		return 0;
	default:
		return E_INVAL;
	}
}

/* One request: the reply's words in out (out[0] the result, out[1] the status field of an
 * I/O).  Badge 0 is the owner; any other badge must have a grant. */
static void
serve(const struct ipc_msg *m, uint64_t cslot, uint64_t *out, bool *kept, bool *stop)
{
	struct client *c = find(m->badge);
	uint16_t status = 0;
	long r;

	if (m->badge == 0)
		r = owner_request(m->w, out, stop);
	else if (c == NULL || m->w[0] >= BLK_GRANT)
		r = E_PERM;
	else
		r = client_request(c, m, cslot, out, kept, &status);
	if (m->w[0] == BLK_READ || m->w[0] == BLK_WRITE || m->w[0] == BLK_FLUSH)
		out[1] = status;
	out[0] = (uint64_t)r;
	nserved++;
	nrefused += r < 0 && status == 0;
}

/* The controller, in interrupt mode if its interrupt can be bound: MSI-X if it has it (no
 * shared line, no IOAPIC routing), else INTx. */
static void
start(void)
{
	long ns = slot_alloc();
	int r = nvme_libos_open(&lo, DEV, &ops);

	if (r == 0 && ns > 0 && sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)ns, CAP_R_ALL) == 0 &&
	    nvme_libos_irq_bind(&lo, (uint64_t)ns, 1, NVME_LIBOS_ANY, &ops) < 0)
		printf("blksrv: no interrupt, polling\n");
	if (r == 0)
		r = nvme_init(&ctrl, &ops, 1, BLK_MAX_PAGES + 1);
	up = r == 0;
	printf("blksrv: controller %s (%d), %lu blocks of %u bytes, %s\n", up ? "up" : "down", r,
	       (unsigned long)ctrl.nsze, ctrl.lba_size,
	       !ops.intr                    ? "polled"
	       : lo.kind == NVME_LIBOS_MSIX ? "interrupts (MSI-X)"
	                                    : "interrupts (INTx)");
}

int
main(int argc, char **argv)
{
	struct ipc_msg m;
	struct cap_info ci;
	uint64_t out[ABI_IPC_WORDS];
	long rslot = 0, r;
	bool stop = false;

	(void)argc;
	(void)argv;
	if (slot_reserve(DEV) < 0 || slot_reserve(EP) < 0)
		return 1;
	/* The starter copies the device, then the endpoint: its arrival means both are here. */
	while (sys_cap_identify(EP, &ci) != 0)
		sys_yield();
	start();
	if ((rslot = slot_alloc()) < 0)
		return 1;
	r = sys_ipc_recv(EP, ABI_IPC_INFO(0, rslot), &m);
	while (r == 0) {
		uint64_t cslot = ABI_IPC_CSLOT(m.info);
		bool kept = false;
		memset(out, 0, sizeof(out));
		serve(&m, cslot, out, &kept, &stop);
		if (cslot != 0 && !kept)
			(void)sys_cap_delete(cslot);
		if (kept && (rslot = slot_alloc()) < 0)
			break;
		if (stop)
			break;
		if (m.info & ABI_IPC_CALLED)
			r = sys_ipc_reply_recv(EP, ABI_IPC_INFO(0, rslot), out, &m);
		else
			r = sys_ipc_recv(EP, ABI_IPC_INFO(0, rslot), &m);
	}
	printf("blksrv: %lu requests, %lu refused, %lu interrupts; stopping\n",
	       (unsigned long)nserved, (unsigned long)nrefused, (unsigned long)lo.irq.signals);
	for (unsigned i = 0; i < BLK_MAX_CLIENTS; i++)
		detach(&clients[i]);
	if (up)
		nvme_fini(&ctrl);
	nvme_libos_close(&lo);
	/* The last reply, without waiting for another message. */
	(void)sys_ipc_reply_recv(EP, ABI_IPC_INFO(0, 0) | ABI_IPC_NONBLOCK, out, &m);
	return 0;
}
