"""exosim's scheduling semantics (docs/sim.md, "Semantics"), each rule a tested property:
the EDF invariant at every scheduling point under overload, the closed horizon, IPIs only
for another CPU, one decision per instant, and the tie-breaking rules.  Called by
run_tests.py (make sim-test) with its run() and check().  All runs are on the 1 GHz qemu
profile with --zero-costs unless a cost is the point: a cycle is a nanosecond."""
import csv
import json
import os

MS = 1000000


def write(tmp, name, tasks, duration=None):
    path = os.path.join(tmp, name + ".wl")
    doc = {"tasks": tasks}
    if duration:
        doc["global"] = {"duration": duration}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def sim(run, tmp, tag, wl, sched, cpus=1, duration="100ms", costs=False, extra=()):
    """Runs exosim; returns (rc, stderr, jobs: list of CSV dicts, stats JSON, trace events)."""
    out = {k: os.path.join(tmp, f"{tag}.{k}") for k in ("csv", "json", "trace")}
    args = ["run", "--machine", "qemu", "--cpus", str(cpus), "--sched", sched, "--workload", wl,
            "--duration", duration, "--quiet", "--no-host", "--csv", out["csv"],
            "--json", out["json"], "--trace", out["trace"], *extra]
    if not costs:
        args.append("--zero-costs")
    rc, _, err = run(*args)
    if rc != 0:
        return rc, err, [], {}, []
    with open(out["csv"]) as f:
        jobs = list(csv.DictReader(f))
    for j in jobs:
        for k in ("release", "start", "finish", "deadline"):
            j[k] = int(j[k]) if j[k] else None
    ev = json.load(open(out["trace"]))["traceEvents"]
    return rc, err, jobs, json.load(open(out["json"])), ev


def ns(us):
    return int(round(float(us) * 1000))


def cpu_slices(events, cpu=0):
    """Run slices of one CPU track: (start, end, task name), in time order."""
    s = [(ns(e["ts"]), ns(e["ts"]) + ns(e["dur"]), e["name"]) for e in events
         if e.get("ph") == "X" and e.get("cat") == "run" and e.get("pid") == 1
         and e.get("tid") == cpu + 1]
    return sorted(s)


def edf_violations(jobs, slices, end, m=1):
    """EDF's invariant (global EDF's on m CPUs) at every instant at which the schedule can
    change (a release, a finish, a slice's start or end, before the horizon): of the pending
    jobs (each task's oldest unfinished one), min(m, how many) run, and no running job has a
    later deadline than one that waits.  slices: run slices of every CPU."""
    points = sorted({j["release"] for j in jobs} | {j["finish"] for j in jobs if j["finish"]} |
                    {s[0] for s in slices} | {s[1] for s in slices})
    bad = []
    for p in (p for p in points if p < end):
        oldest = {}
        for j in jobs:
            if j["release"] <= p and (j["finish"] is None or j["finish"] > p):
                if j["task"] not in oldest or j["release"] < oldest[j["task"]]["release"]:
                    oldest[j["task"]] = j
        running = {s[2] for s in slices if s[0] <= p < s[1]}
        waiting = [j["deadline"] for t, j in oldest.items() if t not in running]
        if not running <= set(oldest) or len(running) != min(m, len(oldest)):
            bad.append((p, "running", sorted(running), "pending", sorted(oldest)))
        elif waiting and max(oldest[t]["deadline"] for t in running) > min(waiting):
            bad.append((p, {t: oldest[t]["deadline"] for t in running}, "waits", min(waiting)))
    return bad


