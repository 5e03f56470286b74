#!/usr/bin/env python3
"""IPC grader (issue 11 items 1-2: endpoints and notifications, and the fast path), run by
`make test-ipc` and `make test`.  Each test boots `tests=ipctest,badsyscall leakcheck` on 1, 2 and 4 CPUs:
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


def check_ipctest(run, cpus, tags):
    """ipctest's checks of the given tags (partial credit per tag), its cross-CPU ping-pong
    under "pingpong" on several CPUs, and no leak after it (part "leak").  Lab 4C grades a
    subset with it (grade/ipctests.py)."""
    text = lab3.section(run, "ipctest") or ""
    lab3.check_lines(run, "ipctest", text, tags)
    if cpus > 1 and "pingpong" in tags:
        run.expect(r"^ipctest\[A\]: smp: .* OK$", part="pingpong", text=text, count=1)
    lab3.check_leaks(run, "ipctest", "leak")


def ipc_test(cpus):
    parts = dict.fromkeys(TAGS, 2)
    parts.update({"ipc-cases": 4, "leak": 3})

    @LAB.test("ipctest-smp%d" % cpus, parts=parts, smp=cpus, args=lab3.boot_args(PROGS),
              until=[lab3.done_pattern(PROGS)], reject=lab3.KERNEL_DIED, timeout=120 * cpus)
    def check(run):
        check_ipctest(run, cpus, TAGS)
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


# The fast path (issue 11 item 1; docs/smp.md, "IPC fast path"): benchipc's call +
# reply_recv pair on one CPU, and the kernel's count of direct switches per CPU (the end-of-run
# summary).  Each of the 1000 round trips is two direct switches when the rule allows them;
# none may happen while the yielder of tests=queuedN waits on the CPU and the policy would
# run it first (rr: anything queued; prio: a queued env at least as urgent as the partner).
FAST_MIN = 1990  # 2 x 1000 less the set-up's first calls, which find no receiver waiting


def fastpath_test(name, sched, tests, fast, cpus=1):
    args = "init=benchipc sched=%s%s" % (sched, " tests=" + tests if tests else "")

    @LAB.test("fastpath-" + name, parts={"fastpath": 2}, smp=cpus, args=args,
              until=[r"^ipc: direct switches.*$"], reject=lab3.KERNEL_DIED, timeout=120 * cpus)
    def check(run):
        run.expect(r"^BENCH ipc_call_roundtrip \d+ instructions$", part="fastpath")
        m = re.search(r"^ipc: direct switches((?: cpu\d+ \d+)+)$", run.text, re.M)
        if not m:
            run.fail("no count of direct switches", part="fastpath")
            return
        n = sum(int(x) for x in re.findall(r"cpu\d+ (\d+)", m.group(1)))
        if fast is True and n < FAST_MIN:
            run.fail("%d direct switches, want >= %d" % (n, FAST_MIN), part="fastpath")
        elif fast is False and n != 0:
            run.fail("%d direct switches past a queued env the policy runs first" % n,
                     part="fastpath")

    return check


fastpath_test("rr", "rr", "", True)
fastpath_test("prio", "prio", "", True)
fastpath_test("rr-queued", "rr", "queued32", False)
fastpath_test("prio-queued-equal", "prio", "queued32", False)
fastpath_test("prio-queued-less-urgent", "prio", "queued40", True)
fastpath_test("edf", "edf", "", True)
fastpath_test("smp2", "rr", "", None, cpus=2)  # either path, whichever CPUs they get


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
