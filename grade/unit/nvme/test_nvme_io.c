/* The NVMe driver against the controller model: bring-up, Identify, data integrity across the
 * disk, PRP and PRP-list transfers, batches that wrap the queues, and the doorbell stride. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "nvmefix.h"

static void
setup(void)
{
	fix_setup(2, 16);
}

TestSuite(nvme_io, .init = setup, .fini = fix_teardown);

static void
io_ok(struct nvme_qpair *qp, uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t pa)
{
	struct nvme_req rq = { .op = op, .lba = lba, .nblocks = nblocks, .buf_pa = pa };
	uint16_t st = 0xffff;
	int r = nvme_io(qp, &rq, &st);

	cr_assert_eq(r, 0, "op %u lba %llu x%u: %d, status 0x%x (%s)", op, (unsigned long long)lba,
	             nblocks, r, st, nvme_status_name(st));
	cr_assert_eq(st, 0);
}

Test(nvme_io, init_identifies_the_controller_and_namespace_1)
{
	cr_assert_str_eq(fix_ctrl.model, "ExoLab NVMe model");
	cr_assert_str_eq(fix_ctrl.serial, "EXOSIM0001");
	cr_assert_eq(fix_ctrl.nsze, FIX_NBLOCKS);
	cr_assert_eq(fix_ctrl.lba_size, 512);
	cr_assert_eq(fix_ctrl.nn, 1);
	cr_assert_eq(fix_ctrl.max_xfer, 4096u << NVMEM_MDTS);
	cr_assert_eq(fix_ctrl.ready_ns, 1000000000ull); /* CAP.TO = 2 units of 500 ms */
	cr_assert(fix_model.sq[1].live && fix_model.sq[2].live && !fix_model.sq[3].live);
	cr_assert_eq(fix_model.sq[2].size, 16);
	cr_assert_eq(fix_model.cq[2].size, 16);
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
}

/* 256 writes of 4 KiB spread over the disk with seeded contents, then every one read back and
 * compared by checksum with what was written, and with the model's disk itself. */
Test(nvme_io, patterns_written_across_the_disk_read_back_intact)
{
	enum { N = 256, BLK = 8, BYTES = BLK * 512 };
	void *wva, *rva;
	uint64_t wpa = fix_dma(BYTES, &wva), rpa = fix_dma(BYTES, &rva), sums[N], lbas[N];
	uint64_t seed = 0x5eed;

	for (unsigned i = 0; i < N; i++) {
		lbas[i] = (FIX_NBLOCKS / N) * i + fix_rand(&seed) % (FIX_NBLOCKS / N - BLK);
		fix_fill(wva, BYTES, 1000 + i);
		sums[i] = fix_sum(wva, BYTES);
		io_ok(&fix_ctrl.ioq[i % 2], NVME_OP_WRITE, lbas[i], BLK, wpa);
	}
	io_ok(&fix_ctrl.ioq[0], NVME_OP_FLUSH, 0, 0, 0);
	for (unsigned i = 0; i < N; i++) {
		memset(rva, 0, BYTES);
		io_ok(&fix_ctrl.ioq[(i + 1) % 2], NVME_OP_READ, lbas[i], BLK, rpa);
		cr_assert_eq(fix_sum(rva, BYTES), sums[i], "block %llu",
		             (unsigned long long)lbas[i]);
		cr_assert_eq(fix_sum(fix_model.disk + lbas[i] * 512, BYTES), sums[i]);
	}
	cr_assert_eq(fix_ctrl.stats.errors, 0);
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
}

/* 1 page (PRP1 only), 2 (PRP2 a page), 3 and 64 (PRP2 a list), each page aligned and at an
 * offset of 512 bytes into the first page (one more page to describe). */
Test(nvme_io, transfers_of_1_2_3_and_64_pages_through_prps_and_prp_lists)
{
	static const unsigned pages[] = { 1, 2, 3, 64 };
	void *wva, *rva;
	uint64_t wpa = fix_dma(65 * 4096, &wva), rpa = fix_dma(65 * 4096, &rva);
	uint64_t lba = 0;

	for (unsigned off = 0; off <= 512; off += 512) {
		for (unsigned i = 0; i < 4; i++) {
			uint32_t bytes = pages[i] * 4096, nb = bytes / 512;
			fix_fill((uint8_t *)wva + off, bytes, pages[i] * 7 + off);
			memset(rva, 0, 65 * 4096);
			io_ok(&fix_ctrl.ioq[0], NVME_OP_WRITE, lba, nb, wpa + off);
			io_ok(&fix_ctrl.ioq[0], NVME_OP_READ, lba, nb, rpa + off);
			cr_assert_eq(memcmp((uint8_t *)rva + off, (uint8_t *)wva + off, bytes), 0,
			             "%u pages at offset %u", pages[i], off);
			cr_assert_eq(
			    memcmp(fix_model.disk + lba * 512, (uint8_t *)wva + off, bytes), 0);
			/* Nothing outside the buffer was written. */
			cr_assert_eq(((uint8_t *)rva)[off + bytes], 0);
			lba += nb;
		}
	}
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
}

