#!/usr/bin/env python3
"""Lab 4 part B grader (SMP foundation, FPU isolation, the kernel scheduling through
kern/sched): every CPU of the machine comes up, the TSC and the local APIC timer are
calibrated, IPIs reach every CPU and come back, the one-shot timer fires once, a panic on a
multiprocessor prints its dump exactly once, each env keeps its own x87/SSE/AVX state on
every save path, and the kernel's sched= policies do what they promise.  The serial lines it
matches are the contract in docs/smp.md ("Boot lines: CPUs and time", "User
FPU/SSE/AVX state").

The kernel scheduling tests (ksched-*) boot `init=schedtest tests=MODE sched=POLICY`:
user/schedtest.c runs as the first env and prints one `schedtest: TAG: ... OK|FAIL` line per
check.  The stride and edf tests run QEMU with `-icount shift=0,sleep=off`, so the TSC counts
instructions and every run repeats exactly; their windows and tolerances are in schedtest.c
(stride: each share within 20 per mille of 1:2:3; the reference run is within 6)."""

import importlib.util
import json
import os
import re
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

LAB = gradelib.Lab("lab4b", fail_fast=[gradelib.LOCKCHECK_REPORT])

BANNER = r"^ExoLab x86-64"
ONLINE = re.compile(r"^smp: (\d+) CPUs? online\b.*$", re.M)
TSC = re.compile(r"^time: tsc (\d+) MHz \((cpuid 0x15|cpuid 0x16|pm timer)\)$", re.M)
LAPIC = re.compile(r"^time: lapic timer (\d+) MHz, one-shot by (tsc-deadline|count)$", re.M)
PANIC_LINE = re.compile(r"^panic: ", re.M)
BT_LINE = re.compile(r"^  rbp [0-9a-f]{16} rip [0-9a-f]{16} \S+\+0x[0-9a-f]+ args .*$")
HEALTHY = [r"^panic: ", r"^TRAP "]


def check_online(run, cpus):
    """`smp: N CPUs online` with N = cpus, nobody left out, and both clocks calibrated."""
    m = ONLINE.search(run.text)
    if not m:
        run.fail("no 'smp: N CPUs online' line", "online")
    elif int(m.group(1)) != cpus:
        run.fail("%s CPUs online on a %d-CPU machine" % (m.group(1), cpus), "online")
    run.reject(r"^smp: cpu \d+ \(apic id \d+\) did not start", part="online")
    tsc = TSC.search(run.text)
    if not tsc:
        run.fail("no 'time: tsc N MHz (source)' line", "time")
    elif not 100 <= int(tsc.group(1)) <= 10000:
        run.fail("a %s MHz TSC is not believable" % tsc.group(1), "time")
    lapic = LAPIC.search(run.text)
    if not lapic:
        run.fail("no 'time: lapic timer N MHz, one-shot by ...' line", "time")
    elif int(lapic.group(1)) == 0:
        run.fail("the local APIC timer was measured at 0 MHz", "time")


def online_test(cpus, name=None, qemu_args=(), timeout=60):
    @LAB.test(name or "smp-%d" % cpus, parts={"online": 4, "time": 2}, smp=cpus,
              qemu_args=list(qemu_args), until=[ONLINE.pattern], fail_fast=HEALTHY,
              timeout=timeout)
    def check(run):
        check_online(run, cpus)


online_test(1)
online_test(2)
online_test(4)
# The Legion's shape (6 cores, 2 threads each) on the chipset it resembles.
online_test(12, "smp-12-q35", ["-M", "q35", "-smp", "12,cores=6,threads=2"], timeout=120)


@LAB.test("ipi-round-trip", parts={"every-cpu": 6, "summary": 2}, smp=4, args="test=ipi",
          until=[r"^ipi: \d+ of \d+ other CPUs answered$"], fail_fast=HEALTHY, timeout=60)
def ipi_round_trip(run):
    for cpu in range(1, 4):
        run.expect(r"^ipi: cpu %d \(apic id \d+\) answered in \d+ us$" % cpu,
                   part="every-cpu", count=1)
    run.reject(r"^ipi: cpu \d+ .* did not answer$", part="every-cpu")
    run.expect(r"^ipi: 3 of 3 other CPUs answered$", part="summary", count=1)


