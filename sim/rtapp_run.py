#!/usr/bin/env python3
"""Runs an exosim workload in the kernel: converts the JSON (docs/sim.md "Workloads") to the
compact spec user/rtapp.c reads, boots the ISO under `qemu -icount shift=0,sleep=off` with
`init=rtapp tests=SPEC sched=POLICY lockcheck=off`, and writes the jobs rtapp prints as
exosim's --csv (task,release,start,finish,response,deadline,missed; cycles from time 0).

  rtapp_run.py --iso ISO --workload W.json --smp N --sched edf|prio|rr|stride|mlfq \\
               --csv OUT.csv [--duration T] [--machine hw/qemu/machine.json]

What the kernel can run: the events run/runtime (fixed time, or {"fixed": t}), sleep, yield
and timer (relative or absolute), phases, loop, instance, delay, cpus, priority, policy,
tickets, period/deadline/budget (and the dl-* names), global.duration.  Anything else that
exosim accepts (io, arrival, random distributions) is refused with its file and line.  Times
become cycles at the machine's clock ("hz", 1 GHz for hw/qemu: one instruction per cycle
under icount), rounded as exosim rounds them.  Scheduling parameters are resolved as exosim
resolves them (sim/machine/params.c): priorities ranked among the distinct values, rate-
monotonic levels under prio when all are equal and every task is periodic, and a period
(the deadline, else one second) for a task without one.  Exit status 0, or 1 with
`rtapp_run: FILE:LINE: what` on a bad workload or a failed run (the serial log is kept
beside OUT.csv as OUT.csv.serial)."""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CMDLINE_MAX = 511   # kern/cmdline.c: the fw_cfg file (BOOT_CMDLINE_MAX - 1 bytes)
TESTS_MAX = 510     # abi/env.h: abi_envinfo.tests, NUL-terminated
MAX_TASKS, MAX_PHASES, MAX_TIMERS = 32, 32, 8  # user/rtapp.c RT_MAX_*
PRIO_LEVELS = 64
POLICIES = ("edf", "prio", "rr", "stride", "mlfq")
EVENTS = ("run", "sleep", "yield", "timer", "io")
TASK_KEYS = ("loop", "instance", "delay", "policy", "priority", "cpus", "dl-runtime",
             "dl-period", "dl-deadline", "period", "deadline", "budget", "tickets", "phases")
IGNORED = ("util_min", "util_max", "hold_ns", "taskgroup", "nodes_membind")
GLOBAL_IGNORED = ("calibration", "pi_enabled", "lock_pages", "logdir", "log_basename",
                  "log_size", "ftrace", "gnuplot", "io_device", "mem_buffer_size",
                  "cumulative_slack")
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "cyc": 0}
CSV_ROW = re.compile(r"^(\d+),(\d+),(\d+),(\d*),(\d*),(\d*),([01])$")


class Bad(Exception):
    """A message for `rtapp_run: FILE:LINE: what`."""

    def __init__(self, line, what):
        super().__init__(what)
        self.line, self.what = line, what


class Source:
    """The workload's text, to name the line a key is on (json keeps no positions)."""

    def __init__(self, text):
        self.text = text

    def line(self, *keys):
        """Line of the first of `keys` found in order, each after the previous."""
        at, line = 0, 1
        for k in keys:
            i = self.text.find('"%s"' % k, at)
            if i < 0:
                break
            at = i + 1
        return self.text.count("\n", 0, at) + 1 if at else line


def event_kind(key):
    """"run", "sleep", "yield", "timer" or "io" for an event key ("run2", "sleep_a"), else
    None; "runtime" is "run"."""
    for name in ("runtime",) + EVENTS:
        if key == name or (key.startswith(name) and key[len(name)] in "0123456789_-"):
            return "run" if name == "runtime" else name
    return None


