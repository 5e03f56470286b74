#!/usr/bin/env python3
"""Lab 3 grader (environments, syscalls, capabilities, the exokernel memory interface).

Every test boots with `tests=<programs> leakcheck`: init runs the programs one at a time and
frames each between `init: start NAME` and `init: end NAME`; the kernel prints
`leak-check: pages N caps M heap K` before the first and init asks for one after each, so the
last such line inside a program's frame must equal the one before the first program.  The
per-check lines the programs print (`... OK` / `... FAIL`) give partial credit; how many there
should be is read from the program's source, so a program that dies early loses the rest."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

ROOT = gradelib.ROOT

LEAK = re.compile(r"^leak-check: pages (\d+) caps (\d+) heap (\d+)$", re.M)
ENV_LINE = re.compile(r"^\[env 0x([0-9a-f]+)\] (.*)$", re.M)
FAULT = re.compile(r"^\[env 0x([0-9a-f]+)\] page fault va 0x([0-9a-f]+) ip 0x([0-9a-f]+) "
                   r"\((read|write|exec), (not present|protection)\)$", re.M)
INIT_ENV = re.compile(r"^init: ExoLab init, env 0x([0-9a-f]+)\b", re.M)
KERNEL_HALF = 0xffff800000000000  # the lowest kernel address (the direct map's base)
# A kernel that trapped or panicked instead of destroying only the env.
KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"]
# Each ends a run at once: a kernel that died, or one that could not start init (a stubbed
# lab 3 prints that and sits at the monitor), can no longer pass any test.
LAB = gradelib.Lab("lab3", fail_fast=KERNEL_DIED + [r"^env: cannot start init",
                                                   gradelib.LOCKCHECK_REPORT])


def done_pattern(names):
    return r"^init: all %d tests done$" % len(names)


def boot_args(names, extra=""):
    return ("tests=%s leakcheck %s" % (",".join(names), extra)).strip()


def section(run, name):
    """The output between `init: start NAME` and `init: end NAME`, or None."""
    m = re.search(r"^init: start %s\n([\s\S]*?)^init: end %s$" % (name, name), run.text, re.M)
    return m.group(1) if m else None


def baseline(run):
    """The last leak-check line before the first program starts."""
    first = re.search(r"^init: start ", run.text, re.M)
    lines = LEAK.findall(run.text[:first.start()] if first else "")
    return lines[-1] if lines else None


def check_leaks(run, name, part):
    base = baseline(run)
    text = section(run, name)
    if base is None:
        run.fail("no leak-check line before the first program", part)
        return
    if text is None:
        run.fail("no 'init: start/end %s' lines" % name, part)
        return
    after = LEAK.findall(text)
    if not after:
        run.fail("no leak-check line after %s" % name, part)
    elif after[-1] != base:
        run.fail("after %s: pages %s caps %s heap %s, before: pages %s caps %s heap %s"
                 % ((name,) + after[-1] + base), part)


def check_ran_after(run, name, part):
    """The kernel kept running: init ended `name` and the program after it ran."""
    if section(run, name) is None:
        run.fail("init never ended %s" % name, part)
    elif section(run, "hello") is None or not re.search(r"^hello, world$", section(run, "hello"),
                                                        re.M):
        run.fail("hello did not run after %s" % name, part)


def source_checks(prog, tags):
    """{tag: number of check messages} of user/PROG.c, from string literals 'tag: ...'."""
    with open(os.path.join(ROOT, "user", prog + ".c")) as f:
        src = f.read()
    counts = dict.fromkeys(tags, 0)
    for tag in re.findall(r'"(%s): [^"]*"' % "|".join(tags), src):
        counts[tag] += 1
    return counts


def check_calls(prog, tags):
    """{tag: number of check("TAG", ...) calls in user/PROG.c} (the device test programs'
    form: each call prints one 'PROG: TAG: ... OK' or '... FAIL' line)."""
    with open(os.path.join(ROOT, "user", prog + ".c")) as f:
        src = f.read()
    counts = dict.fromkeys(tags, 0)
    for tag in re.findall(r'\bcheck\(\s*"(\w+)"', src):
        counts[tag] = counts.get(tag, 0) + 1
    return counts


def score_check_calls(run, prog, tags, want=None):
    """Partial credit per tag: 'PROG: TAG: ... OK' lines over the check() calls in its source
    (want: those counts, when the caller adds to check_calls')."""
    want = want or check_calls(prog, tags)
    for tag in tags:
        ok = len(re.findall(r"^%s: %s: .* OK$" % (prog, tag), run.text, re.M))
        run.fraction(tag, min(ok, want[tag]), want[tag], "%s checks passed" % tag)


def check_lines(run, prog, text, tags):
    """Partial credit per tag: OK lines of `prog` (any role) over the checks in its source."""
    want = source_checks(prog, tags)
    for tag in tags:
        ok = len(re.findall(r"^%s(\[\w+\])?: %s: .* OK$" % (prog, tag), text, re.M))
        bad = re.findall(r"^%s(?:\[\w+\])?: (%s: .*) FAIL$" % (prog, tag), text, re.M)
        for msg in bad[:3]:
            run.notes.append("FAIL %s" % msg)
        run.fraction(tag, min(ok, want[tag]), want[tag], "%s checks passed" % tag)
    sync = re.findall(r"^%s(?:\[\w+\])?: (sync: .*) FAIL$" % prog, text, re.M)
    for msg in sync:
        run.notes.append("%s never happened (the checks after it are missing)" % msg)


@LAB.test("hello", parts={"init": 2, "hello": 3, "exit": 2, "leak": 3, "monitor-leaks": 2},
          args=boot_args(["hello"]),
          steps=[(done_pattern(["hello"]) + r"[\s\S]*^K> ", "leaks")],
          until=[LEAK.pattern], reject=KERNEL_DIED, timeout=30)
def hello(run):
    run.expect(INIT_ENV.pattern, part="init")
    text = section(run, "hello") or ""
    run.expect(r"^hello, world$", part="hello", text=text)
    run.expect(r"^hello: i am env 0x[0-9a-f]+, started by env 0x[0-9a-f]+$", part="hello",
               text=text)
    run.expect(r"^\[env 0x[0-9a-f]+\] exit status 0$", part="exit", text=text, count=1)
    check_leaks(run, "hello", "leak")
    reply = run.reply("leaks")
    if reply is None or not LEAK.search(reply):
        run.fail("the monitor command 'leaks' printed no leak-check line", "monitor-leaks")


def fault_test(prog, want, kernel_va=False):
    """A program that faults: `want` is [(access, kind, va)] in order; a None kind accepts
    either, a None va is the one the program announced (`prog: <verb> 0x<va>`)."""
    names = [prog, "hello"]

    @LAB.test(prog, parts={"report": 4, "survives": 2, "contained": 2, "leak": 2},
              args=boot_args(names), until=[done_pattern(names)], reject=KERNEL_DIED,
              timeout=30)
    def check(run):
        text = section(run, prog)
        if text is None:
            run.fail("init never ended %s" % prog)
            return
        faults = FAULT.findall(text)
        if len(faults) != len(want):
            run.fail("%d page-fault reports, expected %d" % (len(faults), len(want)), "report")
        told = [int(v, 16) for v in re.findall(r"^%s: \w+ 0x([0-9a-f]+)$" % prog, text, re.M)]
        for i, (env, va, ip, access, kind) in enumerate(faults[:len(want)]):
            w_access, w_kind, w_va = want[i]
            w_va = w_va if w_va is not None else (told[i] if i < len(told) else None)
            if access != w_access or (w_kind is not None and kind != w_kind):
                run.fail("fault %d is (%s, %s), expected (%s, %s)"
                         % (i, access, kind, w_access, w_kind), "report")
            if w_va is not None and int(va, 16) != w_va:
                run.fail("fault %d at va 0x%s, expected 0x%x" % (i, va, w_va), "report")
            if kernel_va and int(va, 16) < KERNEL_HALF:
                run.fail("fault %d at va 0x%s is not a kernel address" % (i, va), "report")
            if access == "exec" and ip != va:
                run.fail("an instruction fetch fault with ip 0x%s != va 0x%s" % (ip, va),
                         "report")
            if re.search(r"^\[env 0x%s\] exit status" % env, text, re.M):
                run.fail("env 0x%s faulted and then exited normally" % env, "contained")
        init = INIT_ENV.search(run.text)
        if init and any(env == init.group(1) for env, *_ in faults):
            run.fail("the fault report names init's env", "contained")
        run.reject(r"survived: FAIL", part="contained", text=text)
        check_ran_after(run, prog, "survives")
        check_leaks(run, prog, "leak")
    return check


fault_test("faultnull", [("read", "not present", 0)])
fault_test("faultread", [("read", "not present", None)])
fault_test("faultwrite", [("write", "protection", None)])
fault_test("faultexec", [("exec", "protection", None)])
# Whether the kernel half is mapped (supervisor-only) in a user address space is the kernel's
# choice, so a kernel address may fault as "not present" or as "protection".
fault_test("faultkernel", [("write", None, None), ("read", None, None)], kernel_va=True)


def badsyscall_cases():
    with open(os.path.join(ROOT, "user", "badsyscall.c")) as f:
        return len(re.findall(r"^\s*check\(SYS_|^\s*check\(-|^\s*check\(\(long\)", f.read(),
                              re.M))


@LAB.test("badsyscall", parts={"cases": 20, "exit": 2, "leak": 3},
          args=boot_args(["badsyscall"]), until=[done_pattern(["badsyscall"])],
          reject=KERNEL_DIED, timeout=60)
def badsyscall(run):
    text = section(run, "badsyscall") or ""
    line = r"^badsyscall: [\w\[\]]+\(.*\) = -?\d+ ?(E_\w+)? (OK|FAIL)"
    results = [m.group(2) for m in re.finditer(line, text, re.M)]
    for bad in re.findall(r"^badsyscall: (.*) FAIL.*$", text, re.M)[:5]:
        run.notes.append("FAIL " + bad)
    want = badsyscall_cases()
    run.fraction("cases", min(results.count("OK"), want), want, "cases returned the error")
    run.expect(r"^\[env 0x[0-9a-f]+\] exit status 0$", part="exit", text=text, count=1)
    check_leaks(run, "badsyscall", "leak")


CAPTEST_TAGS = ["derive", "rights", "badge", "forged", "revoke"]


@LAB.test("captest", parts={"derive": 4, "rights": 4, "badge": 2, "forged": 3, "revoke": 6,
                            "leak": 3},
          args=boot_args(["captest"]), until=[done_pattern(["captest"])],
          reject=KERNEL_DIED, timeout=60)
def captest(run):
    text = section(run, "captest") or ""
    check_lines(run, "captest", text, CAPTEST_TAGS)
    check_leaks(run, "captest", "leak")


MEMTEST_TAGS = ["quota", "alloc", "map", "phys", "share", "unmap", "free", "destroy"]


@LAB.test("memtest", parts={"quota": 1, "alloc": 2, "map": 2, "phys": 1, "share": 2,
                            "unmap": 2, "free": 4, "destroy": 4, "leak": 3},
          args=boot_args(["memtest"]), until=[done_pattern(["memtest"])],
          reject=KERNEL_DIED, timeout=60)
def memtest(run):
    text = section(run, "memtest") or ""
    check_lines(run, "memtest", text, MEMTEST_TAGS)
    check_leaks(run, "memtest", "leak")


ALL = ["hello", "faultnull", "faultread", "faultwrite", "faultexec", "faultkernel",
       "badsyscall", "captest", "memtest", "hello"]


@LAB.test("all-in-one-boot", parts={"every-program-ran": 5, "no-leak-after-any": 5},
          args=boot_args(ALL), until=[done_pattern(ALL)], reject=KERNEL_DIED, timeout=120)
def all_in_one(run):
    ends = re.findall(r"^init: end (\w+)$", run.text, re.M)
    ran = sum(1 for want, got in zip(ALL, ends) if want == got)
    run.fraction("every-program-ran", ran, len(ALL), "programs ended in order")
    base = baseline(run)
    starts = [m.end() for m in re.finditer(r"^init: end \w+$", run.text, re.M)]
    prev = re.search(r"^init: start ", run.text, re.M)
    good, begin = 0, prev.start() if prev else len(run.text)
    for end in starts:
        lines = LEAK.findall(run.text[begin:end])
        good += bool(lines) and lines[-1] == base
        begin = end
    run.fraction("no-leak-after-any", good, len(ALL), "programs left no leak")


@LAB.test("syscall-trace", parts={"calls": 4, "errors": 2},
          args=boot_args(["hello", "badsyscall"], "trace=syscalls"),
          until=[done_pattern(["hello", "badsyscall"])], reject=KERNEL_DIED, timeout=60)
def syscall_trace(run):
    hello_text = section(run, "hello") or ""
    # "hello, world\n" is 13 bytes.
    run.expect(r"^\[env 0x[0-9a-f]+\] sys_cputs\(0x[0-9a-f]+, 0xd\) = \d+$", part="calls",
               text=hello_text)
    run.expect(r"^\[env 0x[0-9a-f]+\] sys_env_id\(\) = \d+$", part="calls", text=hello_text)
    run.expect(r"^\[env 0x[0-9a-f]+\] sys_exit\(0x0\)", part="calls", text=hello_text)
    bad_text = section(run, "badsyscall") or ""
    run.expect(r"^\[env 0x[0-9a-f]+\] sys_unmap\(0x1, 0x10000008\) = -5 E_ALIGN$",
               part="errors", text=bad_text)


TIMER = re.compile(r"^timer: (\d+) ticks in user mode, (\d+) in kernel mode$", re.M)


def check_timer(run, part):
    """The kernel's line when the last env is gone: ticks in user mode, none in kernel mode
    (the kernel runs with interrupts off)."""
    m = TIMER.search(run.text)
    if m is None:
        run.fail("no 'timer: N ticks in user mode, M in kernel mode' line", part)
    elif int(m.group(1)) == 0:
        run.fail("the timer never interrupted user mode", part)
    elif int(m.group(2)) != 0:
        run.fail("%s timer ticks arrived in kernel mode" % m.group(2), part)


@LAB.test("spin", parts={"preempt": 6, "destroy": 3, "kernel-ticks": 2, "survives": 2,
                         "leak": 3},
          args=boot_args(["spin", "hello"]),
          until=[done_pattern(["spin", "hello"]), TIMER.pattern], reject=KERNEL_DIED,
          timeout=60)
def spin(run):
    """`spin` spawns `spin forever`, which loops without a system call; its parent's yields
    must still come back (only the timer can end the spinner's turns), then it destroys the
    spinner through its env capability."""
    text = section(run, "spin") or ""
    check_lines(run, "spin", text, ["preempt", "destroy"])
    spinner = re.search(r"^spin\[forever\]: env 0x([0-9a-f]+) spins$", text, re.M)
    if spinner is None:
        run.fail("the spinner never said it spins", "preempt")
    else:
        run.expect(r"^\[env 0x%s\] destroyed by env 0x[0-9a-f]+$" % spinner.group(1),
                   part="destroy", text=text, count=1)
        run.reject(r"^\[env 0x%s\] exit status" % spinner.group(1), part="destroy", text=text)
    run.expect(r"^spin: 0 of \d+ checks failed$", part="destroy", text=text)
    check_timer(run, "kernel-ticks")
    check_ran_after(run, "spin", "survives")
    check_leaks(run, "spin", "leak")


SPIN_INIT_TESTS = ["hello", "memtest"]


@LAB.test("spinning-init", parts={"others-run": 4, "memtest": 4, "init-spins": 2},
          args="init=spin tests=%s" % ",".join(SPIN_INIT_TESTS),
          until=[r"(^\[env 0x[0-9a-f]+\] exit status \d+$[\s\S]*){%d}" % len(SPIN_INIT_TESTS)],
          reject=KERNEL_DIED + [r"^env: no runnable environment"], timeout=60)
def spinning_init(run):
    """init=spin starts the test list at once and then spins without a system call: the
    programs must still run to their end beside it (the monitor, which runs only when no env
    is runnable, is never reached: the reject list checks that nothing ended the spinner)."""
    run.expect(r"^spin: init started %d programs and spins$" % len(SPIN_INIT_TESTS),
               part="init-spins")
    init = re.search(r"^env: init is env 0x([0-9a-f]+)", run.text, re.M)
    if init and re.search(r"^\[env 0x%s\] " % init.group(1), run.text, re.M):
        run.fail("the spinning init env exited or was destroyed", "init-spins")
    run.expect(r"^hello, world$", part="others-run", count=1)
    run.expect(r"^\[env 0x[0-9a-f]+\] exit status 0$", part="others-run",
               count=len(SPIN_INIT_TESTS))
    want = sum(source_checks("memtest", MEMTEST_TAGS).values())
    ok = len(re.findall(r"^memtest: (?:%s): .* OK$" % "|".join(MEMTEST_TAGS), run.text, re.M))
    run.fraction("memtest", min(ok, want), want, "memtest checks passed beside the spinner")
    run.expect(r"^memtest: quota \d+ pages at the start, \d+ at the end; 0 of \d+ checks "
               r"failed$", part="memtest")


FAULTUPCALL_TAGS = ["setup", "fault", "record", "regs", "nest", "kill"]


@LAB.test("faultupcall", parts={"setup": 1, "fault": 4, "record": 3, "regs": 4, "nest": 4,
                                "kill": 2, "kernel-line": 4, "survives": 2, "leak": 3},
          args=boot_args(["faultupcall", "hello"]),
          until=[done_pattern(["faultupcall", "hello"])], reject=KERNEL_DIED, timeout=60)
def faultupcall(run):
    """The page-fault upcall through the LibOS trampoline (lib/user/upcall.S): faults handled
    and resumed, records, registers, nesting; and two children whose fault cannot be
    delivered (no exception stack; the handler unmapped it and faulted) end with the
    kernel's normal page-fault line, while the parent goes on."""
    text = section(run, "faultupcall") or ""
    check_lines(run, "faultupcall", text, FAULTUPCALL_TAGS)
    parent = re.search(r"^faultupcall: env 0x([0-9a-f]+)$", text, re.M)
    told = [int(m.group(1), 16) for m in re.finditer(
        r"^faultupcall\[(?:nostack\]: write|inhandler\]: read 0x[0-9a-f]+, then write) "
        r"0x([0-9a-f]+)", text, re.M)]
    faults = FAULT.findall(text)
    if len(told) != 2:
        run.fail("%d children announced their fault, expected 2" % len(told), "kernel-line")
    if len(faults) != 2:
        run.fail("%d page-fault reports, expected 2" % len(faults), "kernel-line")
    for i, (env, va, ip, access, kind) in enumerate(faults[:2]):
        if (access, kind) != ("write", "not present") or (i < len(told) and int(va, 16) !=
                                                          told[i]):
            run.fail("report %d: va 0x%s (%s, %s), expected 0x%x (write, not present)"
                     % (i, va, access, kind, told[i] if i < len(told) else 0), "kernel-line")
        if parent and env == parent.group(1):
            run.fail("the fault report names the parent, not a child", "kernel-line")
        if re.search(r"^\[env 0x%s\] exit status" % env, text, re.M):
            run.fail("env 0x%s faulted and then exited normally" % env, "kernel-line")
    run.reject(r"survived: FAIL", part="kernel-line", text=text)
    if parent:
        run.expect(r"^\[env 0x%s\] exit status 0$" % parent.group(1), part="kill", text=text,
                   count=1)
    else:
        run.fail("faultupcall never said which env it is", "setup")
    check_ran_after(run, "faultupcall", "survives")
    check_leaks(run, "faultupcall", "leak")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
