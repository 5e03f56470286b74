#!/usr/bin/env python3
"""IPC grader (issue 11 items 1-2: endpoints and notifications), run by `make test-ipc` and
`make test`.  Each test boots `tests=ipctest,badsyscall leakcheck` on 1, 2 and 4 CPUs:
user/ipctest.c prints one `ipctest[ROLE]: TAG: ... OK|FAIL` line per check (tags below) and
badsyscall one line per refused argument; the leak-check line after each program must equal
the one before the first, as in lab 3 (grade/lab3.py's helpers do the matching)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("ipc", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

TAGS = ["alloc", "nonblock", "notify", "pingpong", "grant", "send", "reply", "destroy", "revoke"]
PROGS = ["ipctest", "badsyscall"]


def ipc_test(cpus):
    parts = dict.fromkeys(TAGS, 2)
    parts.update({"ipc-cases": 4, "leak": 3})

    @LAB.test("ipctest-smp%d" % cpus, parts=parts, smp=cpus, args=lab3.boot_args(PROGS),
              until=[lab3.done_pattern(PROGS)], reject=lab3.KERNEL_DIED, timeout=120 * cpus)
    def check(run):
        text = lab3.section(run, "ipctest") or ""
        lab3.check_lines(run, "ipctest", text, TAGS)
        if cpus > 1:
            run.expect(r"^ipctest\[A\]: smp: .* OK$", part="pingpong", text=text, count=1)
        lab3.check_leaks(run, "ipctest", "leak")
        lab3.check_leaks(run, "badsyscall", "leak")
        bad = lab3.section(run, "badsyscall") or ""
        calls = r"(?:endpoint_alloc|notify_alloc|ipc_\w+|notify_\w+)"
        ok = len(re.findall(r"^badsyscall: %s\(.*\) = .* OK$" % calls, bad, re.M))
        with open(os.path.join(gradelib.ROOT, "user", "badsyscall.c")) as f:
            want = len(re.findall(r"^\s*check\(SYS_(?:endpoint_alloc|notify_alloc|ipc_|notify_)",
                                  f.read(), re.M))
        run.fraction("ipc-cases", min(ok, want), want, "IPC argument cases returned the error")

    return check


for n in (1, 2, 4):
    ipc_test(n)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
