/* The NVMe driver's error paths against the controller model: decoded command errors after
 * which the driver goes on, bad guest input answered with NVMe statuses, a controller that
 * never becomes ready, and per-command timeouts: Abort, then reset and resubmission. */
#include <criterion/criterion.h>
#include <string.h>

#include "abi/error.h"
#include "nvme_regs.h"
#include "nvmefix.h"

static void
setup(void)
{
	fix_setup(1, 8);
}

TestSuite(nvme_err, .init = setup, .fini = fix_teardown);

static int
io(uint8_t op, uint64_t lba, uint32_t nblocks, uint64_t pa, uint16_t *st)
{
	struct nvme_req rq = { .op = op, .lba = lba, .nblocks = nblocks, .buf_pa = pa };

	return nvme_io(&fix_ctrl.ioq[0], &rq, st);
}

Test(nvme_err, an_lba_out_of_range_is_decoded_and_the_driver_goes_on)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);
	uint16_t st = 0;

	cr_assert_eq(io(NVME_OP_READ, FIX_NBLOCKS - 1, 2, pa, &st), E_RANGE);
	cr_assert_eq(st, NVME_SF(NVME_SCT_GENERIC, 0x80));
	cr_assert_str_eq(nvme_status_name(st), "LBA Out of Range");
	cr_assert_eq(io(NVME_OP_WRITE, 1ull << 40, 1, pa, &st), E_RANGE);
	fix_fill(va, 512, 9);
	cr_assert_eq(io(NVME_OP_WRITE, FIX_NBLOCKS - 1, 1, pa, &st), 0);
	cr_assert_eq(st, 0);
	cr_assert_eq(memcmp(fix_model.disk + (FIX_NBLOCKS - 1) * 512ull, va, 512), 0);
	cr_assert_eq(fix_ctrl.stats.errors, 2);
	cr_assert_eq(fix_ctrl.stats.resets, 0);
}

/* Guest mistakes reach the model as NVMe statuses (or counted protocol errors), never as a
 * host crash: ASan would stop the test on any access outside simulated memory. */
Test(nvme_err, a_prp_outside_memory_is_a_data_transfer_error)
{
	uint16_t st = 0;

	cr_assert_eq(io(NVME_OP_WRITE, 0, 1, FIX_MEM_BYTES - 256, &st), E_FAULT);
	cr_assert_eq(st, 0x004);
	cr_assert_str_eq(nvme_status_name(st), "Data Transfer Error");
	cr_assert_eq(io(NVME_OP_READ, 0, 16, 0xfffffffffffff000ull, &st), E_FAULT);
	cr_assert_eq(st, 0x004);
}

Test(nvme_err, a_prp_list_entry_with_an_offset_is_prp_offset_invalid)
{
	void *va;
	uint64_t pa = fix_dma(4 * 4096, &va);
	uint32_t sqe[16] = { 0 };
	uint64_t *list;
	uint64_t lpa = fix_dma(4096, (void **)&list);
	struct nvme_qpair *qp = &fix_ctrl.ioq[0];
	struct nvme_done d;

	list[0] = pa + 4096 + 8; /* list entries must be page aligned (§4.3) */
	list[1] = pa + 8192;
	sqe[SQE_CDW0] = NVME_OP_READ | 5u << 16;
	sqe[SQE_NSID] = 1;
	sqe[SQE_PRP1] = (uint32_t)pa;
	sqe[SQE_PRP2] = (uint32_t)lpa;
	sqe[SQE_CDW12] = 3 * 8 - 1;
	qp->slots[5].busy = true;
	qp->inflight++;
	nvme_sqe_put(qp, sqe);
	nvme_sq_ring(qp);
	cr_assert_eq(nvme_poll(qp, &d, 1), 1);
	cr_assert_eq(d.status, 0x013);
	cr_assert_eq(d.err, E_ALIGN);
	cr_assert_str_eq(nvme_status_name(d.status), "PRP Offset Invalid");
}

/* A read of 3 pages at PRP1 + 0xff0 needs a list; PRP2 points at the last slot of a list page,
 * which holds a pointer to itself. */