@LAB.test("oneshot-timer", parts={"fires": 3, "cancel": 2}, args="test=oneshot",
          until=[r"^ktest: oneshot done$"], fail_fast=HEALTHY, timeout=30)
def oneshot_timer(run):
    run.expect(r"^oneshot: armed for 10000 us, fired in time \(after \d+ us\)$",
               part="fires", count=1)
    run.expect(r"^oneshot: cancelled timer stayed quiet$", part="cancel", count=1)


def check_one_dump(run, part):
    """Exactly one panic line, its backtrace right below it (no other CPU's output in
    between), one banner (no reset), and no trap dump from another CPU."""
    panics = PANIC_LINE.findall(run.text)
    if len(panics) != 1:
        run.fail("%d panic lines; a panic must print its dump exactly once" % len(panics), part)
        return
    run.expect(BANNER, part=part, count=1)
    run.reject(r"^TRAP ", part=part)
    after = run.text[PANIC_LINE.search(run.text).start():].split("\n")[1:]
    dump = [l for l in after if l.strip()]
    if not dump or not BT_LINE.match(dump[0]):
        run.fail("the panic line is not followed by its backtrace: %r" % dump[:1], part)
    elif any(not BT_LINE.match(l) for l in dump):
        run.fail("another line appears inside or after the dump: %r"
                 % next(l for l in dump if not BT_LINE.match(l)), part)


@LAB.test("panic-smp4", parts={"one-dump": 5}, smp=4, args="test=panic", exit_status=3,
          timeout=60)
def panic_smp4(run):
    check_one_dump(run, "one-dump")
    run.expect(r"^panic: .*ktest: deliberate panic", part="one-dump")


@LAB.test("panic-all-cpus", parts={"one-dump": 5}, smp=4, args="test=panic-all",
          exit_status=3, timeout=60)
def panic_all_cpus(run):
    check_one_dump(run, "one-dump")

# ---- FPU isolation ----
# Every FPU test boots with `tests=fputest,hello leakcheck` and a CPU model that picks the
# kernel's save instruction: QEMU's default qemu64 and `-cpu qemu64` have no XSAVE (FXSAVE),
# `-cpu max` has XSAVE, XSAVEOPT and AVX (QEMU's TCG has no XSAVES, which the kernel uses only
# with `fpu=xsaves`), and `fpu=NAME` on the kernel command line caps the choice so the plain
# XSAVE path and FXSAVE on an AVX CPU are reached too.  The kernel's `fpu:` line must name the
# path; fputest's workers must each say `fputest: env K ok (checks M)`, the parent its
# summary, and nothing may leak.

LEAK = re.compile(r"^leak-check: pages (\d+) caps (\d+) heap (\d+)$", re.M)
KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64"]

FPU_WORKERS = 4
FPU_TESTS = ["fputest", "hello"]
FPU_LINE = re.compile(r"^fpu: (\w+), xcr0 0x([0-9a-f]+) \(([\w ]+)\), (\d+)-byte save area "
                      r"per env, eager switch$", re.M)


def fpu_section(run, name):
    m = re.search(r"^init: start %s\n([\s\S]*?)^init: end %s$" % (name, name), run.text, re.M)
    return m.group(1) if m else None


def fpu_leaks(run, part):
    """The last leak-check line inside fputest's frame equals the one before it started."""
    first = re.search(r"^init: start fputest$", run.text, re.M)
    before = LEAK.findall(run.text[:first.start()]) if first else []
    text = fpu_section(run, "fputest")
    after = LEAK.findall(text) if text else []
    if not before or not after:
        run.fail("no leak-check lines around fputest", part)
    elif after[-1] != before[-1]:
        run.fail("after fputest: pages %s caps %s heap %s, before: pages %s caps %s heap %s"
                 % (after[-1] + before[-1]), part)


