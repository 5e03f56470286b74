# `make bench-linux`: bench/os/osbench.c on ExoLab (user/osbench, in the ISO's ramdisk) and on
# a Linux guest in the same QEMU, printed side by side (bench/linux/README.md).  The guest is
# Debian's kernel (linux-image-amd64: /boot/vmlinuz-*) with an initramfs of busybox-static and
# the benchmark built static; both packages come from `hw/host/deps.sh --missing bench-linux`,
# on their own stamp, so only this target needs them.  Not in BENCH_TARGETS or `make test`
# (two boots, minutes under icount); its parsing and table code is (bench-linux-check).

BL_OBJ := $(OBJ)/bench/linux
BL_DEPS_STAMP := $(OBJ)/.deps-bench-linux-ok
BL_BENCH := $(BL_OBJ)/osbench
BL_INITRD := $(BL_OBJ)/initramfs.cpio
BUSYBOX ?= /bin/busybox
# The newest Debian kernel installed, looked up when the recipe runs (after the install).
LINUX_KERNEL ?= $$(ls /boot/vmlinuz-*-amd64 | sort -V | tail -n 1)

$(BL_DEPS_STAMP): hw/host/deps.sh
	$(V)hw/host/deps.sh --missing bench-linux
	$(V)mkdir -p $(@D) && touch $@

$(BL_BENCH): bench/os/linux.c bench/os/osbench.c bench/os/osbench.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) -static -O2 -g -std=gnu11 $(WARN) -o $@ bench/os/linux.c

$(BL_INITRD): bench/linux/mkinitramfs.py $(BL_BENCH) $(BL_DEPS_STAMP)
	$(V)$(PYTHON) bench/linux/mkinitramfs.py --busybox $(BUSYBOX) --bench $(BL_BENCH) -o $@

bench-linux: $(ISO) $(BL_INITRD) ## osbench on ExoLab and on Linux 6.1 in the same QEMU, one table
	$(V)$(PYTHON) bench/linux/sidebyside.py --iso $(ISO) --kernel "$(LINUX_KERNEL)" \
		--initrd $(BL_INITRD) --save $(BL_OBJ)

bench-linux-check: ## test bench-linux's log parsing, table and initramfs writer on fixed input
	$(V)$(PYTHON) bench/linux/test_sidebyside.py

TEST_TARGETS += bench-linux-check

.PHONY: bench-linux bench-linux-check
