"""Lab 4 part C grader, the blocking wait and exit notifications (issue 11 items 2-3):
env_notify (kern/env/knotify.c), the LibOS's wait (lib/user/child.c) and the pipe ends of a
killed child given back (user/waittest.c).  Not a grader of its own (no grade/labN.py name):
grade/lab4c.py calls add_tests with its names, and the tests join lab 4C's."""

import re

WAITTEST_TAGS = ["bad", "notify", "wait", "block", "eof"]

# The kernel's line for an env killed by a page fault (kern/env/fault.c).
FAULT_LINE = r"^\[env 0x[0-9a-f]+\] page fault va 0x[0-9a-f]+ ip 0x[0-9a-f]+ \((\w+), ([\w ]+)\)$"


def add_tests(g):
    """Declares the tests with g's lab4c_test and lab3 (g: grade/lab4c.py's globals())."""
    lab4c_test, lab3 = g["lab4c_test"], g["lab3"]

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
        lab4c_test("waittest", {"bad": 3, "notify": 4, "wait": 3, "block": 3, "eof": 4,
                                "kills": 2, "leak": 3}, cpus, 90 * cpus)(check_waittest)