static uint16_t
raw_read(uint64_t prp1, uint64_t prp2, uint32_t nblocks)
{
	uint32_t sqe[16] = { 0 };
	struct nvme_qpair *qp = &fix_ctrl.ioq[0];
	struct nvme_done d;

	sqe[SQE_CDW0] = NVME_OP_READ | 5u << 16;
	sqe[SQE_NSID] = 1;
	sqe[SQE_PRP1] = (uint32_t)prp1;
	sqe[SQE_PRP2] = (uint32_t)prp2;
	sqe[SQE_CDW12] = nblocks - 1;
	qp->slots[5].busy = true;
	qp->inflight++;
	nvme_sqe_put(qp, sqe);
	nvme_sq_ring(qp);
	cr_assert_eq(nvme_poll(qp, &d, 1), 1);
	return d.status;
}

Test(nvme_err, a_prp_list_chained_to_itself_is_refused)
{
	void *va;
	uint64_t pa = fix_dma(4 * 4096, &va);
	uint64_t *list;
	uint64_t lpa = fix_dma(4096, (void **)&list);

	list[511] = lpa + 4088;
	cr_assert_eq(raw_read(pa, lpa + 4088, 3 * 8), 0x002);
	list[511] = lpa + 4089; /* a chain pointer must be qword aligned */
	cr_assert_eq(raw_read(pa, lpa + 4088, 3 * 8), 0x013);
	cr_assert_eq(raw_read(pa + 2, 0, 1), 0x013); /* PRP1 must be dword aligned */
}

Test(nvme_err, bad_admin_commands_get_command_specific_statuses)
{
	uint32_t sqe[16] = { 0 };
	uint16_t st = 0;

	sqe[SQE_CDW0] = NVME_ADM_CREATE_SQ;
	sqe[SQE_CDW10] = 7u << 16 | 20; /* queue id 20: beyond the model's 8 */
	sqe[SQE_CDW11] = 1u << 16 | 1;
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, &st), E_INVAL);
	cr_assert_eq(st, NVME_SF(NVME_SCT_CMD_SPECIFIC, 0x01));
	cr_assert_str_eq(nvme_status_name(st), "Invalid Queue Identifier");
	memset(sqe, 0, sizeof(sqe));
	sqe[SQE_CDW0] = NVME_ADM_SET_FEAT; /* four queues of each kind (0-based) */
	sqe[SQE_CDW10] = NVME_FEAT_NQUEUES;
	sqe[SQE_CDW11] = 3u << 16 | 3;
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, &st), 0);
	memset(sqe, 0, sizeof(sqe));
	sqe[SQE_CDW0] = NVME_ADM_CREATE_SQ;
	sqe[SQE_CDW10] = 7u << 16 | 2;
	sqe[SQE_CDW11] = 5u << 16 | 1; /* completion queue 5 does not exist */
	sqe[SQE_PRP1] = 1u << 20;
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, &st), E_INVAL);
	cr_assert_str_eq(nvme_status_name(st), "Completion Queue Invalid");
	memset(sqe, 0, sizeof(sqe));
	sqe[SQE_CDW0] = 0x7f;
	cr_assert_eq(nvme_admin_cmd(&fix_ctrl, sqe, NULL, &st), E_NOSYS);
	cr_assert_str_eq(nvme_status_name(st), "Invalid Command Opcode");
}

Test(nvme_err, a_doorbell_for_no_queue_is_counted_and_ignored)
{
	unsigned before = fix_model.protocol_errors;

	fix_ctrl.ops.write32(fix_ctrl.ops.ctx, NVME_REG_DBS + 2 * 6 * 4, 1); /* SQ6: not created */
	cr_assert_eq(fix_model.protocol_errors, before + 1);
	cr_assert_str_eq(fix_model.last_error, "nvme: SQ6 tail doorbell 1 for a queue that does "
	                                       "not exist (NVMe 1.4 §3.1.24) at cycle 0");
	fix_ctrl.ops.write32(fix_ctrl.ops.ctx, NVME_REG_DBS + 2 * 1 * 4, 8); /* beyond 8 entries */
	cr_assert_eq(fix_model.protocol_errors, before + 2);
}

Test(nvme_ready, a_controller_that_never_becomes_ready_times_out_after_cap_to)
{
	fix_setup_model(0);
	fix_model.never_ready = true;
	cr_assert_eq(nvme_init(&fix_ctrl, fix_ops(), 1, 8), E_AGAIN);
	cr_assert_geq(fix_clock_ns, 1000000000ull); /* CAP.TO = 2: one second */
	cr_assert_lt(fix_clock_ns, 1100000000ull);
	fix_teardown();
}