def test_edf_overload(run, check, tmp):
    """Under overload (U > 1) late jobs finish after their task's next release: each job's
    scheduling deadline is still its release + D, so the EDF invariant holds at every
    scheduling point (the defect: a job released while its predecessor ran kept the old
    deadline), under edf and under pedf and gedf on one CPU."""
    sets = {
        "2 tasks U=1.07": {"a": ("6ms", "10ms", None), "b": ("7ms", "15ms", None)},
        "3 tasks U=1.35": {"a": ("3ms", "5ms", None), "b": ("4ms", "8ms", None),
                           "c": ("5ms", "20ms", None)},
        "constrained D, U=0.95": {"a": ("3ms", "10ms", "4ms"), "b": ("5ms", "8ms", "8ms"),
                                  "c": ("2ms", "20ms", "9ms")},
    }
    for name, ts in sets.items():
        tasks = {}
        for t, (c, p, d) in ts.items():
            tasks[t] = {"loop": -1, "run": c, "timer": {"ref": t, "period": p, "mode": "absolute"}}
            if d:
                tasks[t]["deadline"] = d
        wl = write(tmp, "overload.json", tasks)
        for sched in ("edf", "pedf_ff", "gedf"):  # one CPU: pedf and gedf are EDF there
            rc, err, jobs, _, ev = sim(run, tmp, "ovl", wl, sched, duration="300ms")
            bad = (edf_violations(jobs, cpu_slices(ev), 300 * MS) if rc == 0 else
                   ["run failed: " + err])
            check(rc == 0 and jobs and not bad,
                  f"{sched} under overload, {name}: the earliest deadline runs at every "
                  "scheduling point", str(bad[:3]))


def test_gedf_invariant(run, check, tmp):
    """Global EDF on 2 and 4 CPUs: the m earliest deadlines run at every scheduling point, on
    random sets below, at and above U = m (so jobs overrun and queue)."""
    periods = "10ms/20ms/25ms/50ms"
    for m, n, u, seed in ((2, 5, 1.5, 1), (2, 5, 1.9, 2), (2, 3, 2.3, 3), (4, 7, 3.0, 4),
                          (4, 9, 3.8, 5), (4, 6, 4.4, 6)):
        wl = f"gen:periodic:n={n},u={u},periods={periods},discard=1"
        rc, err, jobs, _, ev = sim(run, tmp, "gedf", wl, "gedf", cpus=m, duration="200ms",
                                   extra=("--seed", str(seed)))
        slices = [x for c in range(m) for x in cpu_slices(ev, c)]
        bad = edf_violations(jobs, slices, 200 * MS, m) if rc == 0 else ["run failed: " + err]
        check(rc == 0 and jobs and not bad,
              f"gedf, {m} CPUs, n={n} U={u}: the {m} earliest deadlines run at every "
              "scheduling point", str(bad[:2]))


def test_cbs_isolation(run, check, tmp):
    """A budgeted edf task is a CBS server: its overrunning jobs (15 ms of work per 10 ms
    period) get at most its budget per period, and the task beside it meets every deadline
    (reserved bandwidth 0.2 + 0.5 <= 1)."""
    wl = write(tmp, "cbs.json", {
        "srv": {"loop": -1, "run": "15ms", "budget": "2ms", "period": "10ms",
                "timer": {"ref": "s", "period": "10ms", "mode": "absolute"}},
        "p": {"loop": -1, "run": "4ms", "timer": {"ref": "p", "period": "8ms"}},
    })
    rc, err, _, js, _ = sim(run, tmp, "cbs", wl, "edf", duration="400ms")
    tasks = {t["name"]: t for t in js.get("tasks", [])}
    ok = rc == 0 and tasks["p"]["misses"] == 0 and tasks["p"]["jobs"] == 50
    check(ok and tasks["srv"]["runtime_cycles"] <= 80 * MS + 2 * MS,
          "edf CBS server: overruns stay within the budget, the other task meets its deadlines",
          f"{ {k: (t['jobs'], t['misses'], t['runtime_cycles']) for k, t in tasks.items()} } {err}")


def test_horizon(run, check, tmp):
    """The horizon [0, H] is closed: a job finishing exactly at H is finished and on time;
    one still unfinished after H with its deadline at H is a miss (and unfinished)."""
    wl = write(tmp, "horizon.json", {
        "late": {"loop": 1, "run": "2ms", "deadline": "1ms", "cpus": [0]},
        "exact": {"loop": 1, "run": "1ms", "deadline": "1ms", "cpus": [1]},
        "open": {"loop": 1, "run": "2ms", "deadline": "3ms", "cpus": [2]},
    })
    rc, err, jobs, js, _ = sim(run, tmp, "hz", wl, "rr", cpus=3, duration="1ms")
    got = {t["name"]: (t["jobs"], t["misses"], t["unfinished"]) for t in js.get("tasks", [])}
    want = {"late": (0, 1, 1), "exact": (1, 0, 0), "open": (0, 0, 1)}
    check(rc == 0 and got == want,
          "closed horizon: finish at H counts, deadline at H unfinished is a miss, "
          "deadline after H is only unfinished", f"{got} want {want} {err}")
    check(js.get("deadline_misses") == 1 and js.get("unfinished") == 2,
          "closed horizon: run totals", str({k: js.get(k) for k in ("deadline_misses",
                                                                     "unfinished")}))


