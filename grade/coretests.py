#!/usr/bin/env python3
"""Core capability grader (issue 15 item 1), run by `make test-core` and `make test`.
user/coretest.c runs as init on four CPUs and prints one `coretest: TAG: what = got OK|FAIL`
line per check: bad arguments refused; CPU 2 claimed for a child that spins in user mode
polling a counter while three busy children load CPUs 1 and 3; CPU 2's interrupt counters
(core_stat: timer, device, IPI, other) stay 0 for that window while the unowned CPUs' timers
tick; an MSI bind aimed at CPU 2 refused; revoking the capability the claim came from stops
the child at once (the kernel's `core: cpu 2 taken from env ...` line) and CPU 2 runs a
pinned env again; a claim by the caller for itself moves it to CPU 3 and a release brings it
back."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("core", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

TAGS = ["args", "own", "quiet", "ticks", "msi", "revoke", "release"]


def coretest(policy):
    """rr: the owner alone on its CPU would be tickless anyway; edf gives every env a budget
    timer (10 ms every 100 ms), which an owned core must not arm."""
    @LAB.test("coretest-smp4-%s" % policy, parts=dict(dict.fromkeys(TAGS, 2), stopline=1,
                                                      count=1),
              smp=4, args="init=coretest sched=%s" % policy, until=[r"^coretest: done$"],
              reject=lab3.KERNEL_DIED, timeout=240)
    def check(run):
        """Every check of user/coretest.c passes, the kernel says why it stopped the owner."""
        run.reject(r"^coretest: .* FAIL$")
        lab3.score_check_calls(run, "coretest", TAGS)
        run.expect(r"^core: cpu 2 taken from env 0x[0-9a-f]+: its capability is gone$",
                   part="stopline")
        run.expect(r"^coretest: 4 core capabilities$", part="count")
    return check


coretest("rr")
coretest("edf")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
