"""Lab 4 part C grader, the IPC tests (issue 11 item 6): user/ipctest.c on 2 and 4 CPUs,
graded by grade/ipc.py's check_ipctest (the checks `make test-ipc` runs) for the behaviours
the lab asks for: ping-pong across CPUs, a capability sent with and without GRANT, the badge
the receiver sees, waiters released when their endpoint's env is destroyed or its capability
revoked, and no leak afterwards.  Not a grader of its own (no grade/labN.py name):
grade/lab4c.py calls add_tests with its lab and its lab3 module, and the tests join lab 4C's.  The kernel's IPC
is given in lab 4C (the exercise is the pipe), so these pass in the handout too."""

import importlib.util
import os
import re

# ipctest's tags graded here: "pingpong" holds the payload and badge checks (and, on several
# CPUs, the cross-CPU ping-pong), "grant" the capability sent with and without GRANT.
TAGS = ["pingpong", "grant", "destroy", "revoke"]
BADGE = r"^ipctest\[A\]: pingpong: echo saw the badge of the capability each call used OK$"


def load_ipc():
    """grade/ipc.py as a module (its own tests register on its own lab, never run here)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ipc.py")
    spec = importlib.util.spec_from_file_location("ipc", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def add_tests(lab, lab3):
    """Declares the tests on `lab` (lab 4C's gradelib.Lab), with grade/lab3.py's helpers."""
    ipc, progs = load_ipc(), ["ipctest"]
    missing = [t for t in TAGS if t not in ipc.TAGS]
    if missing:
        raise SystemExit("grade/ipctests.py: tags %s are not ipctest's" % missing)

    def ipc_test(cpus):
        parts = dict.fromkeys(TAGS, 2)
        parts.update({"badge": 1, "leak": 2})

        @lab.test("ipc-smp%d" % cpus, parts=parts, smp=cpus, args=lab3.boot_args(progs),
                    until=[lab3.done_pattern(progs)], reject=lab3.KERNEL_DIED,
                    timeout=120 * cpus)
        def check(run):
            ipc.check_ipctest(run, cpus, TAGS)
            text = lab3.section(run, "ipctest") or ""
            if not re.search(BADGE, text, re.M):
                run.fail("the server did not see the badge of each call's capability", "badge")

        return check

    for cpus in (2, 4):
        ipc_test(cpus)
