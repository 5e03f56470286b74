# Host tests of the NVMe write protection (issue 16 item 5: lib/drivers/nvme/wprotect.c,
# gpt.c, wpload.c; Criterion, ASan + UBSan), appended to UNIT_TESTS: the policy, the GPT and
# MBR parsers over in-memory disks (grade/unit/nvmewp/wpdisk.c) with a seeded fuzz of the
# header, and the driver against the controller model (nvme.mk's objects).  Not lab 5's
# tests: the protection is given code; the handouts before lab 6 stub the driver it rides on.
NVMEWP_DIR := $(OBJ)/grade/unit/nvmewp
NVMEWP_NAMES := policy gpt header driver
NVMEWP_BINS := $(addprefix $(NVMEWP_DIR)/test_,$(NVMEWP_NAMES))
NVMEWP_INC := $(NVMETEST_INC) -Igrade/unit/nvmewp
NVMEWP_HDRS = $(NVMETEST_HDRS) $(wildcard grade/unit/nvmewp/*.h)

ifeq ($(filter 1 2 3 4 4b 4c 5,$(strip $(file < .exolab-lab))),)
UNIT_TESTS += $(NVMEWP_BINS)
endif

$(NVMEWP_DIR)/obj/%.o: %.c $(NVMEWP_HDRS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(V)$(HOSTCC) $(HOST_CFLAGS) $(NVMEWP_INC) -c -o $@ $<

$(NVMEWP_DIR)/test_%: $(NVMEWP_DIR)/obj/grade/unit/nvmewp/test_wp_%.o \
		$(NVMEWP_DIR)/obj/grade/unit/nvmewp/wpdisk.o $(NVMETEST_LIBOBJS)
	$(V)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ -lcriterion

.PRECIOUS: $(NVMEWP_DIR)/obj/%.o

unit-nvmewp: $(NVMEWP_BINS) ## build and run the NVMe write protection's host tests
	$(V)set -e; for t in $(NVMEWP_BINS); do $$t $(UNITFLAGS); done

.PHONY: unit-nvmewp