def fpu_test(name, modes, avx, qemu_args=(), extra="", smp=None):
    """fputest on one CPU model: `modes` are the save instructions the kernel may pick,
    `avx` whether the workers must see AVX (and so check ymm0-15 whole)."""

    @LAB.test(name, parts={"path": 2, "workers": 8, "kernel-path": 4, "summary": 2, "leak": 2},
              args=("tests=%s leakcheck %s" % (",".join(FPU_TESTS), extra)).strip(),
              qemu_args=list(qemu_args), smp=smp,
              until=[r"^init: all %d tests done$" % len(FPU_TESTS)], reject=KERNEL_DIED,
              fail_fast=KERNEL_DIED + [r"^env: cannot start init"],
              timeout=120)
    def check(run):
        m = FPU_LINE.search(run.text)
        if m is None:
            run.fail("no 'fpu: ...' line from the kernel", "path")
        else:
            mode, xcr0, size = m.group(1), int(m.group(2), 16), int(m.group(4))
            if mode not in modes:
                run.fail("the kernel picked %s, expected %s" % (mode, " or ".join(modes)),
                         "path")
            if bool(xcr0 & 4) != avx:
                run.fail("xcr0 0x%x %s AVX" % (xcr0, "lacks" if avx else "has"), "path")
            if size < 512:
                run.fail("a %d-byte save area is smaller than FXSAVE's" % size, "path")
        text = fpu_section(run, "fputest") or ""
        run.expect(r"^fputest: x87 sse2%s, %d workers$" % (" avx" if avx else "", FPU_WORKERS),
                   part="path", text=text)
        ok = {int(k) for k in re.findall(r"^fputest: env (\d+) ok \(checks \d+\)$", text, re.M)}
        for line in re.findall(r"^fputest: env \d+: .* FAIL .*$", text, re.M)[:5]:
            run.notes.append(line)
        run.fraction("workers", len(ok & set(range(1, FPU_WORKERS + 1))), FPU_WORKERS,
                     "workers kept their x87/SSE state")
        run.expect(r"^fputest: kernel path ok \(checks \d+\)$", part="kernel-path", text=text)
        run.expect(r"^fputest: %d of %d envs ok, \d+ checks, 0 failed$"
                   % (FPU_WORKERS, FPU_WORKERS), part="summary", text=text)
        run.expect(r"^\[env 0x[0-9a-f]+\] exit status 0$", part="summary", text=text,
                   count=FPU_WORKERS + 1)
        fpu_leaks(run, "leak")
        run.needs_the_rest("leak")
    return check


fpu_test("fpu-default-machine-fxsave", ["fxsave"], avx=False)
fpu_test("fpu-qemu64-fxsave", ["fxsave"], avx=False, qemu_args=["-cpu", "qemu64"])
fpu_test("fpu-max-xsaveopt-avx", ["xsaveopt"], avx=True, qemu_args=["-cpu", "max"])
fpu_test("fpu-max-capped-to-xsave", ["xsave"], avx=True, qemu_args=["-cpu", "max"],
         extra="fpu=xsave")
fpu_test("fpu-max-capped-to-fxsave", ["fxsave"], avx=False, qemu_args=["-cpu", "max"],
         extra="fpu=fxsave")

# ---- Kernel scheduling (kern/env/sched.c, user/schedtest.c) ----
ROOT = gradelib.ROOT
KSCHED_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64",
               r"^env: cannot start init"]
ICOUNT = ["-icount", "shift=0,sleep=off"]
SCHEDTEST_END = r"^schedtest: \d+ of \d+ checks failed$"


def check_tagged(run, prog, want):
    """Partial credit per tag of `prog`'s `PROG: TAG: ... OK|FAIL` lines: OK lines over how
    many checks of that tag the mode prints (`want`, {tag: count}), and the program's own
    summary line."""
    for tag, n in want.items():
        ok = len(re.findall(r"^%s: %s: .* OK$" % (prog, tag), run.text, re.M))
        for msg in re.findall(r"^%s: (%s: .*) FAIL$" % (prog, tag), run.text, re.M)[:3]:
            run.notes.append("FAIL " + msg)
        run.fraction(tag, min(ok, n), n, "%s checks passed" % tag)
    run.expect(r"^%s: 0 of %d checks failed$" % (prog, sum(want.values())),
               part=list(want)[-1])


def check_schedtest(run, want):
    check_tagged(run, "schedtest", want)


@LAB.test("ksched-stride-shares-follow-tickets",
          parts={"policy": 1, "setup": 1, "share": 6},
          args="init=schedtest tests=stride sched=stride", qemu_args=ICOUNT,
          until=[SCHEDTEST_END], fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=120)
def ksched_stride(run):
    """Three spinning envs with 100, 200 and 300 tickets share the CPU 1:2:3."""
    run.expect(r"^sched: policy stride on 1 CPU$", part="policy")
    # The parent's own parameters, then each of the three workers'.
    check_schedtest(run, {"setup": 4, "share": 3})


