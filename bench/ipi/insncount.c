/* A QEMU TCG plugin for bench/ipi: the guest instructions a vCPU executes from an interrupt
 * vector's entry stub until it is back in user mode, one line per time it happens:
 *
 *     qemu ... -plugin obj/bench/ipi/insncount.so,entry=0xffffffff80107270,out=FILE
 *
 * writes `entry <vcpu> <instructions>` lines to FILE.  Unlike a TSC difference, this counts
 * only the receiving vCPU's instructions, whatever the other vCPUs execute meanwhile on the
 * shared icount clock (docs/sim.md, "Kernel versus exosim").
 *
 * It counts instruction by instruction (a callback before each one), not whole translation
 * blocks: under -icount a block that reaches a device access (the LAPIC EOI, the timer) in
 * its middle stops there (cpu_io_recompile), its later instructions never run, and the
 * access is redone in a block QEMU instruments for memory only, so counting each block's
 * instructions would count some twice.  The stub's first instruction starts a count, the
 * first instruction at a user address (below the kernel half) ends it. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin_api.h"

#define MAX_VCPUS   64
#define KERNEL_HALF 0xffff800000000000ull

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

static uint64_t entry;
static int out_fd = -1;
static int active[MAX_VCPUS];
static uint64_t count[MAX_VCPUS];

static void
on_insn(unsigned int vcpu, void *udata)
{
	uint64_t vaddr = (uint64_t)(uintptr_t)udata;
	char line[64];
	int n;

	if (vcpu >= MAX_VCPUS)
		return;
	if (vaddr == entry) {
		active[vcpu] = 1;
		count[vcpu] = 0;
	}
	if (!active[vcpu])
		return;
	if (vaddr < KERNEL_HALF) {
		active[vcpu] = 0;
		n = snprintf(line, sizeof(line), "entry %u %llu\n", vcpu,
		             (unsigned long long)count[vcpu]);
		if (write(out_fd, line, (size_t)n) != n)
			_exit(70); /* the measurement is lost: stop QEMU rather than report less */
		return;
	}
	count[vcpu]++;
}

static void
on_translate(qemu_plugin_id_t id __attribute__((unused)), struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb);

	for (size_t i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint64_t vaddr = qemu_plugin_insn_vaddr(insn);

		qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS,
		                                       (void *)(uintptr_t)vaddr);
	}
}

QEMU_PLUGIN_EXPORT int
qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info __attribute__((unused)), int argc,
                    char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "entry=", 6) == 0)
			entry = strtoull(argv[i] + 6, NULL, 0);
		else if (strncmp(argv[i], "out=", 4) == 0)
			out_fd = open(argv[i] + 4, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	}
	if (entry == 0 || out_fd < 0) {
		fprintf(stderr, "insncount: usage: -plugin insncount.so,entry=ADDR,out=FILE\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	return 0;
}
