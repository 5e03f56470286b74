/* The controller model's mistake catalogue (docs/sim.md, "NVMe: the driver's mistakes"): each
 * test makes one mistake on purpose, by register writes or hand-built queue entries, and
 * asserts the exact one-line diagnostic (rule, evidence, section, cycle, and the source line of
 * the register access when it went through the drivers' accessors, drv_mmio.h) and that it
 * was the only one.  The 32-bit writes (w32, every doorbell) go through DRV_WR32 here, so the
 * line they name is this file's, whatever the driver's io.c looks like; the 64-bit accesses go
 * straight to the ops table, so their messages name no line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "drv_mmio.h"
#include "nvme_regs.h"
#include "nvmefix.h"

static uint64_t clk;
static unsigned hook_calls;
static char hook_msg[200];

static void
hook(void *ctx, const char *msg)
{
	hook_calls++;
	snprintf(hook_msg, sizeof(hook_msg), "%s", msg);
}

static void
arm(void)
{
	clk = 123456;
	fix_model.clock = &clk;
	fix_model.on_error = hook;
	hook_calls = 0;
	fix_model.protocol_errors = 0;
}

static void
bare(void)
{
	fix_setup_model(0);
	arm();
}

static void
up(void)
{
	fix_setup(1, 8);
	arm();
}

static int w32_line; /* the line of w32's access */

/* Exactly one diagnostic since arm(), with this text (after "nvme: ", before " at cycle"),
 * raised on an access that named no line (from_w32 false) or on w32's. */
static void
expect_from(const char *rule, bool from_w32)
{
	char want[300];

	snprintf(want, sizeof(want), "nvme: %s at cycle 123456", rule);
	if (from_w32)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), ", driver pc %s:%d",
		         __FILE__, w32_line);
	cr_assert_eq(fix_model.protocol_errors, 1, "%u errors, last: %s", fix_model.protocol_errors,
	             fix_model.last_error);
	cr_assert_str_eq(fix_model.last_error, want);
	cr_assert_eq(hook_calls, 1);
	cr_assert_str_eq(hook_msg, want);
}

/* The mistakes the tests make by register writes: w32's line is in the message. */
static void
expect(const char *rule)
{
	expect_from(rule, true);
}

static void
w32(uint32_t off, uint32_t v)
{
	w32_line = __LINE__ + 1;
	DRV_WR32(fix_ops(), off, v);
}

static void
w64(uint32_t off, uint64_t v)
{
	fix_ops()->write64(NULL, off, v);
}

TestSuite(diag_regs, .init = bare, .fini = fix_teardown);
TestSuite(diag_io, .init = up, .fini = fix_teardown);

Test(diag_regs, cc_en_before_the_admin_queue_registers)
{
	w32(NVME_REG_AQA, 0x000f000f);
	w32(NVME_REG_CC, NVME_CC_EN);
	expect("CC.EN = 1 before ASQ/ACQ written (NVMe 1.4 §7.6.1)");
	cr_assert(fix_model.csts & NVME_CSTS_CFS);
}

Test(diag_regs, admin_queue_base_not_page_aligned)
{
	w32(NVME_REG_AQA, 0x000f000f);
	w64(NVME_REG_ASQ, 0x101008);
	w64(NVME_REG_ACQ, 0x102000);
	w32(NVME_REG_CC, NVME_CC_EN);
	expect("CC.EN = 1 with ASQ 0x101008 ACQ 0x102000 not page aligned (NVMe 1.4 §3.1.9)");
}

Test(diag_regs, unsupported_memory_page_size)
{
	w32(NVME_REG_AQA, 0x000f000f);
	w64(NVME_REG_ASQ, 0x101000);
	w64(NVME_REG_ACQ, 0x102000);
	w32(NVME_REG_CC, NVME_CC_EN | NVME_CC_MPS(1));
	expect("CC.MPS 1 outside CAP.MPSMIN..MPSMAX 0..0 (NVMe 1.4 §3.1.5)");
}

Test(diag_regs, write_to_a_read_only_register)
{
	w32(NVME_REG_CAP, 1);
	expect("write of read-only register CAP (0x0) (NVMe 1.4 §3.1)");
}

/* (An access that is not naturally aligned never reaches the model: sim/hal stops it.) */
Test(diag_io, qword_write_to_a_doorbell)
{
	w64(nvme_sq_db(&fix_ctrl, 1), 1);
	expect_from("8-byte write of 32-bit register doorbell at 0x1008 (NVMe 1.4 §3.1)", false);
	cr_assert_eq(fix_model.sq[1].tail, 0, "the write is ignored");
}

Test(diag_regs, qword_read_of_a_dword_register)
{
	cr_assert_eq(fix_ops()->read64(NULL, NVME_REG_VS), ~0ull);
	expect_from("8-byte read of 32-bit register VS at 0x8 (NVMe 1.4 §3.1)", false);
}