@LAB.test("ksched-edf-meets-every-deadline",
          parts={"policy": 1, "setup": 1, "deadline": 6},
          args="init=schedtest tests=edf sched=edf", qemu_args=ICOUNT,
          until=[SCHEDTEST_END], fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=120)
def ksched_edf(run):
    """Three periodic envs (U = 0.6 reserved), released by their parent and blocking at the
    end of each job, finish every job by its deadline."""
    run.expect(r"^sched: policy edf on 1 CPU$", part="policy")
    check_schedtest(run, {"setup": 4, "deadline": 3})


@LAB.test("ksched-set-accepts-valid-parameters",
          parts={"set": 4},
          args="init=schedtest tests=set,edf sched=edf", until=[SCHEDTEST_END],
          fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=60)
def ksched_set(run):
    check_schedtest(run, {"set": 4})


def badsyscall_cases(call):
    with open(os.path.join(ROOT, "user", "badsyscall.c")) as f:
        return len(re.findall(r"^\s*check\(SYS_%s," % call, f.read(), re.M))


def sched_validation_test(policy):
    @LAB.test("ksched-env-set-sched-validates-under-%s" % policy, parts={"cases": 4},
              args="tests=badsyscall sched=%s" % policy,
              until=[r"^init: all 1 tests done$"], fail_fast=KSCHED_DIED,
              reject=KSCHED_DIED, timeout=60)
    def check(run):
        """Every bad env_set_sched case of user/badsyscall.c returns its error."""
        line = r"^badsyscall: env_set_sched\(.*\) = -?\d+ ?(E_\w+)? (OK|FAIL)"
        results = [m.group(2) for m in re.finditer(line, run.text, re.M)]
        for bad in re.findall(r"^badsyscall: (env_set_sched.*) FAIL.*$", run.text, re.M)[:3]:
            run.notes.append("FAIL " + bad)
        want = badsyscall_cases("env_set_sched")
        run.fraction("cases", min(results.count("OK"), want), want, "cases returned the error")
    return check


for _policy in ("rr", "stride", "edf", "pedf_wf", "eevdf"):
    sched_validation_test(_policy)


@LAB.test("ksched-unknown-policy-falls-back-to-rr", parts={"message": 2, "default": 2},
          args="tests=hello sched=bogus", until=[r"^init: all 1 tests done$"],
          fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=30)
def ksched_bogus(run):
    run.expect(r"^sched: unknown policy 'bogus' \(known: rr prio mlfq stride edf gedf pedf_ff "
               r"pedf_wf pfp_ff pfp_wf cfs eevdf lottery\); using rr$", part="message")
    run.expect(r"^sched: policy rr on 1 CPU$", part="default")
    run.expect(r"^hello, world$", part="default")


# ---- The lock checker (kern/arch/x86_64/lockcheck.c, docs/smp.md "Locking") ----
# Each self-test (kern/test/lockcheck.c) provokes one kind of report with locks of its own,
# named ktest-*: the `lockcheck:` line must be exact, and the report ends in a panic with its
# backtrace (exit status 3).  Every other boot of every lab fails at once on a report
# (gradelib.LOCKCHECK_REPORT).  With lockcheck=off, what the benchmarks boot, the checker
# is silent; a lock taken twice is reported whatever the option says.
LOCKCHECK_CASES = [
    ("lockcheck-order", r"^lockcheck: lock order inversion: ktest-a taken while ktest-b is "
                        r"held, but ktest-b was taken while ktest-a was held before$"),
    ("lockcheck-irq", r"^lockcheck: lock ktest-irq is taken in an interrupt handler and with "
                      r"interrupts enabled \(now in the handler\)$"),
    ("lockcheck-user", r"^lockcheck: returning to user mode with lock ktest-user held$"),
    ("lockcheck-twice", r"^lockcheck: lock ktest-a taken twice by cpu 0$"),
    ("lockcheck-release", r"^lockcheck: lock ktest-b released by cpu 0, which does not hold "
                          r"it$"),
]
NOT_REPORTED = r"^ktest: lockcheck-\S+: not reported$"


