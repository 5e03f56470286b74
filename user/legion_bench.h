/* The Legion image's benchmark suite (issue 16 item 6): what user/legion.c's bench mode runs,
 * in this order, each a ramdisk program spawned with these arguments (fds, devices and
 * ramdisk handed over as sh does).  Every line it prints goes to the console and the
 * netconsole; hw/legion/collect.py keeps the `BENCH name value unit` lines as CSV and
 * hw/legion/calibrate.py turns them into exosim's hw/legion profile (docs/legion.md).  After
 * them legion measures the packet path itself (legion_pkt.h: it owns the NIC).
 *
 * Each entry is safe on the laptop: no writes to any disk (benchnvme builds read commands
 * only), bounded time (seconds; a device that does not answer within a second ends the
 * program), and a plain message, exit status 0, when the device it needs is absent.  The
 * `cycles` argument names the unit: on hardware the figures are TSC cycles (under QEMU's
 * -icount the same programs, run without it, print `instructions`).  Policy-independent:
 * the bench entry boots with the default scheduler (rr); benchirq's direct timer_interrupt
 * needs sched=edf and so is not here (benchctx's timer_wake stands in for it). */
#ifndef EXOLAB_LEGION_BENCH_H
#define EXOLAB_LEGION_BENCH_H

#include <stddef.h>
#include <stdint.h>

#define LEGION_BENCH_ARGS 4 /* argv entries, the program's name and the NULL included */

struct legion_bench {
	const char *program;                 /* the ramdisk program */
	const char *args[LEGION_BENCH_ARGS]; /* its argv: args[0] = program, NULL-terminated */
	uint64_t pages;                      /* quota pages to give it (spawn's `pages`) */
	const char *description;             /* one line for the summary screen */
};

static const struct legion_bench legion_benches[] = {
	{ "benchnull",
	  { "benchnull", "cycles", NULL },
	  64,
	  "syscall: a null system call round trip (BENCH syscall_null)" },
	{ "benchctx",
	  { "benchctx", "cycles", NULL },
	  256,
	  "TSC rate, context switch (yield round trip on one CPU), IPC round trip on one CPU and "
	  "across two (wake-up IPIs), timer wake-up (BENCH tsc_hz, ctxsw_yield_roundtrip, "
	  "ipc_local_roundtrip, ipc_xcpu_roundtrip, timer_wake)" },
	{ "benchipc",
	  { "benchipc", "cycles", NULL },
	  128,
	  "IPC call round trip as make bench-ipc measures it (BENCH ipc_call_roundtrip)" },
	{ "benchnvme",
	  { "benchnvme", "cycles", NULL },
	  512,
	  "NVMe 4 KiB reads, read only: latency p50/p99 at depth 1 and 32, driver software path "
	  "(BENCH nvme_qd1_lat_*, nvme_qd32_lat_*, nvme_read4k_*, nvme_qd32_*)" },
};

#define LEGION_NBENCH (sizeof(legion_benches) / sizeof(legion_benches[0]))

#endif