def test_ipi_only_remote(run, check, tmp):
    """Waking a task on its own CPU is not an IPI (its timer interrupt is charged)."""
    wl = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                      "workloads", "periodic3.json")
    rc, err, _, js, _ = sim(run, tmp, "ipi1", wl, "edf", duration="200ms", costs=True)
    cpu = js.get("cpus", [{}])[0].get("overhead_cycles", {})
    check(rc == 0 and cpu.get("ipi") == 0 and cpu.get("tick", 0) > 0,
          "one CPU: releases charge timer interrupts, never an IPI", f"{cpu} {err}")


def test_ipi_remote(run, check, tmp):
    """A wake-up that makes another CPU reschedule costs that CPU one IPI: m last ran on CPU 0,
    which the pinned hog holds when m wakes at 5.5 ms, so m is placed on the idle CPU 1 (an
    IPI there); its later wake-ups on CPU 1 are its own CPU's timer interrupts."""
    wl = write(tmp, "ipi2.json", {
        "hog": {"loop": 1, "delay": "1ms", "run": "50ms", "cpus": [0]},
        "m": {"loop": 4, "run": "500us", "sleep": "5ms", "cpus": [0, 1]},
    })
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "hw", "qemu", "machine.json")) as f:
        ipi = json.load(f)["costs"]["ipi"]["cycles"]
    rc, err, jobs, js, _ = sim(run, tmp, "ipi2", wl, "edf", cpus=2, duration="40ms", costs=True)
    got = [c.get("overhead_cycles", {}).get("ipi") for c in js.get("cpus", [])]
    check(rc == 0 and got == [0, ipi] and len([j for j in jobs if j["task"] == "m"]) == 4,
          "two CPUs: a wake-up placed on another CPU is one IPI there, none for local ones",
          f"ipi cycles per CPU {got}, want [0, {ipi}] {err}")


def test_one_decision_per_instant(run, check, tmp):
    """Three jobs released at one instant on one CPU, the least urgent written first: the
    most urgent runs, nobody is switched in and out without running: 4 switches (one per
    job and one to idle), not 6."""
    wl = write(tmp, "instant.json", {
        "low": {"loop": 1, "priority": 1, "run": "1ms"},
        "mid": {"loop": 1, "priority": 2, "run": "1ms"},
        "high": {"loop": 1, "priority": 3, "run": "1ms"},
    })
    rc, err, jobs, js, ev = sim(run, tmp, "inst", wl, "prio", duration="10ms")
    starts = {j["task"]: j["start"] for j in jobs}
    check(rc == 0 and starts == {"high": 0, "mid": MS, "low": 2 * MS},
          "same-instant releases: the most urgent starts first", f"{starts} {err}")
    check(js.get("context_switches") == 4 and all(s[1] > s[0] for s in cpu_slices(ev)),
          "same-instant releases: one switch per job, no empty run slice",
          str(js.get("context_switches")))
    # With the qemu profile's costs: the three wake-ups are one timer interrupt, and the
    # switches are the three into the jobs (the switch to idle is not charged).
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "hw", "qemu", "machine.json")) as f:
        cost = json.load(f)["costs"]
    rc, err, _, js, _ = sim(run, tmp, "instc", wl, "prio", duration="10ms", costs=True)
    got = js.get("cpus", [{}])[0].get("overhead_cycles", {})
    want = {"tick": cost["timer_interrupt"]["cycles"], "ipi": 0,
            "switch": 3 * cost["context_switch"]["cycles"]}
    check(rc == 0 and {k: got.get(k) for k in want} == want,
          "same-instant releases: one interrupt for the instant, one switch per job",
          f"{got} want {want} {err}")