Test(diag_regs, doorbell_before_the_controller_is_ready)
{
	w32(NVME_REG_DBS, 1);
	expect("SQ0 doorbell written while CSTS.RDY = 0 (NVMe 1.4 §7.6.1)");
}

Test(diag_io, admin_queue_attributes_changed_while_enabled)
{
	w32(NVME_REG_AQA, 0x00030003);
	expect("AQA written while CC.EN = 1 (NVMe 1.4 §7.6.1)");
}

Test(diag_io, enable_before_ready_clears)
{
	w32(NVME_REG_CC, 0); /* disable: CSTS.RDY clears only after a few reads */
	w32(NVME_REG_CC, NVME_CC_EN | NVME_CC_IOSQES(6) | NVME_CC_IOCQES(4));
	expect("CC.EN = 1 while CSTS.RDY is still 1 from the last disable (NVMe 1.4 §3.1.5)");
}

Test(diag_io, sq_tail_doorbell_beyond_the_queue)
{
	w32(nvme_sq_db(&fix_ctrl, 1), 8);
	expect("SQ1 tail doorbell 8 >= queue size 8 (NVMe 1.4 §3.1.24)");
}

Test(diag_io, cq_head_doorbell_beyond_the_queue)
{
	w32(nvme_cq_db(&fix_ctrl, 1), 9);
	expect("CQ1 head doorbell 9 >= queue size 8 (NVMe 1.4 §3.1.25)");
}

Test(diag_io, cq_head_past_entries_not_yet_posted)
{
	w32(nvme_cq_db(&fix_ctrl, 1), 3);
	expect("CQ1 head doorbell 3 moves past entries not yet posted (head 0, tail 0) "
	       "(NVMe 1.4 §4.1)");
}

Test(diag_io, doorbell_of_a_queue_never_created)
{
	w32(nvme_sq_db(&fix_ctrl, 6), 1);
	expect("SQ6 tail doorbell 1 for a queue that does not exist (NVMe 1.4 §3.1.24)");
}

Test(diag_io, doorbell_offset_of_no_queue)
{
	w32(NVME_REG_DBS + 2 * 9 * 4, 1);
	expect("doorbell write at 0x1048 matches no queue (stride 4) (NVMe 1.4 §3.1.24)");
}

Test(diag_io, sq_tail_overruns_the_head)
{
	fix_model.deferred = true; /* the controller consumes nothing meanwhile */
	w32(nvme_sq_db(&fix_ctrl, 1), 7);
	w32(nvme_sq_db(&fix_ctrl, 1), 1);
	expect("SQ1 tail doorbell 1 overruns head 0: 9 entries in a queue of 8 (NVMe 1.4 §4.1.2)");
}

/* A read of 4 KiB at LBA 0 into `pa` with command identifier `cid`, rung at once. */
static void
raw(uint32_t cid, uint32_t nsid, uint64_t prp1, uint64_t prp2, uint32_t nlb0)
{
	uint32_t sqe[16] = { 0 };
	struct nvme_qpair *qp = &fix_ctrl.ioq[0];

	sqe[SQE_CDW0] = NVME_OP_READ | cid << 16;
	sqe[SQE_NSID] = nsid;
	sqe[SQE_PRP1] = (uint32_t)prp1;
	sqe[SQE_PRP1 + 1] = (uint32_t)(prp1 >> 32);
	sqe[SQE_PRP2] = (uint32_t)prp2;
	sqe[SQE_PRP2 + 1] = (uint32_t)(prp2 >> 32);
	sqe[SQE_CDW12] = nlb0;
	nvme_sqe_put(qp, sqe);
	w32(nvme_sq_db(&fix_ctrl, qp->qid), qp->sq_tail); /* nvme_sq_ring's write, made here */
}

Test(diag_io, command_identifier_reused_while_outstanding)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);

	nvme_model_withhold(&fix_model, 0, 1, 1, false); /* the first stays outstanding */
	raw(3, 1, pa, 0, 7);
	raw(3, 1, pa, 0, 7);
	expect("SQ1 command identifier 3 reused while outstanding (NVMe 1.4 §4.2)");
}

Test(diag_io, prp1_not_dword_aligned)
{
	void *va;
	uint64_t pa = fix_dma(8192, &va);
	char want[160];

	raw(5, 1, pa + 2, 0, 0);
	snprintf(want, sizeof(want), "SQ1 command 5 PRP1 0x%llx not dword aligned (NVMe 1.4 §4.3)",
	         (unsigned long long)pa + 2);
	expect(want);
}

Test(diag_io, prp2_with_an_offset)
{
	void *va;
	uint64_t pa = fix_dma(3 * 4096, &va);
	char want[160];

	raw(5, 1, pa + 512, pa + 4096 + 8, 7);
	snprintf(want, sizeof(want),
	         "SQ1 command 5 PRP2 0x%llx has an offset: the second page starts at 0 "
	         "(NVMe 1.4 §4.3)",
	         (unsigned long long)pa + 4096 + 8);
	expect(want);
}