class Converter:
    def __init__(self, src, hz, ncpus):
        self.src, self.hz, self.ncpus = src, hz, ncpus

    def time(self, v, line, positive=False):
        """exosim's ld_time: integer us exact, real us and strings rounded to nearest."""
        if isinstance(v, dict) and list(v) == ["fixed"]:
            v = v["fixed"]
        if isinstance(v, dict):
            raise Bad(line, "a random distribution (%s) cannot run in the kernel: rtapp runs "
                            "fixed times only" % ", ".join(v))
        if isinstance(v, bool) or not isinstance(v, (int, float, str)):
            raise Bad(line, "expected a time (microseconds, or a string such as \"10ms\")")
        if isinstance(v, int):
            if v < 0:
                raise Bad(line, "negative time %d" % v)
            c = (v * self.hz + 500000) // 1000000
        elif isinstance(v, float):
            if v < 0:
                raise Bad(line, "negative time %g" % v)
            c = int(v * self.hz / 1e6 + 0.5)
        else:
            m = re.fullmatch(r"([0-9.]+(?:[eE][-+]?\d+)?)([a-z]*)", v)
            if not m or (m.group(2) and m.group(2) not in UNITS):
                raise Bad(line, "bad time \"%s\": expected a number and a unit "
                                "(ns, us, ms, s, cyc)" % v)
            x, sec = float(m.group(1)), UNITS[m.group(2)] if m.group(2) else 1e-6
            c = int((x if sec == 0 else x * sec * self.hz) + 0.5)
        if positive and c == 0:
            raise Bad(line, "must be > 0 (it is 0 cycles at this clock)")
        return c

    def phase_events(self, obj, name, path, t):
        for key, v in obj.items():
            line = self.src.line(*path, key)
            kind = event_kind(key)
            if kind == "io":
                raise Bad(line, "task \"%s\": \"%s\" (I/O) cannot run in the kernel: rtapp runs "
                                "run, sleep, yield and timer" % (name, key))
            if kind in ("run", "sleep"):
                t["phases"].append((kind[0], self.time(v, line)))
            elif kind == "yield":
                t["phases"].append(("y", 0))
            elif kind == "timer":
                t["phases"].append(self.timer(v, line, t))
            elif key == "loop" and path[-1] != name:
                continue  # a phase's own repeat count
            elif key in IGNORED or (key in TASK_KEYS and path[-1] == name):
                continue
            else:
                raise Bad(line, "task \"%s\": \"%s\" cannot run in the kernel (or is not a "
                                "workload key)" % (name, key))

    def timer(self, v, line, t):
        if not isinstance(v, dict) or "ref" not in v or "period" not in v:
            raise Bad(line, "a timer is an object {\"ref\", \"period\", \"mode\"}")
        mode = v.get("mode", "relative")
        if mode not in ("relative", "absolute"):
            raise Bad(line, "timer mode must be relative or absolute")
        refs = t["refs"]
        if v["ref"] not in refs:
            refs.append(v["ref"])
        if len(refs) > MAX_TIMERS:
            raise Bad(line, "more than %d timers in one task" % MAX_TIMERS)
        return ("t", refs.index(v["ref"]), self.time(v["period"], line, True), mode[0])

    def task(self, name, obj, policy, jname):
        """Task `name` (instance of `jname`, the key in the file, which errors name)."""
        line = self.src.line("tasks", jname)
        if not isinstance(obj, dict):
            raise Bad(line, "task \"%s\" must be an object" % name)
        if "arrival" in obj:
            raise Bad(self.src.line("tasks", jname, "arrival"), "task \"%s\": \"arrival\" (open "
                      "loop) cannot run in the kernel: rtapp runs closed loops" % name)
        t = {"name": name, "phases": [], "refs": [], "line": line, "jname": jname}
        if "phases" in obj:
            for pname, ph in obj["phases"].items():
                start, n = len(t["phases"]), ph.get("loop", 1) if isinstance(ph, dict) else 1
                self.phase_events(ph, jname, ("tasks", jname, pname), t)
                t["phases"] += t["phases"][start:] * (n - 1)
        self.phase_events(obj, jname, ("tasks", jname), t)
        if not t["phases"]:
            raise Bad(line, "task \"%s\" has no events" % name)
        if len(t["phases"]) > MAX_PHASES:
            raise Bad(line, "task \"%s\": %d events, rtapp takes %d" %
                      (name, len(t["phases"]), MAX_PHASES))
        self.params(obj, t, policy)
        return t

    def params(self, obj, t, policy):
        def given(*keys):
            for k in keys:
                if k in obj:
                    return self.time(obj[k], self.src.line("tasks", t["jname"], k), True)
            return None
        name, line = t["name"], t["line"]
        pol = obj.get("policy", policy)
        t["priority"] = obj.get("priority", 10 if pol in ("SCHED_RR", "SCHED_FIFO") else 0)
        t["tickets"] = obj.get("tickets", 100)
        t["loop"] = obj.get("loop", -1)
        t["offset"] = self.time(obj["delay"], line) if "delay" in obj else 0
        cpus = obj.get("cpus")
        t["cpus"] = None
        if cpus is not None:
            if not isinstance(cpus, list) or not cpus or any(
                    not isinstance(c, int) or c < 0 or c >= self.ncpus for c in cpus):
                raise Bad(self.src.line("tasks", t["jname"], "cpus"),
                          "cpus must list CPUs 0..%d (--smp %d)" % (self.ncpus - 1, self.ncpus))
            t["cpus"] = sum(1 << c for c in set(cpus))
        period, deadline, budget = given("period", "dl-period"), given(
            "deadline", "dl-deadline"), given("budget", "dl-runtime")
        timers = [p for p in t["phases"] if p[0] == "t"]
        tp = {p[2] for p in timers}
        t["period"] = period if period is not None else (tp.pop() if len(tp) == 1 else 0)
        t["deadline"] = deadline if deadline is not None else t["period"]
        t["budget"] = budget or 0
        # derive_from_timers: each timer's job deadline; the first job takes the first's.
        t["first_deadline"] = t["deadline"]
        t["phases"] = [("t", p[1], p[2], deadline if deadline is not None else p[2], p[3])
                       if p[0] == "t" else p for p in t["phases"]]
        if timers:
            t["first_deadline"] = next(p[3] for p in t["phases"] if p[0] == "t")
        if deadline is not None and t["period"] and deadline > t["period"]:
            raise Bad(line, "task \"%s\": the deadline is longer than the period" % name)
        if budget and (budget > (t["period"] or budget) or budget > (t["deadline"] or budget)):
            raise Bad(line, "task \"%s\": the budget exceeds the period or deadline" % name)
        if budget and not t["period"] and not t["deadline"]:
            raise Bad(line, "task \"%s\": a budget needs a period or a deadline" % name)


