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

bench-linux-check: ## test bench-linux's (and -nvme's) log parsing, table and initramfs writer on fixed input
	$(V)$(PYTHON) bench/linux/test_sidebyside.py
	$(V)$(PYTHON) bench/linux/test_nvmebench.py
	$(V)$(PYTHON) bench/linux/test_l2fwdbench.py

TEST_TARGETS += bench-linux-check

.PHONY: bench-linux bench-linux-check

# `make bench-linux-nvme`: the Linux side of issue 12's NVMe figure.  bench/os/linux_nvme.c
# in an initramfs with the nvme driver's modules (from the guest kernel's /lib/modules, in
# dependency order, nvme with poll_queues=1 so that io_uring's IOPOLL has a polled queue),
# booted with the NVMe controller bench-nvme gives ExoLab on an image of its own; the table
# puts ExoLab's `make bench-nvme` figures next to it (bench/linux/README.md, "bench-linux-nvme").
BLN_BENCH := $(BL_OBJ)/nvmebench
BLN_INITRD := $(BL_OBJ)/nvme-initramfs.cpio
BLN_IMAGE := $(BL_OBJ)/nvme.img
# modules.dep of Debian's 6.1: nvme needs nvme-core, which needs t10-pi and its CRCs.
BLN_MODULES := crypto/crct10dif_common lib/crc-t10dif lib/crc64 lib/crc64-rocksoft \
	block/t10-pi drivers/nvme/host/nvme-core

$(BLN_BENCH): bench/os/linux_nvme.c bench/os/linux_uring.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) -static -O2 -g -std=gnu11 $(WARN) -o $@ bench/os/linux_nvme.c

$(BLN_INITRD): bench/linux/mkinitramfs.py $(BLN_BENCH) $(BL_DEPS_STAMP)
	$(V)d=/lib/modules/$$(basename $(LINUX_KERNEL) | sed 's/^vmlinuz-//')/kernel && \
	$(PYTHON) bench/linux/mkinitramfs.py --busybox $(BUSYBOX) --bench $(BLN_BENCH) \
		--name nvmebench $(foreach m,$(BLN_MODULES),--module $$d/$(m).ko) \
		--module "$$d/drivers/nvme/host/nvme.ko poll_queues=1" -o $@

$(BLN_IMAGE):
	@mkdir -p $(@D)
	$(V)$(PYTHON) -c "open('$@', 'wb').write(bytes(4 << 20))"

bench-linux-nvme: $(ISO) $(BLN_INITRD) $(BLN_IMAGE) ## Linux's instructions per 4 KiB NVMe read (pread, io_uring) vs ExoLab's
	$(V)$(MAKE) --no-print-directory bench-nvme > $(BL_OBJ)/exolab-nvme.txt || \
		{ cat $(BL_OBJ)/exolab-nvme.txt; exit 1; }
	$(V)$(PYTHON) bench/linux/nvmebench.py --kernel "$(LINUX_KERNEL)" --initrd $(BLN_INITRD) \
		--image $(BLN_IMAGE) --exolab-log $(BL_OBJ)/exolab-nvme.txt \
		--save $(BL_OBJ)/linux-nvme.serial

.PHONY: bench-linux-nvme

# `make bench-linux-l2fwd`: the Linux side of issue 15's forwarding figure.
# bench/os/linux_l2fwd.c (an AF_PACKET forwarder on an isolated CPU 1 and a generator on CPU 0)
# in an initramfs with e1000.ko, on bench-fastpath's four e1000s.  Linux does not start its
# second CPU under -icount, so the vCPUs run round-robin (-accel tcg,thread=single) and the
# l2count plugin counts instructions; the table puts `make bench-fastpath`'s owned and shared
# rows next to it (bench/linux/README.md, "bench-linux-l2fwd").  Minutes: not in `make test`.
BLF_BENCH := $(BL_OBJ)/l2fwdbench
BLF_INITRD := $(BL_OBJ)/l2fwd-initramfs.cpio
BLF_PLUGIN := $(BL_OBJ)/l2count.so

$(BLF_BENCH): bench/os/linux_l2fwd.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(CC) -static -no-pie -O2 -g -std=gnu11 $(WARN) -o $@ bench/os/linux_l2fwd.c

# No sanitizers: the plugin is loaded into QEMU.
$(BLF_PLUGIN): bench/linux/l2count.c bench/ipi/plugin_api.h
	@mkdir -p $(@D)
	$(V)$(HOSTCC) -std=gnu11 -O2 $(WARN) -shared -fPIC -o $@ $<

$(BLF_INITRD): bench/linux/mkinitramfs.py $(BLF_BENCH) $(BL_DEPS_STAMP)
	$(V)d=/lib/modules/$$(basename $(LINUX_KERNEL) | sed 's/^vmlinuz-//')/kernel && \
	$(PYTHON) bench/linux/mkinitramfs.py --busybox $(BUSYBOX) --bench $(BLF_BENCH) \
		--name l2fwdbench \
		--module "$$d/drivers/net/ethernet/intel/e1000/e1000.ko InterruptThrottleRate=0,0,0,0" -o $@

bench-linux-l2fwd: $(ISO) $(BLF_INITRD) $(BLF_PLUGIN) ## Linux AF_PACKET forwarding vs ExoLab's l2fwd: insn/frame, latency, irqs
	$(V)$(MAKE) --no-print-directory bench-fastpath > $(BL_OBJ)/exolab-l2fwd.txt || \
		{ cat $(BL_OBJ)/exolab-l2fwd.txt; exit 1; }
	$(V)$(PYTHON) bench/linux/l2fwdbench.py --kernel "$(LINUX_KERNEL)" --initrd $(BLF_INITRD) \
		--binary $(BLF_BENCH) --plugin $(BLF_PLUGIN) --exolab-log $(BL_OBJ)/exolab-l2fwd.txt \
		--save $(BL_OBJ)/linux-l2fwd.serial

.PHONY: bench-linux-l2fwd