def lockcheck_test(name, line):
    @LAB.test(name, parts={"report": 3, "panic": 1}, args="test=%s halt" % name,
              exit_status=3, fail_fast=[NOT_REPORTED], timeout=30)
    def check(run):
        run.expect(line, part="report")
        run.expect(r"^lockcheck: ", count=1, part="report")
        dump = run.text[run.text.find("\npanic: ") + 1:].splitlines()
        if not dump or not re.match(r"panic: .*lock checker report", dump[0]):
            run.fail("the report is not followed by a panic", "panic")
        elif len(dump) < 2 or not BT_LINE.match(dump[1]):
            run.fail("the panic has no backtrace", "panic")


for _name, _line in LOCKCHECK_CASES:
    lockcheck_test(_name, _line)


@LAB.test("lockcheck-off-is-silent", points=2, args="test=lockcheck-order lockcheck=off halt",
          exit_status=1, timeout=30)
def lockcheck_off(run):
    run.expect(r"^ktest: lockcheck-order: not reported$")
    run.reject(r"^lockcheck: ")


# ---- The kernel scheduling trace (trace=sched: kern/env/ktrace.c, sim/ktrace.py) ----
KTRACE_END = r"^ktrace: end events \d+ dropped \d+$"
EDF_TASK_RELEASES = (20, 10, 5)  # EDF_WINDOW / period of user/schedtest.c's three tasks


