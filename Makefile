# ExoLab top-level Makefile.  Each subsystem adds its rules in its own Makefrag;
# `make help` lists every target (a target is documented by a `## text` comment).

.DEFAULT_GOAL := all
SHELL := /bin/bash

# Build output; a second tree (e.g. OBJ=obj/clang CC=clang) can sit beside the first.
OBJ ?= obj
CC := $(if $(filter default,$(origin CC)),gcc,$(CC))
HOSTCC ?= $(CC)
LD := ld
OBJCOPY := objcopy
NM := nm
PYTHON ?= python3
V ?= @

# Warnings are errors everywhere.
WARN := -Wall -Wextra -Werror -Wno-unused-parameter

# Host builds of portable code run under AddressSanitizer and UBSan.
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
HOST_CFLAGS := -std=gnu11 -O1 -g $(WARN) $(SANFLAGS) -Ikern/include -Ilib/include

# Check the host's packages before anything that needs them (hw/host/deps.sh: Debian 12,
# Ubuntu 22.04/24.04).  Missing ones are installed when that needs no password (root, or
# sudo -n) unless NODEPS=1; otherwise the check prints the apt-get line and the targets that
# need each package, and the build goes on (a target that needs one fails on its own).
# While some are missing, each top-level make re-checks them and says so in one line.
DEPS_STAMP := $(OBJ)/.deps-ok
DEPS_MISSING := $(OBJ)/.deps-missing
export NODEPS
$(DEPS_STAMP): hw/host/deps.sh
	$(V)mkdir -p $(@D)
	$(V)DEPS_MISSING_FILE=$(DEPS_MISSING) hw/host/deps.sh --missing
	$(V)touch $@

ifeq ($(MAKELEVEL)$(wildcard $(DEPS_MISSING)),0$(DEPS_MISSING))
DEPS_STILL := $(strip $(shell NODEPS=1 DEPS_MISSING_FILE=$(DEPS_MISSING) hw/host/deps.sh --missing \
	2>/dev/null; cat $(DEPS_MISSING) 2>/dev/null))
ifneq ($(DEPS_STILL),)
$(info deps: still missing: $(DEPS_STILL) (sudo apt-get install $(DEPS_STILL); hw/host/deps.sh --missing says which target needs which))
endif
endif

deps: ## install every package ExoLab needs (apt-get; Debian 12, Ubuntu 22.04/24.04)
	hw/host/deps.sh
	$(V)mkdir -p $(OBJ) && touch $(DEPS_STAMP) && rm -f $(DEPS_MISSING)

# hw/host/deps.sh on faked machines (grade/tests/test_deps.py, about 80 s): Debian/Ubuntu
# names, no root, NODEPS=1, and `make qemu` booting to the prompt without graphviz or root.
deps-selftest: iso ## test the package check on faked machines (no root needed)
	$(V)$(PYTHON) grade/tests/test_deps.py
TEST_TARGETS += deps-selftest

include kern/Makefrag
include lib/Makefrag
include $(wildcard user/Makefrag)
include $(wildcard sim/Makefrag)
include $(wildcard grade/Makefrag)
include $(wildcard grade/unit/*.mk)
include $(wildcard bench/Makefrag)
include $(wildcard labs/Makefrag)
include $(wildcard docs/Makefrag)
include $(wildcard hw/*/Makefrag)

all: $(DEPS_STAMP) iso ## build the kernel and the bootable ISO (the default)

# Formatting: every tracked C file matches .clang-format.  Layouts differ between clang-format
# releases, so the check names the one it was made with (Debian 12's) and refuses another.
# Ubuntu 24.04's clang-format is 18: there hw/host/deps.sh installs clang-format-14, used first.
CLANG_FORMAT ?= $(firstword $(shell command -v clang-format-14 2>/dev/null) clang-format)
FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
TEST_TARGETS += format-check

format-check: $(DEPS_STAMP) ## check that every tracked C file matches .clang-format
	$(V)v=$$($(CLANG_FORMAT) --version | sed -nE 's/.*version ([0-9]+).*/\1/p'); \
	if [ "$$v" != 14 ]; then \
		echo "format-check: $(CLANG_FORMAT) is version '$$v'; the layout is defined by 14 (Debian 12)"; \
		exit 1; \
	fi; \
	bad=$$($(CLANG_FORMAT) --style=file --dry-run $(FORMAT_FILES) 2>&1 | \
	       sed -nE 's/^([^:]+):[0-9]+:[0-9]+: (warning|error): code should be clang-formatted.*/\1/p' | sort -u); \
	if [ -n "$$bad" ]; then \
		echo "format-check: these files do not match .clang-format (make format rewrites them):"; \
		printf '  %s\n' $$bad; exit 1; \
	fi; \
	echo "format-check: $(words $(FORMAT_FILES)) files match .clang-format"

format: $(DEPS_STAMP) ## rewrite every tracked C file to match .clang-format
	$(V)$(CLANG_FORMAT) --style=file -i $(FORMAT_FILES)

clean: ## remove every build product
	rm -rf obj compile_commands.json .gdbinit

help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_.%-]+:.*## ' $(MAKEFILE_LIST) | sort -u | \
	  awk 'BEGIN {FS = ":.*## "} {sub("%", "N", $$1); printf "  %-16s %s\n", $$1, $$2}'

.PHONY: all clean help deps deps-selftest format format-check
.DELETE_ON_ERROR:
