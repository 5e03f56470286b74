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
import ipctests  # noqa: E402
import shelltests  # noqa: E402
import waittests  # noqa: E402

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

COWTEST_TAGS = ["setup", "iso", "count", "heap", "wait", "zero", "kill"]


def check_cowtest(run):
    """Every isolation and count check OK in parent and child; the two doomed children end
    with the kernel's page-fault line for the address they announced (a write to read-only
    data: protection; a read of an unmapped page: not present), the parent never does."""
    text = lab3.section(run, "cowtest") or ""
    lab3.check_lines(run, "cowtest", text, COWTEST_TAGS)
    told = [(int(m.group(2), 16), m.group(1)) for m in re.finditer(
        r"^cowtest\[doomed\]: (write|read) 0x([0-9a-f]+) ", text, re.M)]
    faults = FAULT.findall(text)
    want = [("write", "protection"), ("read", "not present")]
    if len(told) != 2 or len(faults) != 2:
        run.fail("%d doomed children spoke and %d page-fault lines came, expected 2 and 2"
                 % (len(told), len(faults)), "kernel-line")
    for (env, va, ip, access, kind), (addr, how), exp in zip(faults, told, want):
        if int(va, 16) != addr or (access, kind) != exp:
            run.fail("fault at 0x%s (%s, %s), expected 0x%x %s" % (va, access, kind, addr,
                                                                   exp), "kernel-line")
    run.reject(r"survived: FAIL|panic at", part="kernel-line", text=text)
    run.expect(r"^cowtest: 0 checks failed$", part="wait", text=text, count=1)
    lab3.check_leaks(run, "cowtest", "leak")


MALLOCTEST_TAGS = ["alloc", "free", "coalesce", "calloc", "realloc", "bad"]
BAD_FREES = [
    ("double", r"free: 0x[0-9a-f]+ was already freed \(double free\)"),
    ("foreign", r"free: 0x[0-9a-f]+ is not a pointer malloc returned"),
    ("interior", r"free: 0x[0-9a-f]+ is not a pointer malloc returned"),
]


def check_malloctest(run):
    """The pattern checks OK, and each bad free ends its child with the LibOS panic line
    naming the fault (the children run one after the other)."""
    text = lab3.section(run, "malloctest") or ""
    lab3.check_lines(run, "malloctest", text, MALLOCTEST_TAGS)
    for how, msg in BAD_FREES:
        run.expect(r"^malloctest\[%s\]: freeing a bad pointer\nmalloctest: panic at "
                   r"lib/user/malloc\.c:\d+: %s$" % (how, msg), part="panics", text=text,
                   count=1)
    run.reject(r"survived: FAIL", part="panics", text=text)
    run.expect(r"^malloctest: 0 checks failed$", part="panics", text=text, count=1)
    lab3.check_leaks(run, "malloctest", "leak")


for _cpus in (1, 4):
    lab4c_test("cowtest", {"setup": 2, "iso": 6, "count": 3, "heap": 2, "wait": 3, "zero": 1, "kill": 2,
                           "kernel-line": 4, "leak": 3}, _cpus, 60 * _cpus)(check_cowtest)
    lab4c_test("malloctest", {"alloc": 3, "free": 2, "coalesce": 4, "calloc": 2, "realloc": 2,
                              "bad": 2, "panics": 4, "leak": 3}, _cpus,
               60 * _cpus)(check_malloctest)


# ---- Pipes, file descriptors and the shell (issue 11 items 3-4) ------------------------------
# pipetest (user/pipetest.c) checks the LibOS's fds and pipes from the inside and runs shell
# lines (`sh -c`, and a script on fd 0) with fd 1 on a pipe, comparing what they print; the
# shell's one-line complaints about bad input go to the console, checked here.  pingpong
# passes a counter through an IPC endpoint.  Both end with init's leak check.

PIPETEST_TAGS = ["eof", "epipe", "fork", "block", "sh", "bad"]
SH_BAD_LINES = [r"^sh: unknown command: nosuchprog$", r"^sh: unmatched '$",
                r"^sh: a pipe to nothing$", r"^sh: a pipe from nothing"]


