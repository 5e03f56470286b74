#!/usr/bin/env python3
"""The undefined-behaviour-checking kernel (issue 17 item 9): run against the ISO that
`make kernel-ubsan` builds (OBJ=obj/ubsan: -fsanitize=undefined and the stack protector,
kern/debug), as `make test-ubsan` does:

- the runtimes work: test=ubsan makes four kinds of undefined behaviour, each reported once
  (`ubsan: WHAT at FILE:LINE:COL`) with a backtrace, and the kernel goes on; test=stackprot
  overwrites a stack guard, and the function's return panics;
- the kernel has none of its own: lab 3's programs (grade/lab3.py's all-in-one boot) and
  user/reltest run without a single `ubsan:` line or a stack-protector panic."""

import importlib.util
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    "lab3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab3.py"))
lab3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lab3)

UB = r"^ubsan: .*$"
DIED = lab3.KERNEL_DIED + [r"^env: cannot start init"]
LAB = gradelib.Lab("ubsan")  # each test says what ends it early: one of them must panic
FAIL_FAST = DIED + [gradelib.LOCKCHECK_REPORT]
REPORTS = ["arithmetic overflow", "shift out of bounds", "misaligned address",
           "index out of bounds"]


@LAB.test("ubsan-reports-and-goes-on", parts={"instrumented": 1, "reports": 4, "on": 1},
          args="test=ubsan", until=[r"^ktest-ubsan: done$"], reject=DIED,
          fail_fast=FAIL_FAST, timeout=60)
def ubsan_selftest(run):
    run.reject(r"^ktest-ubsan: this kernel is not instrumented", part="instrumented")
    for what in REPORTS:
        run.expect(r"^ubsan: %s at kern/test/sanitize\.c:\d+:\d+$" % what, part="reports",
                   count=1)
    run.expect(r"^ubsan: [\s\S]*^  rbp [0-9a-f]{16} rip ", part="reports")
    run.expect(r"^ktest-ubsan: done$", part="on")


@LAB.test("stack-protector-panics", parts={"panic": 2}, args="test=stackprot",
          until=[r"^panic: "], timeout=60)
def stackprot_selftest(run):
    run.expect(r"^panic: kern/debug/stackprot\.c:\d+: stack protector: the stack guard of "
               r"the function at 0x[0-9a-f]+ was overwritten$", part="panic")
    run.reject(r"^ktest-stackprot: the overwritten guard went unnoticed$", part="panic")


@LAB.test("lab3-programs-clean", parts={"ran": 2, "clean": 3},
          args=lab3.boot_args(lab3.ALL), until=[lab3.done_pattern(lab3.ALL)],
          reject=DIED + [UB], fail_fast=FAIL_FAST, timeout=120)
def lab3_clean(run):
    ends = re.findall(r"^init: end (\w+)$", run.text, re.M)
    run.fraction("ran", sum(1 for a, b in zip(lab3.ALL, ends) if a == b), len(lab3.ALL))
    run.reject(UB, part="clean")


@LAB.test("reltest-clean", parts={"ran": 1, "clean": 1}, args="init=reltest", smp=2,
          until=[r"^reltest: \d+ of \d+ checks failed$"], reject=DIED + [UB],
          fail_fast=FAIL_FAST, timeout=120)
def reltest_clean(run):
    run.expect(r"^reltest: 0 of \d+ checks failed$", part="ran")
    run.reject(UB, part="clean")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
