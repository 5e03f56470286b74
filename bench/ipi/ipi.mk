# The reschedule IPI's cost on the receiving CPU (bench/ipi/ipicount.py): CPU 1's
# instructions from the vector's stub back to user mode, counted by a QEMU TCG plugin
# (bench/ipi/insncount.c) while CPU 0 wakes an env queued behind CPU 1's spinner.

IPI_PLUGIN := $(OBJ)/bench/ipi/insncount.so

# No sanitizers: the plugin is loaded into QEMU.
$(IPI_PLUGIN): bench/ipi/insncount.c bench/ipi/plugin_api.h
	@mkdir -p $(@D)
	$(V)$(HOSTCC) -std=gnu11 -O2 $(WARN) -shared -fPIC -o $@ $<

bench-ipi: $(ISO) $(IPI_PLUGIN) ## reschedule IPI on the receiving CPU, in instructions (QEMU plugin)
	$(V)$(PYTHON) bench/ipi/ipicount.py --iso $(ISO) --nm $(KERNEL).nm --plugin $(IPI_PLUGIN)

BENCH_TARGETS += bench-ipi

.PHONY: bench-ipi
