#!/usr/bin/env python3
"""The kernel's scheduling trace (trace=sched) as the Chrome/Perfetto trace exosim writes.

Reads a serial log that holds the kernel's dump (`ktrace: ...` lines, printed by the
monitor's `trace` command or at a clean halt; the format is in docs/architecture.md,
"Scheduling trace") and writes the trace-event JSON of sim/metrics/trace.c (docs/sim.md,
"Outputs"): process 1 is the machine, one track per hardware thread (tid = CPU + 1, named
cpuN), an "X" slice (category run) per interval an env ran, named after the env, and
thread-scoped "i" instants `release` and `miss` with the task and job number in args, the
miss at the deadline it missed, as exosim draws them.  The kernel also knows when envs wake,
block and exit: those are instants `wakeup`, `block` and `exit` (exosim has none).  Time is
microseconds with nanosecond decimals from the first event's clock (the dump's `start`),
converted exactly with the dump's TSC rate.

Other lines of the log are skipped; the last dump in it is converted.  A malformed dump is an
error naming the file and line (exit status 2).  Standard library only.

    python3 sim/ktrace.py serial.log -o trace.json
"""

import argparse
import re
import sys

PREFIX = "ktrace: "
BEGIN = re.compile(r"begin cpus (\d+) hz (\d+) start (\d+) now (\d+) policy (\S+)$")
CPU = re.compile(r"cpu (\d+) events (\d+) dropped (\d+)$")
EVENT = re.compile(r"cpu (\d+) tsc (\d+) (\w+) 0x([0-9a-f]+)(?: (.*))?$")
NAME = re.compile(r"env 0x([0-9a-f]+) name (.*)$")
END = re.compile(r"end events (\d+) dropped (\d+)$")
# What follows the env in each event type: the regex and the names of its groups.
ARGS = {
    "switch": (re.compile(r"prev 0x([0-9a-f]+)$"), ("prev",)),
    "wakeup": (re.compile(r"cpu (\d+)$"), ("cpu",)),
    "block": (None, ()),
    "exit": (None, ()),
    "release": (re.compile(r"deadline (\d+) cpu (\d+)$"), ("deadline", "cpu")),
    "miss": (re.compile(r"deadline (\d+) (late|overrun)$"), ("deadline", "kind")),
}


class DumpError(Exception):
    def __init__(self, path, line, msg):
        super().__init__("%s:%s: %s" % (path, line, msg))


class Dump:
    """One parsed dump: header fields, per-CPU event lists, env names."""

    def __init__(self, cpus, hz, start, now, policy):
        self.cpus, self.hz, self.start, self.now, self.policy = cpus, hz, start, now, policy
        self.events = [[] for _ in range(cpus)]  # per CPU: dicts with cpu, tsc, type, env...
        self.dropped = [0] * cpus
        self.names = {}  # env id -> name
        self.cmdline = None


def _event(m, path, lineno, cpu):
    c, tsc, typ, env, rest = m.groups()
    if int(c) != cpu:
        raise DumpError(path, lineno, "an event of cpu %s in cpu %d's section" % (c, cpu))
    if typ not in ARGS:
        raise DumpError(path, lineno, "unknown event type '%s'" % typ)
    ev = {"cpu": cpu, "tsc": int(tsc), "type": typ, "env": int(env, 16)}
    pat, names = ARGS[typ]
    if pat is None:
        if rest:
            raise DumpError(path, lineno, "'%s' takes nothing after the env" % typ)
        return ev
    am = pat.match(rest or "")
    if not am:
        raise DumpError(path, lineno, "bad arguments for '%s': '%s'" % (typ, rest or ""))
    for k, v in zip(names, am.groups()):
        ev[k] = v if k == "kind" else int(v, 16 if k == "prev" else 10)
    return ev


def _parse_one(lines, path, i):
    """The dump whose begin line is lines[i] (0-based); returns (Dump, index after end)."""
    m = BEGIN.match(lines[i][len(PREFIX):])
    if not m:
        raise DumpError(path, i + 1, "bad begin line")
    d = Dump(*(int(x) for x in m.groups()[:4]), m.group(5))
    if d.hz == 0:
        raise DumpError(path, i + 1, "a TSC rate of 0 Hz")
    cpu, want, header, seen = None, 0, 0, [False] * d.cpus

    def close_section():
        if cpu is not None and len(d.events[cpu]) != want:
            raise DumpError(path, header, "cpu %d's header says %d events; its section has %d"
                            % (cpu, want, len(d.events[cpu])))

    for j in range(i + 1, len(lines)):
        if not lines[j].startswith(PREFIX):
            continue  # other output interleaved with the dump
        body, n = lines[j][len(PREFIX):], j + 1
        if (m := CPU.match(body)):
            close_section()
            cpu, want, header = int(m.group(1)), int(m.group(2)), n
            if cpu >= d.cpus or seen[cpu]:
                raise DumpError(path, n, "cpu %d: out of range or listed twice" % cpu)
            seen[cpu], d.dropped[cpu] = True, int(m.group(3))
        elif (m := EVENT.match(body)):
            if cpu is None:
                raise DumpError(path, n, "an event before any cpu header")
            ev = _event(m, path, n, cpu)
            prev = d.events[cpu][-1]["tsc"] if d.events[cpu] else d.start
            if ev["tsc"] < prev:
                raise DumpError(path, n, "cpu %d's time goes back (tsc %d after %d)"
                                % (cpu, ev["tsc"], prev))
            # Another CPU may finish an event as the dump starts: `now` is a bound, not a
            # check (the dump stops recording first, docs/architecture.md).
            d.now = max(d.now, ev["tsc"])
            ev["line"] = n
            d.events[cpu].append(ev)
        elif (m := NAME.match(body)):
            d.names[int(m.group(1), 16)] = m.group(2)
        elif (m := END.match(body)):
            close_section()
            if not all(seen):
                raise DumpError(path, n, "no section for cpu %d" % seen.index(False))
            total = sum(len(e) for e in d.events)
            if (total, sum(d.dropped)) != (int(m.group(1)), int(m.group(2))):
                raise DumpError(path, n, "the end line's totals do not match the sections")
            return d, j + 1
        elif body.startswith("begin "):
            raise DumpError(path, n, "a new dump begins before this one ended")
        else:
            raise DumpError(path, n, "not a dump line: '%s'" % lines[j])
    raise DumpError(path, len(lines), "the dump that begins on line %d has no end line"
                    % (i + 1))


def parse(text, path="<log>"):
    """The last dump in a serial log's text (a Dump), or DumpError."""
    lines = text.replace("\r", "").split("\n")
    dump, cmdline, i = None, None, 0
    while i < len(lines):
        if lines[i].startswith("cmdline: "):
            cmdline = lines[i][len("cmdline: "):]
        if lines[i].startswith(PREFIX + "begin"):
            dump, i = _parse_one(lines, path, i)
            continue
        i += 1
    if dump is None:
        raise DumpError(path, len(lines), "no 'ktrace: begin' line: is trace=sched on?")
    dump.cmdline = cmdline
    return dump


def _us(ns):
    return "%d.%03d" % (ns // 1000, ns % 1000)


def _str(s):
    """A JSON string as met_json_string writes it."""
    out = []
    for ch in s:
        if ch in "\"\\":
            out.append("\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


class Writer:
    """Events as sim/metrics/trace.c prints them: one per line, fields in its order."""

    def __init__(self, dump, machine):
        self.d, self.out = dump, []
        self.out.append('{"ph":"M","pid":1,"name":"process_name","args":{"name":%s}}'
                        % _str(machine))
        for c in range(dump.cpus):
            self.out.append('{"ph":"M","pid":1,"tid":%d,"name":"thread_name",'
                            '"args":{"name":"cpu%d"}}' % (c + 1, c))
            self.out.append('{"ph":"M","pid":1,"tid":%d,"name":"thread_sort_index",'
                            '"args":{"sort_index":%d}}' % (c + 1, c))

    def ns(self, tsc):
        return max(tsc - self.d.start, 0) * 1000000000 // self.d.hz

    def label(self, env):
        name = self.d.names.get(env)
        return "%s 0x%x" % (name, env) if name else "env 0x%x" % env

    def slice(self, cpu, env, start, end):
        s, e = self.ns(start), self.ns(end)
        self.out.append('{"ph":"X","pid":1,"tid":%d,"name":%s,"cat":"run","ts":%s,"dur":%s,'
                        '"args":{"task":%d}}'
                        % (cpu + 1, _str(self.label(env)), _us(s), _us(e - s), env))

    def instant(self, cpu, what, env, tsc, job=None):
        args = '"task":%s' % _str(self.label(env))
        if job is not None:
            args += ',"job":%d' % job
        self.out.append('{"ph":"i","pid":1,"tid":%d,"s":"t","name":"%s","cat":"%s","ts":%s,'
                        '"args":{%s}}' % (cpu + 1, what, what, _us(self.ns(tsc)), args))


def _cpu_events(w, cpu, events, path):
    """One CPU's slices and instants."""
    running, since = None, None
    for ev in events:
        env, tsc = ev["env"], ev["tsc"]
        if ev["type"] == "switch":
            if running is not None and ev["prev"] != running:
                raise DumpError(path, ev["line"], "switch from 0x%x, but 0x%x was running"
                                % (ev["prev"], running))
            if running:
                w.slice(cpu, running, since, tsc)
            running, since = env, tsc
        elif ev["type"] == "release":
            w.instant(cpu, "release", env, tsc, ev["job"])
        elif ev["type"] == "miss":
            w.instant(cpu, "miss", env, ev["deadline"], ev["job"])
        else:
            w.instant(cpu, ev["type"], env, tsc)
    if running:
        # A CPU that dropped events stops at its last one: after that it is not known.
        end = events[-1]["tsc"] if w.d.dropped[cpu] else w.d.now
        w.slice(cpu, running, since, end)


def number_jobs(dump):
    """Job numbers from 0 per env, in time order over every CPU (an env may move): a
    release starts the next; a miss belongs to the job current when it is seen (an overrun
    miss is recorded just before the release that ends its job)."""
    jobs = {}
    merged = sorted((ev for evs in dump.events for ev in evs), key=lambda e: e["tsc"])
    for ev in merged:
        if ev["type"] == "release":
            ev["job"] = jobs[ev["env"]] = jobs.get(ev["env"], -1) + 1
        elif ev["type"] == "miss":
            ev["job"] = max(jobs.get(ev["env"], 0), 0)


def convert(dump, path="<log>", machine="kernel"):
    """The trace JSON text for a Dump."""
    w = Writer(dump, machine)
    number_jobs(dump)
    for cpu in range(dump.cpus):
        _cpu_events(w, cpu, dump.events[cpu], path)
    other = ('"policy":%s,"workload":%s,"cycles":"%d","hz":"%d","dropped":"%d",'
             '"source":"ktrace"'
             % (_str(dump.policy), _str(dump.cmdline or "kernel"), dump.now - dump.start,
                dump.hz, sum(dump.dropped)))
    return ('{"displayTimeUnit":"ns","traceEvents":[\n' + ",\n".join(w.out)
            + '\n],"otherData":{' + other + '}}\n')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("log", help="serial log holding a `ktrace:` dump")
    p.add_argument("-o", "--out", default="-", help="JSON trace to write (default stdout)")
    p.add_argument("--machine", default="kernel", help="process name (exosim: the machine)")
    opts = p.parse_args(argv)
    try:
        with open(opts.log, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        dump = parse(text, opts.log)
        out = convert(dump, opts.log, opts.machine)
    except OSError as e:
        print("ktrace: %s" % e, file=sys.stderr)
        return 2
    except DumpError as e:
        print("ktrace: %s" % e, file=sys.stderr)
        return 2
    if opts.out == "-":
        sys.stdout.write(out)
    else:
        with open(opts.out, "w") as f:
            f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
