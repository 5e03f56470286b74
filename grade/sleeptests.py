"""Lab 4 part B grader, the timed tests: sleep_until (kern/env/sleep.c, user/sleeptest.c)
and rtapp, an exosim workload run in the kernel (user/rtapp.c, sim/rtapp_run.py).  Not a
grader of its own (no grade/labN.py name): grade/lab4b.py calls add_tests with itself, and
the tests join lab 4B's."""

import importlib.util
import os
import re


def add_tests(g):
    """Declares the tests on g.LAB, with g's ICOUNT, KSCHED_DIED, LEAK, ROOT and
    check_tagged (g: grade/lab4b.py's names)."""
    LAB, ICOUNT, KSCHED_DIED, LEAK, ROOT = g.LAB, g.ICOUNT, g.KSCHED_DIED, g.LEAK, g.ROOT
    check_tagged = g.check_tagged

    # ---- sleep_until (kern/env/sleep.c, user/sleeptest.c) ----
    # sleeptest runs under init (its leak-check lines frame it).  On one CPU with icount: the TSC
    # counts instructions, so the lateness it prints repeats exactly and the bound is tight.  On
    # four CPUs under plain TCG: QEMU 7.2's round-robin icount lets a busy CPU 0 starve the other
    # vCPUs until it halts (user/sleeptest.c LATE_MAX_SMP), so there only correctness is checked.
    SLEEPTEST_DONE = r"^init: end sleeptest$"

    def sleep_leaks(run, part):
        """The leak-check line init prints after sleeptest equals the one before it."""
        first = re.search(r"^init: start sleeptest$", run.text, re.M)
        before = LEAK.findall(run.text[:first.start()]) if first else []
        m = re.search(r"^init: start sleeptest\n([\s\S]*?)^init: end sleeptest$", run.text, re.M)
        after = LEAK.findall(m.group(1)) if m else []
        if not before or not after:
            run.fail("no leak-check lines around sleeptest", part)
        elif after[-1] != before[-1]:
            run.fail("after sleeptest: pages %s caps %s heap %s, before: pages %s caps %s heap %s"
                     % (after[-1] + before[-1]), part)

    def sleep_test(name, cpus, doc):
        want = {"args": 5, "accuracy": 4, "cpus": cpus, "early": 3, "destroy": 3}

        @LAB.test(name, parts=dict(want, leak=2), smp=cpus, args="tests=sleeptest",
                  qemu_args=ICOUNT if cpus == 1 else [], until=[SLEEPTEST_DONE],
                  fail_fast=KSCHED_DIED,
                  reject=KSCHED_DIED, timeout=120)
        def check(run):
            run.expect(r"^sleeptest: %d CPUs$" % cpus, part="cpus")
            check_tagged(run, "sleeptest", want)
            sleep_leaks(run, "leak")
            run.needs_the_rest("leak")
        check.__doc__ = doc
        return check

    sleep_test("sleep-until-wakes-on-time-one-cpu", 1,
               "sleep_until: bad times and flags are E_INVAL, a past time returns at once, sleeps "
               "end at or after their time and at most 20000 cycles later, env_set_status "
               "RUNNABLE wakes a sleeper early, a sleeper destroyed in its sleep leaks nothing.")
    sleep_test("sleep-until-sleepers-on-four-cpus", 4,
               "One sleeper pinned to each of four CPUs, all until one time: each wakes on its own "
               "CPU, not early; a sleeper on another CPU than its waker wakes early; no leak.")

    # ---- rtapp: an exosim workload run in the kernel (user/rtapp.c, sim/rtapp_run.py) ----
    def rtapp_spec(workload, policy, duration):
        """The spec sim/rtapp_run.py would boot `workload` with (its own functions)."""
        path = os.path.join(ROOT, "sim", "rtapp_run.py")
        spec = importlib.util.spec_from_file_location("rtapp_run", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        hz = 1000000000  # hw/qemu/machine.json: one cycle per instruction under icount
        tasks, d = mod.load(os.path.join(ROOT, workload), hz, 1, duration)
        return mod.spec(tasks, mod.kernel_params(tasks, policy, hz), d)

    RTAPP_ROW = re.compile(r"^(\d+),(\d+),(\d+),(\d*),(\d*),(\d*),([01])$", re.M)
    # periodic3 for 100 ms: ctrl (10 ms) 10 jobs, video (40 ms) 3, log (100 ms) 1; U = 0.625.
    RTAPP_JOBS = {0: 10, 1: 3, 2: 1}

    @LAB.test("rtapp-periodic3-edf-every-job-meets-its-deadline",
              parts={"rows": 3, "jobs": 3, "deadlines": 3}, smp=1,
              args="init=rtapp tests=%s sched=edf lockcheck=off"
                   % rtapp_spec("sim/workloads/periodic3.json", "edf", "100ms"),
              qemu_args=ICOUNT, until=[r"^rtapp: csv end \d+ rows$"], fail_fast=KSCHED_DIED,
              reject=KSCHED_DIED, timeout=180)
    def rtapp_periodic3(run):
        """sim/workloads/periodic3.json for 100 ms under sched=edf, one env per task: the job CSV
        rtapp prints has every job of each task, each finished, none after its deadline."""
        block = re.search(r"^rtapp: csv begin\n([\s\S]*?)^rtapp: csv end (\d+) rows$", run.text,
                          re.M)
        if not block:
            run.fail("no rtapp csv block", "rows")
            return
        rows = RTAPP_ROW.findall(block.group(1))
        if len(rows) != int(block.group(2)) or len(rows) != sum(RTAPP_JOBS.values()):
            run.fail("%d rows (the end line says %s), want %d"
                     % (len(rows), block.group(2), sum(RTAPP_JOBS.values())), "rows")
        got = {t: sum(1 for r in rows if int(r[0]) == t) for t in RTAPP_JOBS}
        if got != RTAPP_JOBS:
            run.fail("jobs per task %s, want %s" % (got, RTAPP_JOBS), "jobs")
        late = [r for r in rows if r[6] != "0" or not r[3] or not r[5] or int(r[3]) > int(r[5])]
        if late:
            run.fail("%d jobs unfinished or late, e.g. %s" % (len(late), ",".join(late[0])),
                     "deadlines")
