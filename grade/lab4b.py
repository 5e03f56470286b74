#!/usr/bin/env python3
"""Lab 4 part B grader: the kernel schedules its environments through kern/sched.

The kernel scheduling tests (this block) boot `init=schedtest tests=MODE sched=POLICY`:
user/schedtest.c runs as the first env and prints one `schedtest: TAG: ... OK|FAIL` line per
check.  The stride and edf tests run QEMU with `-icount shift=0,sleep=off`, so the TSC counts
instructions and every run repeats exactly; their windows and tolerances are in schedtest.c
(stride: each share within 20 per mille of 1:2:3, where the reference run is within 4)."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

ROOT = gradelib.ROOT

KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"]
LAB = gradelib.Lab("lab4b", fail_fast=KERNEL_DIED + [r"^env: cannot start init"])
ICOUNT = ["-icount", "shift=0,sleep=off"]
SCHEDTEST_END = r"^schedtest: \d+ of \d+ checks failed$"


def check_schedtest(run, want):
    """Partial credit per tag: OK lines over how many checks of that tag the mode prints
    (`want`, {tag: count}), and the program's own summary line."""
    for tag, n in want.items():
        ok = len(re.findall(r"^schedtest: %s: .* OK$" % tag, run.text, re.M))
        for msg in re.findall(r"^schedtest: (%s: .*) FAIL$" % tag, run.text, re.M)[:3]:
            run.notes.append("FAIL " + msg)
        run.fraction(tag, min(ok, n), n, "%s checks passed" % tag)
    run.expect(r"^schedtest: 0 of %d checks failed$" % sum(want.values()),
               part=list(want)[-1])


@LAB.test("ksched-stride-shares-follow-tickets",
          parts={"policy": 1, "setup": 1, "share": 6},
          args="init=schedtest tests=stride sched=stride", qemu_args=ICOUNT,
          until=[SCHEDTEST_END], reject=KERNEL_DIED, timeout=120)
def ksched_stride(run):
    """Three spinning envs with 100, 200 and 300 tickets share the CPU 1:2:3."""
    run.expect(r"^sched: policy stride on 1 CPU$", part="policy")
    # The parent's own parameters, then each of the three workers'.
    check_schedtest(run, {"setup": 4, "share": 3})


@LAB.test("ksched-edf-meets-every-deadline",
          parts={"policy": 1, "setup": 1, "deadline": 6},
          args="init=schedtest tests=edf sched=edf", qemu_args=ICOUNT,
          until=[SCHEDTEST_END], reject=KERNEL_DIED, timeout=120)
def ksched_edf(run):
    """Three periodic envs (U = 0.6 reserved), released by their parent and blocking at the
    end of each job, finish every job by its deadline."""
    run.expect(r"^sched: policy edf on 1 CPU$", part="policy")
    check_schedtest(run, {"setup": 4, "deadline": 3})


@LAB.test("ksched-set-accepts-valid-parameters",
          parts={"set": 4},
          args="init=schedtest tests=set,edf sched=edf", until=[SCHEDTEST_END],
          reject=KERNEL_DIED, timeout=60)
def ksched_set(run):
    check_schedtest(run, {"set": 4})


def badsyscall_cases(call):
    with open(os.path.join(ROOT, "user", "badsyscall.c")) as f:
        return len(re.findall(r"^\s*check\(SYS_%s," % call, f.read(), re.M))


def sched_validation_test(policy):
    @LAB.test("ksched-env-set-sched-validates-under-%s" % policy, parts={"cases": 4},
              args="tests=badsyscall sched=%s" % policy,
              until=[r"^init: all 1 tests done$"], reject=KERNEL_DIED, timeout=60)
    def check(run):
        """Every bad env_set_sched case of user/badsyscall.c returns its error."""
        line = r"^badsyscall: env_set_sched\(.*\) = -?\d+ ?(E_\w+)? (OK|FAIL)"
        results = [m.group(2) for m in re.finditer(line, run.text, re.M)]
        for bad in re.findall(r"^badsyscall: (env_set_sched.*) FAIL.*$", run.text, re.M)[:3]:
            run.notes.append("FAIL " + bad)
        want = badsyscall_cases("env_set_sched")
        run.fraction("cases", min(results.count("OK"), want), want, "cases returned the error")
    return check


for _policy in ("rr", "stride", "edf"):
    sched_validation_test(_policy)


@LAB.test("ksched-unknown-policy-falls-back-to-rr", parts={"message": 2, "default": 2},
          args="tests=hello sched=bogus", until=[r"^init: all 1 tests done$"],
          reject=KERNEL_DIED, timeout=30)
def ksched_bogus(run):
    run.expect(r"^sched: unknown policy 'bogus' \(known: rr prio mlfq stride edf\); "
               r"using rr$", part="message")
    run.expect(r"^sched: policy rr on 1 CPU$", part="default")
    run.expect(r"^hello, world$", part="default")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