def test_ties(run, check, tmp):
    """The tie rules of docs/sim.md: (1) jobs released at one instant with equal keys run in
    workload order, whatever order their timers were armed in; (2) a woken job whose key
    equals the running one's does not preempt it; (3) a preempted job goes behind the queued
    jobs with its key."""
    # z is written first but arms its timer later (it sleeps first): at 10 ms both are
    # released with deadline 20 ms (edf) and on one priority level (prio: equal periods).
    wl = write(tmp, "tie1.json", {
        "z": {"loop": -1, "run": "1ms", "sleep": "5ms", "timer": {"ref": "z", "period": "10ms"}},
        "y": {"loop": -1, "run": "2ms", "timer": {"ref": "y", "period": "10ms"}},
    })
    for sched in ("edf", "prio"):
        rc, err, jobs, _, _ = sim(run, tmp, "tie1", wl, sched, duration="30ms")
        at10 = {j["task"]: j["start"] for j in jobs if j["release"] == 10 * MS}
        check(rc == 0 and at10 == {"z": 10 * MS, "y": 11 * MS},
              f"tie rule 1 ({sched}): equal keys released together run in workload order",
              f"{at10} {err}")
    # z runs 0-2 ms, y (deadline 20 ms) 2-14 ms; z's second job (released at 10 ms, deadline
    # 20 ms) waits for it.
    wl = write(tmp, "tie2.json", {
        "y": {"loop": -1, "run": "12ms", "timer": {"ref": "y", "period": "20ms"}},
        "z": {"loop": -1, "run": "2ms", "timer": {"ref": "z", "period": "10ms"}},
    })
    rc, err, jobs, _, _ = sim(run, tmp, "tie2", wl, "edf", duration="40ms")
    z1 = [j["start"] for j in jobs if j["task"] == "z" and j["release"] == 10 * MS]
    check(rc == 0 and z1 == [14 * MS],
          "tie rule 2 (edf): an equal deadline does not preempt the running job", f"{z1} {err}")
    # a (deadline 20) runs, b (deadline 20) waits; c (deadline 15 ms) preempts a at 5 ms;
    # after c, b runs before a.
    wl = write(tmp, "tie3.json", {
        "a": {"loop": 1, "run": "8ms", "period": "20ms"},
        "b": {"loop": 1, "run": "2ms", "period": "20ms"},
        "c": {"loop": 1, "delay": "5ms", "run": "1ms", "period": "10ms"},
    })
    rc, err, jobs, _, ev = sim(run, tmp, "tie3", wl, "edf", duration="40ms")
    order = [s[2] for s in cpu_slices(ev)]
    check(rc == 0 and order == ["a", "c", "b", "a"],
          "tie rule 3 (edf): a preempted job goes behind the queued jobs with its deadline",
          f"{order} {err}")
    # prio: w wakes at 1 ms on a's level and waits (rule 2); c preempts a at 5 ms; a then
    # goes back to the head of its level, before b and w (rule 3).
    wl = write(tmp, "tie5.json", {
        "a": {"loop": 1, "priority": 1, "run": "8ms"},
        "b": {"loop": 1, "priority": 1, "run": "2ms"},
        "w": {"loop": 1, "priority": 1, "delay": "1ms", "run": "1ms"},
        "c": {"loop": 1, "priority": 2, "delay": "5ms", "run": "1ms"},
    })
    rc, err, jobs, _, ev = sim(run, tmp, "tie5", wl, "prio", duration="20ms")
    order = [(s[2], s[0] // MS) for s in cpu_slices(ev)]
    check(rc == 0 and order == [("a", 0), ("c", 5), ("a", 6), ("b", 9), ("w", 11)],
          "tie rules 2 and 3 (prio): an equal level does not preempt; a preempted job goes "
          "back to the head of its level", f"{order} {err}")
    # rule 4: a job whose work ends exactly when its 4 ms rr slice does finishes first.
    wl = write(tmp, "tie4.json", {"a": {"loop": 1, "run": "4ms"}, "b": {"loop": 1, "run": "4ms"}})
    rc, err, jobs, _, _ = sim(run, tmp, "tie4", wl, "rr", duration="20ms")
    got = {j["task"]: (j["start"], j["finish"]) for j in jobs}
    check(rc == 0 and got == {"a": (0, 4 * MS), "b": (4 * MS, 8 * MS)},
          "tie rule 4 (rr): a job ending with its slice finishes, then the next runs",
          f"{got} {err}")


def run_all(run, check, tmp):
    for t in (test_edf_overload, test_gedf_invariant, test_cbs_isolation, test_horizon,
              test_ipi_only_remote, test_ipi_remote, test_one_decision_per_instant, test_ties):
        t(run, check, tmp)