Test(nvme_io, a_transfer_over_the_maximum_is_refused_before_the_device)
{
	struct nvme_req rq = { .op = NVME_OP_READ, .nblocks = fix_ctrl.max_xfer / 512 + 1 };
	uint64_t before = fix_model.commands;

	cr_assert_eq(nvme_submit(&fix_ctrl.ioq[0], &rq, 1), E_INVAL);
	rq.nblocks = 1;
	rq.buf_pa = 0x100002; /* not dword aligned (§4.3) */
	cr_assert_eq(nvme_submit(&fix_ctrl.ioq[0], &rq, 1), E_INVAL);
	cr_assert_eq(fix_model.commands, before);
}

/* Runs N requests through `qp` in batches: each batch fills what the queue has room for and
 * rings once.  Returns the number of doorbell rings; every request completes once, without
 * error. */
static unsigned
run_batches(struct nvme_qpair *qp, struct nvme_req *rq, unsigned N)
{
	struct nvme_done done[8];
	unsigned seen[256] = { 0 }, next = 0, completed = 0, rings = 0, polls = 0;

	for (unsigned i = 0; i < N; i++)
		rq[i].cookie = &seen[i];
	while (completed < N) {
		if (next < N) {
			int r = nvme_submit(qp, &rq[next], N - next);
			cr_assert_geq(r, 0);
			cr_assert_leq(qp->inflight, 15u);
			next += (unsigned)r;
			rings += r > 0;
		}
		int n = nvme_poll(qp, done, 8);
		cr_assert_geq(n, 0);
		for (int k = 0; k < n; k++) {
			cr_assert_eq(done[k].err, 0);
			(*(unsigned *)done[k].cookie)++;
		}
		completed += (unsigned)n;
		cr_assert_lt(++polls, 20 * N, "%u of %u completed", completed, N);
	}
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(seen[i], 1, "request %u completed %u times", i, seen[i]);
	return rings;
}

/* 200 single-block writes, then 200 reads, through a 16-entry queue pair: the queues wrap and
 * the phase tag flips many times.  The reads run with the model deferred (it executes only
 * as time passes), so a stale completion taken for a new one would show as missing data. */
Test(nvme_io, batches_larger_than_the_queue_wrap_around_and_all_complete)
{
	enum { N = 200 };
	struct nvme_qpair *qp = &fix_ctrl.ioq[1];
	static struct nvme_req rq[N];
	void *wva, *rva;
	uint64_t wpa = fix_dma(N * 512, &wva), rpa = fix_dma(N * 512, &rva);

	fix_fill(wva, N * 512, 42);
	for (unsigned i = 0; i < N; i++)
		rq[i] = (struct nvme_req){ NVME_OP_WRITE, 3000 + i, 1, wpa + i * 512, NULL };
	unsigned rings = run_batches(qp, rq, N);
	cr_assert_eq(memcmp(fix_model.disk + 3000 * 512, wva, N * 512), 0);
	cr_assert_lt(rings, N / 2, "%u doorbell rings for %u commands", rings, N);
	fix_model.deferred = true;
	for (unsigned i = 0; i < N; i++)
		rq[i] = (struct nvme_req){ NVME_OP_READ, 3000 + N - 1 - i, 1, rpa + i * 512, NULL };
	run_batches(qp, rq, N);
	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(
		    memcmp((uint8_t *)rva + i * 512, (uint8_t *)wva + (N - 1 - i) * 512, 512), 0,
		    "read %u", i);
	cr_assert_eq(qp->phase, fix_model.cq[2].phase);
	cr_assert_eq(qp->cq_head, fix_model.cq[2].tail);
	cr_assert_eq(fix_ctrl.stats.completed, 2 * N);
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
}

Test(nvme_io_stride, doorbells_follow_cap_dstrd)
{
	void *va;
	uint64_t pa;

	fix_setup_model(3); /* doorbells 32 bytes apart */
	cr_assert_eq(nvme_init(&fix_ctrl, fix_ops(), 1, 8), 0, "%s", fix_model.last_error);
	cr_assert_eq(fix_ctrl.dstrd, 32);
	pa = fix_dma(4096, &va);
	fix_fill(va, 4096, 3);
	io_ok(&fix_ctrl.ioq[0], NVME_OP_WRITE, 77, 8, pa);
	cr_assert_eq(memcmp(fix_model.disk + 77 * 512, va, 4096), 0);
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
	fix_teardown();
}
