#!/usr/bin/env python3
"""Lifetimes grader (issue 17 defects 1-3), run by `make test-lifetimes` and `make test`.

Boots `tests=lifetest,pthog leakcheck` on 1 and 2 CPUs.  user/lifetest.c prints one
`lifetest: TAG: ... OK|FAIL` line per check: the audit's reproductions of envs that outlived
everyone who could stop them (exit, blocked, fill, spin), of a revoke that left mappings
behind (revoke: frames; region: a region mapped through a derived copy, whose holder's next
read must end in the kernel's page-fault line; on 2 CPUs the children may run on the other
CPU, so the unmapping needs its shootdown) and what spawn charges (spawn, tight).  user/pthog.c is the hostile env of defect 2: with a small quota it maps one frame
at many distant addresses (pt).  After each program the kernel's leak-check line must equal
the one before the first (grade/lab3.py's helpers), and once init is done the machine must go
idle: a spinner left behind by its parent would keep it busy for ever."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("lifetimes", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

TAGS = ["exit", "blocked", "fill", "spin", "revoke", "region", "spawn", "tight"]
# The region scenario's child reads its revoked mapping (user/lifetest.c KID_VA): the kernel's
# page-fault line for it, once, is the clean end the revoke must give (no stale data).
REGION_FAULT = r"^\[env 0x[0-9a-f]+\] page fault va 0x31400000 ip 0x[0-9a-f]+ \(read, "
PT_TAGS = ["pt"]
PROGS = ["lifetest", "pthog"]
IDLE = r"^env: no runnable environment$"


def lifetimes_test(cpus):
    parts = dict.fromkeys(TAGS + PT_TAGS, 2)
    parts.update({"leak": 3, "pt-leak": 2, "idle": 2})

    @LAB.test("lifetest-smp%d" % cpus, parts=parts, smp=cpus, args=lab3.boot_args(PROGS),
              until=[lab3.done_pattern(PROGS), IDLE], reject=lab3.KERNEL_DIED,
              timeout=150 * cpus)
    def check(run):
        lab3.score_check_calls(run, "lifetest", TAGS)
        run.expect(REGION_FAULT, part="region", count=1)
        lab3.check_leaks(run, "lifetest", "leak")
        lab3.score_check_calls(run, "pthog", PT_TAGS)
        lab3.check_leaks(run, "pthog", "pt-leak")
        run.expect(IDLE, part="idle", count=1)

    return check


for n in (1, 2):
    lifetimes_test(n)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