def kernel_params(tasks, policy, hz):
    """sim/machine/params.c sim_task_params, exactly."""
    out = []
    for t in tasks:
        p = {"period": t["period"], "deadline": t["deadline"], "budget": t["budget"]}
        if p["period"] == 0:
            p["period"] = p["deadline"] or hz
            p["deadline"], p["budget"] = p["period"], 0
        out.append(p)
    levels = sorted({t["priority"] for t in tasks}, reverse=True)
    for t, p in zip(tasks, out):
        p["priority"] = min(levels.index(t["priority"]), PRIO_LEVELS - 1)
    rm = (len(tasks) > 1 and len(levels) == 1 and all(t["period"] for t in tasks))
    if rm and policy == "prio":
        periods = sorted({p["period"] for p in out})
        for p in out:
            p["priority"] = min(periods.index(p["period"]), PRIO_LEVELS - 1)
    return out


def num(n):
    for suffix, m in (("g", 10 ** 9), ("m", 10 ** 6), ("k", 10 ** 3)):
        if n and n % m == 0:
            return "%d%s" % (n // m, suffix)
    return str(n)


def spec(tasks, params, duration):
    parts = ["d" + num(duration)]
    for t, p in zip(tasks, params):
        f = ""
        if t["cpus"] is not None:
            f += "c%x" % t["cpus"]
        if t["offset"]:
            f += "o" + num(t["offset"])
        if t["loop"] != -1:
            f += "l%d" % t["loop"]
        if t["first_deadline"]:
            f += ("F" if any(ph[0] == "t" for ph in t["phases"]) else "J") + num(
                t["first_deadline"])
        f += "p%d" % p["priority"]
        if t["tickets"] != 100:
            f += "k%d" % t["tickets"]
        f += "P" + num(p["period"])
        if p["deadline"] != p["period"]:
            f += "D" + num(p["deadline"])
        if p["budget"]:
            f += "B" + num(p["budget"])
        ph = []
        for e in t["phases"]:
            ph.append("y" if e[0] == "y" else e[0] + num(e[1]) if e[0] in "rs" else
                      "t%d:%s:%s:%s" % (e[1], num(e[2]), num(e[3]), e[4]))
        parts.append(f + "|" + ".".join(ph))
    return "/".join(parts)


def load(path, hz, ncpus, duration_arg):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise Bad(0, "cannot read: %s" % e.strerror)

    def no_dups(pairs):
        d = {}
        for k, v in pairs:
            if k in d:
                raise Bad(Source(text).line(k), "duplicate key \"%s\"" % k)
            d[k] = v
        return d
    try:
        w = json.loads(text, object_pairs_hook=no_dups)
    except json.JSONDecodeError as e:
        raise Bad(e.lineno, e.msg)
    src = Source(text)
    if not isinstance(w, dict) or not isinstance(w.get("tasks"), dict) or not w["tasks"]:
        raise Bad(1, "a workload is an object with a non-empty \"tasks\" object")
    for k in w:
        if k not in ("tasks", "global", "resources"):
            raise Bad(src.line(k), "unknown key \"%s\"" % k)
    g = w.get("global", {})
    for k in g:
        if k not in ("duration", "default_policy") + GLOBAL_IGNORED:
            raise Bad(src.line("global", k), "unknown key \"%s\" in global" % k)
    conv = Converter(src, hz, ncpus)
    tasks = []
    for name, obj in w["tasks"].items():
        n = obj.get("instance", 1) if isinstance(obj, dict) else 1
        for k in range(n):
            tasks.append(conv.task(name if n == 1 else "%s-%d" % (name, k), obj,
                                   g.get("default_policy", "SCHED_OTHER"), name))
    if len(tasks) > MAX_TASKS:
        raise Bad(src.line("tasks"), "%d tasks, rtapp takes %d" % (len(tasks), MAX_TASKS))
    if duration_arg is not None:
        duration = conv.time(duration_arg, 0, True)
    elif "duration" in g and g["duration"] != -1:
        d = g["duration"]
        duration = conv.time(d, src.line("global", "duration"), True) if isinstance(
            d, str) else int(d * hz + 0.5)
    else:
        duration = hz
    return tasks, duration


def boot(opts, args, serial):
    if os.path.exists(serial):
        os.unlink(serial)  # a log from an earlier run would end the wait at once
    argv = [opts.qemu, "-cdrom", opts.iso, "-m", "256", "-smp", str(opts.smp), "-display",
            "none", "-no-reboot", "-nic", "none", "-monitor", "none", "-serial",
            "file:" + serial, "-icount", "shift=0,sleep=off",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
            "-fw_cfg", "name=opt/exolab/cmdline,string=" + args.replace(",", ",,")]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    end = re.compile(r"^rtapp: csv end \d+ rows$|^panic: |^rtapp: spec: |^TRAP ", re.M)
    try:
        deadline = time.monotonic() + opts.timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if os.path.exists(serial):
                with open(serial, "rb") as f:
                    if end.search(f.read().decode("utf-8", "replace").replace("\r", "")):
                        break
            time.sleep(0.1)  # polling the log file, not synchronising with the guest
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    with open(serial, "rb") as f:
        return f.read().decode("utf-8", "replace").replace("\r", "")


def quote(name):
    return '"%s"' % name.replace('"', '""') if re.search(r'[",\n]', name) else name


def collect(text, tasks, log):
    lines = text.split("\n")

    def fail(pattern, what):
        for i, l in enumerate(lines):
            if re.search(pattern, l):
                raise Bad(i + 1, what + ": " + l.strip())
    fail(r"^panic: |^TRAP |^rtapp: spec: |^rtapp: .*(refused|too short|panic)", "the run failed")
    fail(r"^rtapp: task \d+: \d+ jobs not recorded", "rtapp ran out of job records")
    try:
        b = lines.index("rtapp: csv begin")
        e = next(i for i in range(b, len(lines)) if lines[i].startswith("rtapp: csv end"))
    except (ValueError, StopIteration):
        raise Bad(len(lines), "no complete 'rtapp: csv begin/end' block (timeout?)")
    rows = []
    for i in range(b + 1, e):
        m = CSV_ROW.match(lines[i])
        if not m or int(m.group(1)) >= len(tasks):
            raise Bad(i + 1, "not a job row: " + lines[i])
        rows.append([quote(tasks[int(m.group(1))]["name"])] + list(m.groups()[1:]))
    if "rtapp: csv end %d rows" % len(rows) != lines[e]:
        raise Bad(e + 1, "row count mismatch: " + lines[e])
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iso", default=os.path.join(ROOT, "obj", "exolab.iso"))
    p.add_argument("--workload", required=True)
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--sched", choices=POLICIES, default="edf")
    p.add_argument("--csv", required=True)
    p.add_argument("--duration", help="a time (exosim's units); default the workload's")
    p.add_argument("--machine", default=os.path.join(ROOT, "hw", "qemu", "machine.json"))
    p.add_argument("--qemu", default=os.environ.get("QEMU", "qemu-system-x86_64"))
    p.add_argument("--timeout", type=float, default=900, help="host seconds (default 900)")
    p.add_argument("--print-spec", action="store_true", help="print the spec and stop")
    opts = p.parse_args()
    where = opts.workload
    try:
        try:
            with open(opts.machine) as f:
                hz = int(json.load(f)["hz"])
        except (OSError, ValueError, KeyError) as e:
            where = opts.machine
            raise Bad(0, "no usable \"hz\": %s" % e)
        if not 1 <= opts.smp <= 64:
            raise Bad(0, "--smp must be 1..64")
        tasks, duration = load(opts.workload, hz, opts.smp, opts.duration)
        s = spec(tasks, kernel_params(tasks, opts.sched, hz), duration)
        args = "init=rtapp tests=%s sched=%s lockcheck=off" % (s, opts.sched)
        if len(s) > TESTS_MAX or len(args) > CMDLINE_MAX:
            raise Bad(1, "the workload is %d bytes as an rtapp spec, more than the kernel "
                         "command line takes (%d)" % (len(s), TESTS_MAX))
        if opts.print_spec:
            print(s)
            return 0
        if not os.path.exists(opts.iso):
            where = opts.iso
            raise Bad(0, "no ISO (run make first)")
        serial = opts.csv + ".serial"
        text = boot(opts, args, serial)
        where = serial
        rows = collect(text, tasks, serial)
    except Bad as b:
        print("rtapp_run: %s:%d: %s" % (where, b.line, b.what), file=sys.stderr)
        return 1
    with open(opts.csv, "w") as f:
        f.write("task,release,start,finish,response,deadline,missed\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