def check_pipetest(run):
    """Every check OK; each bad shell line answered by exactly one console line."""
    text = lab3.section(run, "pipetest") or ""
    lab3.check_lines(run, "pipetest", text, PIPETEST_TAGS)
    for pat in SH_BAD_LINES:
        run.expect(pat, part="bad-lines", text=text, count=1 if "nosuchprog$" not in pat
                   else 2)
    run.reject(r"panic at", part="bad-lines", text=text)
    run.expect(r"^pipetest: 0 checks failed$", part="bad-lines", text=text, count=1)
    lab3.check_leaks(run, "pipetest", "leak")


def check_pingpong(run):
    """Ten calls and ten replies, in order, through the endpoint; nothing left behind."""
    text = lab3.section(run, "pingpong") or ""
    got = re.findall(r"^pingpong: (parent|child) got (\d+)$", text, re.M)
    want = [("parent" if i % 2 == 0 else "child", str(i)) for i in range(20)]
    if got != want:
        run.fail("expected parent got 0, child got 1, ... child got 19; got %d lines"
                 % len(got), "order")
    run.reject(r"panic at|pingpong: call:", part="order", text=text)
    lab3.check_leaks(run, "pingpong", "leak")


for _cpus in (1, 4):
    lab4c_test("pipetest", {"eof": 2, "epipe": 2, "fork": 2, "block": 2, "sh": 5, "bad": 4,
                            "bad-lines": 3, "leak": 3}, _cpus, 90 * _cpus)(check_pipetest)
lab4c_test("pingpong", {"order": 3, "leak": 2}, 1, 60)(check_pingpong)
# Tests kept in their own files, declared on this lab: the kernel's IPC (ping-pong on 2 and 4
# CPUs, GRANT, badges, waiters released), exit notifications and the blocking wait, and the
# shell on the ramdisk's files.
ipctests.add_tests(LAB, lab3)
waittests.add_tests(LAB, lab3)
shelltests.add_tests(LAB, lab3)


# ---- What earns points (issue 19: an untouched handout earns nothing) ----------------------
# Lab 4C's code is fork's duppage and the pipe (lib/user/fork.c, lib/user/pipe.c).  The heap
# (lib/user/malloc.c) and the kernel's IPC are given: their tests are checked, worth nothing.
# So are the parts that check given code: the kernel's notification errors and exit
# notifications, and the shell's spawning, files and region capabilities.  A program's leak
# check, and the checks it makes before or beside your code (setup, end-of-file on a pipe
# nobody wrote, bad arguments), pass when nothing forks at all: they earn only when the
# checks of your code (the gates) earn something.
TESTS = {t.name: t for t in LAB.tests}


def given(name, parts=None):
    """Test `name`'s `parts` (all: None) check given code: worth 0 points."""
    t = TESTS[name]
    for part in parts or list(t.parts):
        t.parts[part] = 0
    t.points = sum(t.parts.values())


def earned_nothing(run, part):
    if any(p is None or p == part for p, _ in run.failures):
        return True
    return run.fractions.get(part, (1, 1))[0] == 0


def gated(name, gates, parts):
    """Test `name`'s `parts` fail when every one of `gates` earned nothing."""
    t, inner = TESTS[name], TESTS[name].check

    def check(run):
        if inner:
            inner(run)
        if all(earned_nothing(run, g) for g in gates):
            for part in parts:
                run.fail("earns nothing while %s earn nothing (none of your code's checks "
                         "passed)" % ", ".join(gates), part)

    check.__doc__ = inner.__doc__ if inner else None
    t.check = check


for _suffix in ("", "-smp4"):
    given("malloctest" + _suffix)
    gated("forktree" + _suffix, ["tree", "done"], ["ids", "leak"])
    gated("cowtest" + _suffix, ["iso", "count", "heap", "wait", "zero", "kill", "kernel-line"],
          ["setup", "leak"])
    gated("pipetest" + _suffix, ["epipe", "fork", "block", "bad-lines"],
          ["eof", "sh", "bad", "leak"])
    given("waittest" + _suffix, ["bad", "notify"])
    gated("waittest" + _suffix, ["block", "console", "kills"], ["wait", "eof", "leak"])
given("ipc-smp2")
given("ipc-smp4")
gated("pingpong", ["order"], ["leak"])
given("shell-files", ["ls", "redirect", "head", "errors", "monitor"])
gated("shell-files", ["wc", "cat"], ["leak"])
gated("shell-primes-head", ["primes"], ["leak"])
given("shell-grandchild-files", ["grandchild", "region", "revoke"])
gated("shell-grandchild-files", ["deeper"], ["leak"])


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