/* The model consumes the read and never answers: the driver's timeout sends Abort, which the
 * model honours, and the read completes as Command Abort Requested. */
Test(nvme_err, a_timed_out_command_is_aborted)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);
	uint16_t st = 0;

	nvme_model_withhold(&fix_model, 100, 101, 1, false);
	cr_assert_eq(io(NVME_OP_READ, 100, 8, pa, &st), E_AGAIN);
	cr_assert_eq(st, 0x007);
	cr_assert_str_eq(nvme_status_name(st), "Command Abort Requested");
	cr_assert_eq(fix_ctrl.stats.timeouts, 1);
	cr_assert_eq(fix_ctrl.stats.aborts, 1);
	cr_assert_eq(fix_ctrl.stats.resets, 0);
	cr_assert_eq(fix_model.aborts_done, 1);
	cr_assert_geq(fix_clock_ns, fix_ctrl.cmd_timeout);
	cr_assert_eq(io(NVME_OP_READ, 100, 8, pa, &st), 0);
}

/* Two of three writes are withheld and the model refuses to abort them: the driver resets the
 * controller, recreates its queues and resubmits both, and every write is on the disk. */
Test(nvme_err, an_unabortable_command_is_resubmitted_after_a_reset)
{
	enum { N = 3 };
	struct nvme_qpair *qp = &fix_ctrl.ioq[0];
	struct nvme_req rq[N];
	struct nvme_done d[N];
	void *va;
	uint64_t pa = fix_dma(N * 4096, &va);
	unsigned done = 0, polls = 0;

	fix_fill(va, N * 4096, 77);
	for (unsigned i = 0; i < N; i++)
		rq[i] = (struct nvme_req){ NVME_OP_WRITE, 1000 + 8 * i, 8, pa + 4096 * i, NULL };
	nvme_model_withhold(&fix_model, 1000, 1016, 2, true);
	cr_assert_eq(nvme_submit(qp, rq, N), N);
	while (done < N) {
		int n = nvme_poll(qp, d, N);
		cr_assert_geq(n, 0, "nvme_poll: %d", n);
		for (int k = 0; k < n; k++)
			cr_assert_eq(d[k].err, 0, "%s", nvme_status_name(d[k].status));
		done += (unsigned)n;
		fix_ctrl.ops.wait(NULL, fix_clock_ns + fix_ctrl.cmd_timeout / 4);
		cr_assert_lt(++polls, 100);
	}
	cr_assert_eq(fix_ctrl.stats.resets, 1);
	/* The refusal (Abort DW0 bit 0 = 1) leads to the reset at once, not a timeout later. */
	cr_assert_lt(fix_clock_ns, 2 * fix_ctrl.cmd_timeout, "%llu",
	             (unsigned long long)fix_clock_ns);
	cr_assert_eq(fix_ctrl.stats.resubmitted, 2);
	cr_assert_geq(fix_ctrl.stats.aborts, 1);
	cr_assert_eq(fix_model.resets, 1);
	cr_assert_eq(memcmp(fix_model.disk + 1000 * 512, va, N * 4096), 0);
	cr_assert_eq(fix_model.protocol_errors, 0, "%s", fix_model.last_error);
}

/* A device that withholds the command every time: after NVME_MAX_RESUBMIT resets the driver
 * gives up on it (E_AGAIN) rather than resetting forever, and the queue still works. */
Test(nvme_err, a_command_never_answered_fails_after_bounded_resets)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);
	uint16_t st = 0xffff;

	nvme_model_withhold(&fix_model, 500, 501, 100, true);
	cr_assert_eq(io(NVME_OP_READ, 500, 8, pa, &st), E_AGAIN);
	cr_assert_eq(st, 0);
	cr_assert_eq(fix_ctrl.stats.resets, NVME_MAX_RESUBMIT + 1);
	cr_assert_eq(fix_ctrl.stats.resubmitted, NVME_MAX_RESUBMIT);
	cr_assert_eq(fix_ctrl.stats.dropped, 1);
	cr_assert_eq(fix_ctrl.ioq[0].inflight, 0);
	cr_assert_eq(io(NVME_OP_READ, 501, 8, pa, &st), 0);
}
