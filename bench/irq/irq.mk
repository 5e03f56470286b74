# The timer-interrupt benchmark: instructions a LAPIC timer interrupt that switches nothing
# costs the env it lands in (user/benchirq: an edf server whose budget equals its period, so
# the one-shot timer fires at each period's start and edf keeps it running) under
# `qemu -icount shift=0` (bench/icount.py), checked identical over two boots.

bench-irq: $(ISO) ## timer interrupt with no switch, in instructions (qemu -icount shift=0)
	$(V)$(PYTHON) bench/icount.py --name bench-irq --iso $(ISO) \
		--args "init=benchirq sched=edf lockcheck=off" --want timer_interrupt

BENCH_TARGETS += bench-irq

.PHONY: bench-irq
