# `make bench-fastpath` (issue 15 item 5, bench/fastpath/fastpath_bench.py): both fast-path
# applications, owned core vs shared core, and the recorded Linux equivalents in one table.
# l2fwd: user/l2fwd.c forwarding user/l2gen.c's stamped
# frames between two e1000s on QEMU hubs (nothing leaves QEMU), under `qemu -icount shift=0`
# on two CPUs: instructions per forwarded frame at batch 32, the per-frame latency
# distribution in instructions (p50, p99, p99.9, max) and the interrupts the forwarder's
# core took, on an owned core (core_claim) and un-partitioned (an ordinary env beside a busy
# env under the tick).  blkserve: user/blkserve.c serving user/blkclient.c's 4 KiB NVMe reads
# (tests=bench-owned|bench-shared, user/blkclient_bench.h): the service's instructions per
# request, the request latency, CPU 1's interrupts.  Four boots, about five minutes;
# docs/l2fwd.md has the figures.

bench-fastpath: $(ISO) ## l2fwd and blkserve, owned vs shared core: insn/item, latency p50-max, interrupts (icount)
	$(V)$(PYTHON) bench/fastpath/fastpath_bench.py --iso $(ISO)

BENCH_TARGETS += bench-fastpath

.PHONY: bench-fastpath
