/* A minimal io_uring for bench/os/linux_nvme.c: io_uring_setup(2), the three mappings and
 * the ring protocol of io_uring(7) (the application writes SQ tail and CQ head with release
 * stores, reads the kernel's CQ tail with an acquire load), 4 KiB reads only.  Raw system
 * calls, no liburing.  Static functions: included by one translation unit. */
#ifndef EXOLAB_BENCH_LINUX_URING_H
#define EXOLAB_BENCH_LINUX_URING_H

#include <linux/io_uring.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define RING_BLK    4096u
#define RING_MAXBUF 64u

struct ring {
	int fd;
	int fixed;     /* registered file and buffers: IORING_OP_READ_FIXED + IOSQE_FIXED_FILE */
	int file;      /* the file read (index 0 of the registered files when fixed) */
	uint8_t *bufs; /* buffer `slot` is bufs + slot * RING_BLK */
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail, *cq_mask;
	unsigned tail;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
	int bad; /* CQEs whose result was not RING_BLK */
};

static void *
map_ring(int rfd, size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, what);

	return p == MAP_FAILED ? NULL : p;
}

/* IORING_REGISTER_BUFFERS (nbuf buffers of RING_BLK) and IORING_REGISTER_FILES (r->file). */
static int
register_fixed(struct ring *r, unsigned nbuf)
{
	struct iovec iov[RING_MAXBUF];

	for (unsigned i = 0; i < nbuf; i++)
		iov[i] = (struct iovec){ r->bufs + i * RING_BLK, RING_BLK };
	if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_BUFFERS, iov, nbuf) < 0)
		return -1;
	return syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES, &r->file, 1) < 0 ? -1
	                                                                                      : 0;
}

/* A ring of 2 * nbuf entries reading `file` into `bufs` (nbuf <= RING_MAXBUF buffers); -1 when
 * the kernel refuses (e.g. IORING_SETUP_IOPOLL on a file that cannot poll). */
static int
ring_open(struct ring *r, unsigned flags, int fixed, int file, uint8_t *bufs, unsigned nbuf)
{
	struct io_uring_params p;
	size_t sqlen, cqlen;
	uint8_t *sq, *cq;

	memset(&p, 0, sizeof p);
	memset(r, 0, sizeof *r);
	if (nbuf == 0 || nbuf > RING_MAXBUF)
		return -1;
	p.flags = flags;
	r->fd = syscall(__NR_io_uring_setup, 2 * nbuf, &p);
	if (r->fd < 0)
		return -1;
	sqlen = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	cqlen = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP)
		sqlen = cqlen = sqlen > cqlen ? sqlen : cqlen;
	sq = map_ring(r->fd, sqlen, IORING_OFF_SQ_RING);
	cq = p.features & IORING_FEAT_SINGLE_MMAP ? sq : map_ring(r->fd, cqlen, IORING_OFF_CQ_RING);
	r->sqes = map_ring(r->fd, p.sq_entries * sizeof(struct io_uring_sqe), IORING_OFF_SQES);
	if (!sq || !cq || !r->sqes)
		return -1;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	r->tail = *r->sq_tail;
	r->fixed = fixed;
	r->file = file;
	r->bufs = bufs;
	return fixed ? register_fixed(r, nbuf) : 0;
}

/* Queues one RING_BLK read at `off` into buffer `slot`; the kernel sees it at the next
 * enter. */
static inline void
ring_prep(struct ring *r, unsigned slot, off_t off)
{
	unsigned i = r->tail & *r->sq_mask;
	struct io_uring_sqe *s = &r->sqes[i];

	memset(s, 0, sizeof *s);
	s->opcode = r->fixed ? IORING_OP_READ_FIXED : IORING_OP_READ;
	s->fd = r->fixed ? 0 : r->file;
	s->flags = r->fixed ? IOSQE_FIXED_FILE : 0;
	s->buf_index = r->fixed ? slot : 0;
	s->addr = (uintptr_t)(r->bufs + slot * RING_BLK);
	s->len = RING_BLK;
	s->off = off;
	s->user_data = slot;
	r->sq_array[i] = i;
	r->tail++;
	__atomic_store_n(r->sq_tail, r->tail, __ATOMIC_RELEASE);
}

/* io_uring_enter(2): submit `submit` SQEs, and with `wait` wait for (on an IOPOLL ring:
 * poll for) that many completions. */
static inline long
ring_enter(struct ring *r, unsigned submit, unsigned wait)
{
	return syscall(__NR_io_uring_enter, r->fd, submit, wait, wait ? IORING_ENTER_GETEVENTS : 0,
	               NULL, 0);
}

/* Takes every CQE there is; returns how many. */
static inline unsigned
ring_reap(struct ring *r)
{
	unsigned h = *r->cq_head, t = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE), n = 0;

	for (; h != t; h++, n++)
		r->bad |= r->cqes[h & *r->cq_mask].res != (int)RING_BLK;
	__atomic_store_n(r->cq_head, h, __ATOMIC_RELEASE);
	return n;
}

#endif
