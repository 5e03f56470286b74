#!/usr/bin/env python3
"""Lab 4 part C grader (the LibOS: copy-on-write fork, the heap, wait).

Every test boots with `tests=<program> leakcheck` as lab 3's do (grade/lab3.py: init runs
the program, then asks for a leak-check line that must equal the one before it started),
once on 1 CPU and once on 4 (`-smp4`).  The programs print one `PROG: TAG: what OK|FAIL`
line per check; how many each tag should have is read from the program's source."""

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

LAB = gradelib.Lab("lab4c", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])
FAULT = lab3.FAULT
DEPTH = 3
NAMES = [""] + ["".join(bits) for n in range(1, DEPTH + 1)
                for bits in __import__("itertools").product("01", repeat=n)]


def lab4c_test(prog, parts, cpus, timeout):
    names = [prog, "hello"]
    return LAB.test("%s%s" % (prog, "" if cpus == 1 else "-smp%d" % cpus), parts=parts,
                    smp=cpus, args=lab3.boot_args(names), until=[lab3.done_pattern(names)],
                    reject=lab3.KERNEL_DIED, timeout=timeout)


def check_forktree(run):
    """Every name of the tree exactly once, from as many different envs, then the root's
    last line; the whole tree gone before init's leak check."""
    text = lab3.section(run, "forktree") or ""
    seen = re.findall(r"^forktree: ([0-9a-f]{4}): I am '([01]*)'$", text, re.M)
    names = [n for _, n in seen]
    missing = [n for n in NAMES if names.count(n) == 0]
    extra = [n for n in set(names) if names.count(n) != 1 or n not in NAMES]
    if missing:
        run.fail("no line from %s" % ", ".join("'%s'" % n for n in missing[:5]), "tree")
    if extra:
        run.fail("wrong or repeated names: %s" % ", ".join("'%s'" % n for n in extra[:5]),
                 "tree")
    if len(set(e for e, _ in seen)) != len(seen):
        run.fail("two names came from the same env", "ids")
    run.expect(r"^forktree: the whole tree is done$", part="done", text=text, count=1)
    run.reject(r"panic at", part="done", text=text)
    lab3.check_leaks(run, "forktree", "leak")


for _cpus in (1, 4):
    lab4c_test("forktree", {"tree": 6, "ids": 2, "done": 2, "leak": 3}, _cpus,
               60 * _cpus)(check_forktree)

if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
