# The timer-interrupt benchmark: instructions a LAPIC timer interrupt that switches nothing
# costs the env it lands in (user/benchirq: an edf server whose budget equals its period, so
# the one-shot timer fires at each period's start and edf keeps it running) under
# `qemu -icount shift=0` (bench/icount.py), checked identical over two boots.

bench-irq: $(ISO) ## timer interrupt with no switch, in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-irq --iso $(ISO) \
		--args "init=benchirq sched=edf lockcheck=off" --want timer_interrupt

BENCH_TARGETS += bench-irq

.PHONY: bench-irq

# How QEMU 7.2's round-robin TCG shares the one icount clock (docs/sim.md, "Kernel versus
# exosim"): two envs pinned to CPUs 0 and 1 each spin for 20M cycles of the TSC; each
# figure is the cycles of its window the other vCPU had the turn.  Checked identical over
# two boots (SMP under icount is deterministic).
bench-share: $(ISO) ## two busy vCPUs under icount: cycles each one waits for the other
	$(V)$(PYTHON) bench/icount.py --name bench-share --iso $(ISO) --smp 2 \
		--args "init=benchirq tests=share sched=rr lockcheck=off" \
		--want share_cpu0_away --want share_cpu1_away

BENCH_TARGETS += bench-share

.PHONY: bench-share
