"""Lab 4 part C grader, the blocking wait and exit notifications (issue 11 items 2-3):
env_notify (kern/env/knotify.c), the LibOS's wait (lib/user/child.c) and the pipe ends of a
killed child given back (user/waittest.c).  Not a grader of its own (no grade/labN.py name):
grade/lab4c.py calls add_tests with its names, and the tests join lab 4C's."""

import re

WAITTEST_TAGS = ["bad", "notify", "wait", "block", "eof", "console"]

# The console check: waittest's looker says when the reader has been watched blocking; the
# grader types a line then (serial input, which interrupts: kern/dev/consirq.c).  A waittest
# whose looker never comes (no fork: lab 4C's handout before duppage) ends first, and the
# line then goes to nobody that minds, instead of the run waiting out its timeout.
TYPE_STEP = (r"^(?:waittest\[looker\]: typing welcome|init: end waittest)$", "abc")

# The kernel's line for an env killed by a page fault (kern/env/fault.c).
FAULT_LINE = r"^\[env 0x[0-9a-f]+\] page fault va 0x[0-9a-f]+ ip 0x[0-9a-f]+ \((\w+), ([\w ]+)\)$"


def add_tests(LAB, lab3):
    """Declares the tests on LAB (grade/lab4c.py's), with grade/lab3.py's helpers."""
    names = ["waittest", "hello"]

    def check_waittest(run):
        """Every check OK; exactly two page-fault kills (the bare env and the faulting
        child); no yield-polling wait (the block check); nothing leaked."""
        text = lab3.section(run, "waittest") or ""
        lab3.check_lines(run, "waittest", text, WAITTEST_TAGS)
        faults = re.findall(FAULT_LINE, text, re.M)
        if [a for a, _ in faults] != ["exec", "write"]:
            run.fail("page-fault kills %s, expected an exec then a write"
                     % faults, "kills")
        run.reject(r"panic at", part="kills", text=text)
        run.expect(r"^waittest: 0 checks failed$", part="kills", text=text, count=1)
        lab3.check_leaks(run, "waittest", "leak")

    for cpus in (1, 4):
        LAB.test("waittest" if cpus == 1 else "waittest-smp%d" % cpus,
                 parts={"bad": 3, "notify": 4, "wait": 3, "block": 3, "eof": 4, "console": 3,
                        "kills": 2, "leak": 3},
                 smp=cpus, args=lab3.boot_args(names), steps=[TYPE_STEP],
                 until=[lab3.done_pattern(names)], reject=lab3.KERNEL_DIED,
                 timeout=90 * cpus)(check_waittest)
