/* A QEMU TCG plugin for `make bench-linux-l2fwd` (bench/linux/README.md): exact guest
 * instruction counts for bench/os/linux_l2fwd.c on Linux, which will not boot two CPUs under
 * -icount (the README says what was tried).  QEMU runs the two vCPUs round-robin on one host
 * thread (-accel tcg,thread=single), so the sum of both vCPUs' executed instructions is a
 * clock in the units `-icount shift=0` gives ExoLab's bench-fastpath, and each vCPU's own
 * count is exact whatever the host's speed:
 *
 *     qemu ... -accel tcg,thread=single -plugin l2count.so,marks=0x401000,out=FILE
 *
 * `marks` is the address of the program's marker slots (symbol l2mark: 16-byte slots, each a
 * `ret`, called by the program at the points it wants counted).  Slot 0 (S): the forwarder
 * is about to poll; slot 1 (E): it has sent the batch; slot 2+n (R): it received n frames;
 * slot 35+n (T): the generator stamped n frames.  Lines written to FILE:
 *
 *     R <vcpu> <n> <clock> <idle>    T <vcpu> <n> <clock> <idle>    B <vcpu> <n> <insns S to E>
 *
 * (clock: both vCPUs' instructions so far; idle: the part of them spent in polls that
 * received nothing, from one S to the next with no R between; B's n is the last R's on that
 * vCPU).
 *
 * Counting is an inline add before every instruction (exact: a block left early by a fault
 * or a syscall skips the adds of the instructions it did not run) into one counter, split
 * among vCPUs at the block where the running vCPU changes; only the marker slots get a
 * callback.  A user address is per process: another program running code at the marker
 * addresses would be taken for the benchmark (in the initramfs nothing else runs then). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../ipi/plugin_api.h"

/* QEMU 7.2 include/qemu/qemu-plugin.h: an add into host memory, emitted inline. */
enum qemu_plugin_op {
	QEMU_PLUGIN_INLINE_ADD_U64,
};
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);

#define MAX_VCPUS  8
#define SLOT       16
#define SLOT_START 0
#define SLOT_END   1
#define SLOT_RX    2  /* + frames received, 0..32 */
#define SLOT_TX    35 /* + frames stamped, 0..32 */
#define NSLOTS     68

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t marks;
static int out_fd = -1;
static uint64_t clock_insns;    /* every vCPU's instructions: the inline adds' target */
static uint64_t split_at;       /* clock_insns when `running` last changed */
static unsigned running;        /* the vCPU that ran since split_at */
static uint64_t own[MAX_VCPUS]; /* each vCPU's instructions up to split_at */
static uint64_t start[MAX_VCPUS];
static unsigned frames[MAX_VCPUS];
static int polled[MAX_VCPUS]; /* an S came: start[] is that poll's */
static uint64_t idle_insns;   /* instructions of polls that received nothing, all vCPUs */

static uint64_t
own_now(unsigned vcpu)
{
	return own[vcpu] + (vcpu == running ? clock_insns - split_at : 0);
}

static void
on_tb(unsigned int vcpu, void *udata __attribute__((unused)))
{
	if (vcpu == running || vcpu >= MAX_VCPUS)
		return;
	own[running] += clock_insns - split_at;
	split_at = clock_insns;
	running = vcpu;
}

static void
emit(char kind, unsigned vcpu, unsigned n, uint64_t value)
{
	char line[96];
	int len = kind == 'B' ? snprintf(line, sizeof(line), "B %u %u %llu\n", vcpu, n,
	                                 (unsigned long long)value)
	                      : snprintf(line, sizeof(line), "%c %u %u %llu %llu\n", kind, vcpu, n,
	                                 (unsigned long long)value, (unsigned long long)idle_insns);

	if (write(out_fd, line, (size_t)len) != len)
		_exit(70); /* the measurement is lost: stop QEMU rather than report less */
}

static void
on_mark(unsigned int vcpu, void *udata)
{
	unsigned slot = (unsigned)(uintptr_t)udata;

	if (vcpu >= MAX_VCPUS)
		return;
	on_tb(vcpu, NULL); /* the slot may be the first instruction run after a switch */
	if (slot == SLOT_START) {
		if (polled[vcpu] && frames[vcpu] == 0)
			idle_insns += own_now(vcpu) - start[vcpu]; /* S to S: an empty poll */
		polled[vcpu] = 1;
		start[vcpu] = own_now(vcpu);
		frames[vcpu] = 0;
	} else if (slot == SLOT_END) {
		emit('B', vcpu, frames[vcpu], own_now(vcpu) - start[vcpu]);
	} else if (slot < SLOT_TX) {
		frames[vcpu] = slot - SLOT_RX;
		emit('R', vcpu, slot - SLOT_RX, clock_insns);
	} else {
		emit('T', vcpu, slot - SLOT_TX, clock_insns);
	}
}

static void
on_translate(qemu_plugin_id_t id __attribute__((unused)), struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_tb, QEMU_PLUGIN_CB_NO_REGS, NULL);
	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t va = qemu_plugin_insn_vaddr(insn);

		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
		                                           &clock_insns, 1);
		if (va >= marks && va < marks + NSLOTS * SLOT && (va - marks) % SLOT == 0)
			qemu_plugin_register_vcpu_insn_exec_cb(
			    insn, on_mark, QEMU_PLUGIN_CB_NO_REGS,
			    (void *)(uintptr_t)((va - marks) / SLOT));
	}
}

QEMU_PLUGIN_EXPORT int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info __attribute__((unused)), int argc,
                    char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "marks=", 6) == 0)
			marks = strtoull(argv[i] + 6, NULL, 0);
		else if (strncmp(argv[i], "out=", 4) == 0)
			out_fd = open(argv[i] + 4, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	}
	if (marks == 0 || out_fd < 0) {
		fprintf(stderr, "l2count: usage: -plugin l2count.so,marks=ADDR,out=FILE\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