def load_ktrace():
    """sim/ktrace.py, the host script `make qemu-trace` runs, as a module."""
    spec = importlib.util.spec_from_file_location("ktrace",
                                                  os.path.join(ROOT, "sim", "ktrace.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def check_ktrace_dump(run, cpus):
    """The dump parses; every env the run made was woken and switched to; every CPU's clock
    goes forward; the script converts it to a trace with one track per CPU.  Returns the
    parsed dump, or None."""
    ktrace = load_ktrace()
    try:
        dump = ktrace.parse(run.text, "serial")
    except ktrace.DumpError as e:
        # Without a dump nothing else can be checked: no part passes for lack of events.
        run.fail(str(e))
        return None
    if dump.cpus != cpus:
        run.fail("the dump has %d CPUs, the machine %d" % (dump.cpus, cpus), "dump")
    events = [ev for evs in dump.events for ev in evs]
    for env in sorted(dump.names):
        for what in ("wakeup", "switch"):
            if not any(ev["type"] == what and ev["env"] == env for ev in events):
                run.fail("no %s event for env 0x%x" % (what, env), "events")
    if len(dump.names) < 4 or sum(dump.dropped):
        run.fail("%d envs named, %d events dropped (want 4 envs, none dropped)"
                 % (len(dump.names), sum(dump.dropped)), "events")
    for cpu, evs in enumerate(dump.events):
        times = [ev["tsc"] for ev in evs]
        if times != sorted(times):
            run.fail("cpu %d's timestamps go back" % cpu, "order")
    try:
        trace = json.loads(ktrace.convert(dump, "serial", "qemu"))
        tracks = [e for e in trace["traceEvents"] if e.get("name") == "thread_name"]
        if len(tracks) != cpus:
            run.fail("%d tracks for %d CPUs" % (len(tracks), cpus), "convert")
    except (ktrace.DumpError, ValueError, KeyError) as e:
        run.fail("sim/ktrace.py: %s" % e, "convert")
    return dump


@LAB.test("ktrace-edf-dump-converts",
          parts={"dump": 2, "events": 2, "order": 1, "jobs": 2, "convert": 1},
          args="init=schedtest tests=edf sched=edf trace=sched halt", qemu_args=ICOUNT,
          until=[KTRACE_END], fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=120)
def ktrace_edf(run):
    """The edf schedtest with trace=sched ends with a dump at halt: switches and wake-ups of
    all four envs, forward clocks, the tasks' releases (at least one per period of the
    window) and no miss of theirs (schedtest itself sees none), and sim/ktrace.py converts
    it.  One CPU: under icount every CPU's instructions advance the one shared clock, so on
    two busy CPUs each runs at half the speed this time-based workload is sized for."""
    run.expect(r"^schedtest: 0 of 7 checks failed$", part="jobs")
    dump = check_ktrace_dump(run, 1)
    if dump is None:
        return
    events = [ev for evs in dump.events for ev in evs]
    tasks = sorted(dump.names)[1:4]  # the parent is env 0x1000, its tasks the next three
    for env, want in zip(tasks, EDF_TASK_RELEASES):
        got = sum(1 for ev in events if ev["type"] == "release" and ev["env"] == env)
        missed = sum(1 for ev in events if ev["type"] == "miss" and ev["env"] == env)
        if got < want or missed:
            run.fail("env 0x%x: %d releases (want >= %d), %d misses (want 0)"
                     % (env, got, want, missed), "jobs")


@LAB.test("ktrace-smp4-every-cpu-records", parts={"dump": 2, "events": 2, "order": 1,
                                                 "convert": 1, "cpus": 2},
          smp=4, args="init=smptest tests=spread trace=sched halt", until=[KTRACE_END],
          fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=120)
def ktrace_smp4(run):
    """smptest's four spinners on four CPUs with trace=sched: the dump has a buffer per CPU,
    every CPU recorded switches, and the conversion has four tracks."""
    dump = check_ktrace_dump(run, 4)
    if dump is None:
        return
    for cpu, evs in enumerate(dump.events):
        if not any(ev["type"] == "switch" for ev in evs):
            run.fail("cpu %d recorded no switch" % cpu, "cpus")


@LAB.test("ktrace-monitor-command", parts={"dump": 2, "off": 1},
          args="tests=hello trace=sched", steps=[(r"^K> ", "trace"), (r"^K> ", "halt")],
          wait_exit=True, fail_fast=KSCHED_DIED, timeout=60)
def ktrace_monitor(run):
    """`trace` at the monitor prints the dump (and `halt` prints it again); the dump of
    hello's run parses."""
    if len(re.findall(KTRACE_END, run.text, re.M)) != 2:
        run.fail("want two dumps (trace, then halt)", "dump")
    ktrace = load_ktrace()
    try:
        ktrace.parse(run.text, "serial")
    except ktrace.DumpError as e:
        run.fail(str(e), "dump")
    run.reject(r"^ktrace: off", part="off")
    run.reject(r"^cmdline: trace: unknown", part="off")


# ---- Every CPU runs envs (kern/env/sched.c, run.c, lock.c; kern/arch/x86_64/ipi.c) ----
# user/smptest.c as the first env with SMP=4, `init=smptest tests=MODE`; it prints one
# `smptest: TAG: ... OK|FAIL` line per check and waits only on flags in a shared page.
SMPTEST_END = r"^smptest: \d+ of \d+ checks failed$"


def check_smptest(run, want):
    check_tagged(run, "smptest", want)


def smp_test(name, mode, want, doc, check=None, **kw):
    @LAB.test(name, parts={t: 2 * n for t, n in want.items()}, smp=4,
              args="init=smptest tests=%s" % mode, until=kw.pop("until", [SMPTEST_END]),
              fail_fast=KSCHED_DIED, reject=KSCHED_DIED, timeout=120, **kw)
    def run_check(run):
        run.expect(r"^sched: policy rr on 4 CPUs$", part=list(want)[0])
        check_smptest(run, want)
        if check:
            check(run)
    run_check.__doc__ = doc
    return run_check


smp_test("smp-envs-spread-over-cpus-and-die-there", "spread", {"spread": 2, "destroy": 1},
         "Four spinning envs run on four CPUs at once; destroying each while it runs on its "
         "CPU returns with it stopped there.")
smp_test("smp-affinity-is-respected", "pin", {"pin": 2},
         "Two envs pinned to CPU 2 only ever see CPU 2, though the other CPUs idle.")
smp_test("smp-cross-cpu-wakeup-and-preemption", "wake", {"wake": 4},
         "A blocked env pinned to CPU 1 woken from CPU 0 runs there, idle or held by a "
         "spinner that had no timer armed.")


def shoot_fault(run):
    run.expect(r"^\[env 0x[0-9a-f]+\] page fault va 0x30001000 ip 0x[0-9a-f]+ "
               r"\(read, not present\)$", part="shoot", count=1)


smp_test("smp-tlb-shootdown-unmapped-page-faults-at-once", "shoot", {"shoot": 3},
         "An env on CPU 1 reading a page in a loop faults on its first read after its "
         "parent on CPU 0 unmapped the page (no stale TLB entry).", check=shoot_fault)

CPU_IRQS = re.compile(r"^cpu (\d+): apic id \d+.*, timer irqs (\d+), ipis (\d+)$", re.M)
TICKLESS_MAX_IRQS = 2  # the periodic 10 ms tick would have taken ~50 over the window


def tickless_irqs(run):
    irqs = {int(c): int(t) for c, t, _ in CPU_IRQS.findall(run.text)}
    if 3 not in irqs:
        run.fail("no 'cpu 3: ... timer irqs N' line from the monitor's cpus", "tickless")
    elif irqs[3] > TICKLESS_MAX_IRQS:
        run.fail("cpu 3 took %d timer interrupts running one env alone (at most %d)"
                 % (irqs[3], TICKLESS_MAX_IRQS), "tickless")


smp_test("smp-tickless-one-env-takes-no-tick", "tickless", {"tickless": 1},
         "CPU 3 runs one spinning env alone for 1.5 G TSC cycles and takes at most "
         "TICKLESS_MAX_IRQS timer interrupts (no periodic tick), then idles with none.",
         check=tickless_irqs, until=[r"^cpu 3: .*ipis \d+$"],
         steps=[(SMPTEST_END + r"[\s\S]*^K> ", "cpus")])

fpu_test("fpu-smp4-state-follows-migrating-envs", ["fxsave"], avx=False, smp=4)


# ---- sleep_until and rtapp: grade/sleeptests.py adds them (after the tests above) ----
_spec = importlib.util.spec_from_file_location(
    "sleeptests", os.path.join(os.path.dirname(os.path.abspath(__file__)), "sleeptests.py"))
sleeptests = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sleeptests)
sleeptests.add_tests(types.SimpleNamespace(**globals()))  # gradelib loads this file under its own name


# ---- Lab 4B handout (labs/lab4b-smp): the tests its exercises answer to ----
# Exercise 1 (the spinlock, kern/arch/x86_64/spinlock.c): every CPU increments one counter
# SPIN_ROUNDS times holding one lock (kern/test/smp.c); a lost increment or a CPU that never
# finishes fails.  The other exercises answer to the smp-* tests above (docs in the README).


@LAB.test("spinlock-mutual-exclusion-smp4", parts={"counter": 6}, smp=4, args="test=spinlock",
          until=[r"^spinlock: .* (OK|FAIL)$"], fail_fast=HEALTHY, timeout=90)
def spinlock_smp4(run):
    run.expect(r"^spinlock: 4 of 4 CPUs did \d+ rounds: counter (\d+), want \1 OK$",
               part="counter", count=1)


# ---- What earns points (issue 19: an untouched handout earns nothing) ----------------------
# Lab 4B's code is the spinlock, the AP's hand-off to the scheduler, the reschedule IPI and
# the shootdown's targets.  Bringing the CPUs up, IPIs, the timers, panics, FPU state on one
# CPU, the kernel's scheduling syscalls, the lock checker, the trace and sleeping on one CPU
# are given and work on one CPU without them: their tests are checked (a tree that breaks
# them fails), worth nothing.  The tests that need envs on every CPU earn the points.
GIVEN_TESTS = [
    "smp-1", "smp-2", "smp-4", "smp-12-q35", "ipi-round-trip", "oneshot-timer", "panic-smp4",
    "panic-all-cpus", "fpu-default-machine-fxsave", "fpu-qemu64-fxsave", "fpu-max-xsaveopt-avx",
    "fpu-max-capped-to-xsave", "fpu-max-capped-to-fxsave", "ksched-stride-shares-follow-tickets",
    "ksched-edf-meets-every-deadline", "ksched-set-accepts-valid-parameters",
    "ksched-env-set-sched-validates-under-rr", "ksched-env-set-sched-validates-under-stride",
    "ksched-env-set-sched-validates-under-edf", "ksched-unknown-policy-falls-back-to-rr",
    "lockcheck-order", "lockcheck-irq", "lockcheck-user", "lockcheck-twice",
    "lockcheck-release", "lockcheck-off-is-silent", "ktrace-edf-dump-converts",
    "ktrace-monitor-command", "sleep-until-wakes-on-time-one-cpu",
    "rtapp-periodic3-edf-every-job-meets-its-deadline",
]
_TESTS = {t.name: t for t in LAB.tests}
# Every ksched-* test (the kernel's scheduling syscalls under each policy, given) as well.
GIVEN_TESTS += [n for n in _TESTS if n.startswith("ksched-") and n not in GIVEN_TESTS]
for _name in GIVEN_TESTS:
    _t = _TESTS[_name]
    _t.parts = dict.fromkeys(_t.parts, 0)
    _t.points = 0


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