Test(diag_io, prp_list_entry_with_an_offset)
{
	void *va;
	uint64_t pa = fix_dma(4 * 4096, &va), *list;
	uint64_t lpa = fix_dma(4096, (void **)&list);
	char want[160];

	list[0] = pa + 4096 + 8;
	list[1] = pa + 8192;
	raw(5, 1, pa, lpa, 3 * 8 - 1);
	snprintf(want, sizeof(want),
	         "SQ1 command 5 PRP list entry 0 (0x%llx) has an offset "
	         "(NVMe 1.4 §4.3)",
	         (unsigned long long)list[0]);
	expect(want);
}

Test(diag_io, invalid_namespace)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);

	raw(5, 2, pa, 0, 7);
	expect("SQ1 command 5 NSID 2 is not an active namespace (NN = 1) (NVMe 1.4 §6.1)");
}

Test(diag_io, transfer_beyond_mdts)
{
	void *va;
	uint64_t pa = fix_dma(4096, &va);

	raw(5, 1, pa, 0, 2047);
	expect("SQ1 command 5 transfers 1048576 bytes > MDTS 524288 bytes (NVMe 1.4 §5.15.2.1)");
}

static uint16_t
admin(uint8_t op, uint32_t cdw10, uint32_t cdw11, uint64_t prp1)
{
	struct nvme_qpair *aq = &fix_ctrl.admin;
	uint32_t sqe[16] = { 0 }, cqe[4];

	sqe[SQE_CDW0] = op | (uint32_t)aq->sq_tail << 16;
	sqe[SQE_CDW10] = cdw10;
	sqe[SQE_CDW11] = cdw11;
	sqe[SQE_PRP1] = (uint32_t)prp1;
	nvme_sqe_put(aq, sqe);
	w32(nvme_sq_db(&fix_ctrl, 0), aq->sq_tail); /* the controller runs it now */
	cr_assert(nvme_cqe_take(aq, cqe), "the admin command completed");
	return (uint16_t)(cqe[CQE_DW3] >> 17);
}

Test(diag_io, create_sq_for_a_cq_that_does_not_exist)
{
	fix_model.nsq_granted = 3;
	cr_assert_eq(admin(NVME_ADM_CREATE_SQ, 7u << 16 | 3, 5u << 16 | 1, 1u << 20), 0x100);
	expect("Create I/O SQ 3 names CQ 5, which does not exist (NVMe 1.4 §5.4)");
}

Test(diag_io, create_queue_beyond_the_granted_number)
{
	cr_assert_eq(admin(NVME_ADM_CREATE_CQ, 7u << 16 | 2, 1, 1u << 20), 0x101);
	expect("Create I/O CQ 2 beyond the 1 granted by Number of Queues (NVMe 1.4 §5.21.1.7)");
}

Test(diag_io, create_queue_base_not_page_aligned)
{
	fix_model.ncq_granted = 3;
	cr_assert_eq(admin(NVME_ADM_CREATE_CQ, 7u << 16 | 3, 1, 0x100800), 0x002);
	expect("Create I/O CQ 3 base 0x100800 not page aligned (NVMe 1.4 §5.3)");
}

Test(diag_io, create_sq_with_the_wrong_entry_size_in_cc)
{
	fix_model.nsq_granted = 3;
	w32(NVME_REG_CC, NVME_CC_EN); /* IOSQES/IOCQES = 0 while enabled */
	cr_assert_eq(admin(NVME_ADM_CREATE_SQ, 7u << 16 | 3, 1u << 16 | 1, 1u << 20), 0x002);
	expect("Create I/O SQ 3 while CC.IOSQES = 0, not 6 (NVMe 1.4 §3.1.5)");
}

Test(diag_io, create_cq_with_an_interrupt_vector_beyond_the_table)
{
	fix_model.ncq_granted = 3;
	cr_assert_eq(admin(NVME_ADM_CREATE_CQ, 7u << 16 | 3, 12u << 16 | 3, 1u << 20), 0x108);
	expect("Create I/O CQ 3 with interrupt vector 12, the controller has 9 (NVMe 1.4 §5.3)");
}

/* The driver as written makes none of these mistakes (the other suites assert 0 errors after
 * their I/O; here a whole bring-up, I/O and shutdown under the hook). */
Test(diag_io, the_driver_makes_no_mistake)
{
	void *va;
	uint64_t pa = fix_dma(8192, &va);
	struct nvme_req rq = { NVME_OP_WRITE, 10, 16, pa, NULL };

	cr_assert_eq(nvme_io(&fix_ctrl.ioq[0], &rq, NULL), 0);
	rq.op = NVME_OP_READ;
	cr_assert_eq(nvme_io(&fix_ctrl.ioq[0], &rq, NULL), 0);
	cr_assert_eq(nvme_reset(&fix_ctrl), 0);
	nvme_fini(&fix_ctrl);
	cr_assert_eq(hook_calls, 0, "%s", hook_msg);
}
