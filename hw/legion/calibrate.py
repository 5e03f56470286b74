#!/usr/bin/env python3
"""Turns the Legion's collected BENCH results (collect.py's CSV) into exosim's legion profile.

    calibrate.py RESULTS.csv... [--profile hw/legion] [--out DIR] [--machine NAME] [--ssd NAME]
    calibrate.py --check RESULTS.csv... [--profile hw/legion] [--machine NAME]

Reads the profile (DIR/machine.json, nvme.json, nic.json: the fields sim/machine/profile.c,
sim/nvme/nvsim_prof.c and sim/net/netsim_load.c load) and writes it to --out (default: over
the profile).  Each value the CSV gives is marked measured, with the machine and the date of
its rows and how it was derived (machine.json: "measured"; nvme.json and nic.json, whose
loaders know "source" and "estimate": "source": "measured on ..."); every other value keeps
its current figure and its "estimate" (or the measurement of an earlier calibration).  The
figures are TSC cycles (unit `cycles`; `hz` for the TSC rate): QEMU's `instructions` are the
stand-in's, not the laptop's, and are refused for a calibrated figure.  A name measured more
than once (several boots) counts with the median of its values.

The CSV must be `name,value,unit,machine,date`; a bad row (field count, a value that is not a
non-negative number, an unknown unit, a bad date) is reported as FILE:LINE: what, and nothing
is written; exit status 1.  --check validates the CSV and the profile and says which values
would be measured, writing nothing.  docs/legion.md, "Calibrating the simulator"."""

import argparse
import copy
import csv
import json
import math
import os
import re
import statistics
import sys

FIELDS = ["name", "value", "unit", "machine", "date"]
# Every unit a BENCH line of this tree uses; anything else is a typo or a foreign tool.
UNITS = {"cycles", "instructions", "interrupts", "hz", "cqes", "frames"}
DATE = re.compile(r"^\d{4}-\d\d-\d\d$")
QD = 32  # the queue depth of benchnvme's and nvmetest's depth-32 runs
Z99 = 2.3263  # the standard normal's 99th percentile: p99 / median of a lognormal = e^(Z99 sigma)
INLINE_PARENTS = {"costs", "driver_costs"}  # their entries are written one to a line
INLINE_KEYS = {"read", "write"}


class Missing(Exception):
    """A derivation needs a BENCH name the CSV does not have."""


class Results:
    """The CSV rows: per name, values, unit, machines and dates; errors as FILE:LINE."""

    def __init__(self):
        self.rows = {}  # name -> list of (value, unit, machine, date, where)
        self.errors = []

    def read(self, path):
        try:
            f = open(path, encoding="utf-8", newline="")
        except OSError as e:
            self.errors.append("%s:1: cannot read: %s" % (path, e.strerror))
            return
        with f:
            r = csv.reader(f)
            header = next(r, None)
            if header != FIELDS:
                self.errors.append("%s:1: header %s, want %s" % (path, header, ",".join(FIELDS)))
                return
            for row in r:
                self.row(row, "%s:%d" % (path, r.line_num))

    def row(self, row, where):
        if not row:
            return
        if len(row) != len(FIELDS):
            self.errors.append("%s: %d fields, want %d (%s)" % (where, len(row), len(FIELDS),
                                                                  ",".join(FIELDS)))
            return
        name, value, unit, machine, date = (x.strip() for x in row)
        try:
            v = float(value)
        except ValueError:
            v = -1.0
        if not name:
            self.errors.append("%s: empty name" % where)
        elif not (v >= 0 and math.isfinite(v)):
            self.errors.append("%s: %s: value %r is not a non-negative number" % (where, name, value))
        elif unit not in UNITS:
            self.errors.append("%s: %s: unknown unit %r (known: %s)" % (where, name, unit,
                                                                       ", ".join(sorted(UNITS))))
        elif not machine:
            self.errors.append("%s: %s: empty machine" % (where, name))
        elif not DATE.match(date):
            self.errors.append("%s: %s: date %r, want YYYY-MM-DD" % (where, name, date))
        else:
            self.rows.setdefault(name, []).append((v, unit, machine, date, where))

    def machines(self, names):
        return sorted({r[2] for n in names for r in self.rows.get(n, [])})


class Source:
    """The figures of one machine, as derivations read them; records what each used."""

    def __init__(self, results, machine):
        self.results = results
        self.machine = machine
        self.errors = []

    def get(self, name, unit="cycles"):
        rows = [r for r in self.results.rows.get(name, []) if r[2] == self.machine]
        if not rows:
            raise Missing(name)
        for v, u, _, _, where in rows:
            if u != unit:
                self.errors.append("%s: %s: unit %s, but the profile needs %s%s" % (
                    where, name, u, unit, " (instructions are QEMU icount's, not the machine's "
                    "TSC cycles: run the bench with its `cycles` argument)"
                    if u == "instructions" else ""))
                raise Missing(name)
        return statistics.median(r[0] for r in rows)

    def date(self, names):
        return max(r[3] for n in names for r in self.results.rows.get(n, [])
                   if r[2] == self.machine)


# machine.json costs: per cost, derivations tried in order; each returns (cycles, the BENCH
# names used, how).  Costs with none (migration, cache_line_transfer) stay estimated.
def syscall(s):
    return s.get("syscall_null"), ["syscall_null"], "BENCH syscall_null (benchnull)"


def context_switch(s):
    return (s.get("ctxsw_yield_roundtrip") / 2, ["ctxsw_yield_roundtrip"],
            "BENCH ctxsw_yield_roundtrip / 2 (benchctx: a yield round trip is two switches)")


def timer_direct(s):
    return (s.get("timer_interrupt"), ["timer_interrupt"],
            "BENCH timer_interrupt (benchirq under sched=edf: a timer interrupt that switches "
            "nothing)")


def timer_wake(s):
    w, y = s.get("timer_wake"), s.get("ctxsw_yield_roundtrip")
    return (w - y / 2, ["timer_wake", "ctxsw_yield_roundtrip"],
            "BENCH timer_wake - ctxsw_yield_roundtrip / 2 (benchctx: the timer's wake-up of a "
            "sleeper, less the switch into it)")


def ipi(s):
    x, loc = s.get("ipc_xcpu_roundtrip"), s.get("ipc_local_roundtrip")
    return ((x - loc) / 2, ["ipc_xcpu_roundtrip", "ipc_local_roundtrip"],
            "(BENCH ipc_xcpu_roundtrip - ipc_local_roundtrip) / 2 (benchctx: an IPC round trip "
            "to a server on another CPU costs two wake-up IPIs more than on the same CPU)")


MACHINE_COSTS = {
    "syscall": [syscall],
    "context_switch": [context_switch],
    "timer_interrupt": [timer_direct, timer_wake],
    "ipi": [ipi],
}


# Driver costs fitted as a + b*n (the call's fixed part and each request's): the figure per
# request at depth 1 is a + b, at depth 32 with k requests per call (a + k b) / k.
def fit(s, one, deep, k):
    c1, ck = s.get(one), s.get(deep)
    if k <= 1:
        raise Missing(deep)
    b = (k * ck - c1) / (k - 1)
    return c1 - b, b


def nvme_submit(s):
    a, b = fit(s, "nvme_read4k_submit", "nvme_qd32_submit", QD)
    how = "fitted a + b*n to BENCH nvme_read4k_submit (n = 1) and nvme_qd32_submit (n = %d)" % QD
    return {"submit_call": a, "submit_req": b}, ["nvme_read4k_submit", "nvme_qd32_submit"], how


def nvme_poll(s):
    k = s.get("nvme_qd32_per_poll", "cqes")
    a, b = fit(s, "nvme_read4k_complete", "nvme_qd32_complete", k)
    how = ("fitted a + b*n to BENCH nvme_read4k_complete (n = 1) and nvme_qd32_complete "
           "(n = nvme_qd32_per_poll = %g)" % k)
    return ({"poll_call": a, "poll_cqe": b},
            ["nvme_read4k_complete", "nvme_qd32_complete", "nvme_qd32_per_poll"], how)


# The Legion's packet bench (user/legion_pkt.h, run by legion's bench entry against
# collect.py --echo-port): the driver's own calls, timed around net_tx/net_rx only.
def nic_legion_tx(s):
    """tx_call + n tx_pkt fitted to a transmit call with one frame and one with a burst."""
    c1, cb, k = s.get("packet_tx_1"), s.get("packet_tx_burst"), s.get("packet_burst_frames",
                                                                      "frames")
    if k <= 1:
        raise Missing("packet_burst_frames")
    b = (cb - c1) / (k - 1)
    return ({"tx_call": c1 - b, "tx_pkt": b},
            ["packet_tx_1", "packet_tx_burst", "packet_burst_frames"],
            "fitted a + b*n to BENCH packet_tx_1 (n = 1) and packet_tx_burst (one transmit call "
            "of n = packet_burst_frames = %g frames; legion's packet bench, the driver's call "
            "only)" % k)


def nic_legion_rx(s):
    """rx_call: a receive call that finds nothing; rx_pkt: each frame beyond that."""
    empty = s.get("packet_rx_empty")
    try:
        frame, how = s.get("packet_rx_frame"), "packet_rx_frame (the frames of echoed bursts)"
        names = ["packet_rx_empty", "packet_rx_frame"]
    except Missing:
        frame, how = s.get("packet_rx_1") - empty, "packet_rx_1 - packet_rx_empty"
        names = ["packet_rx_empty", "packet_rx_1"]
    return ({"rx_call": empty, "rx_pkt": frame}, names,
            "BENCH packet_rx_empty (a receive call finding nothing) and %s; legion's packet "
            "bench, the driver's call only" % how)


def nic_costs(s):
    rx, tx, fwd = s.get("net_rx_pkt"), s.get("net_tx_pkt"), s.get("net_fwd_pkt")
    return ({"rx_pkt": rx, "tx_pkt": tx, "fwd_pkt": fwd - rx - tx},
            ["net_rx_pkt", "net_tx_pkt", "net_fwd_pkt"],
            "BENCH net_rx_pkt, net_tx_pkt, net_fwd_pkt - both (nettest's batch of 32)")


def mark(entry, cycles, text):
    """A driver cost measured: its cycles and "source": text in place of its estimate."""
    entry["cycles"] = cycles
    entry.pop("estimate", None)
    entry["source"] = text


class Calibration:
    def __init__(self, profile, src, ssd):
        self.p = copy.deepcopy(profile)
        self.src = src
        self.ssd = ssd
        self.measured, self.estimated, self.notes = [], [], []

    def stamp(self, names, how):
        return "%s on %s: %s" % (self.src.date(names), self.src.machine, how)

    def tried(self, what, derivations):
        for d in derivations:
            try:
                return d(self.src)
            except Missing:
                continue
        self.estimated.append(what)
        return None

    def machine(self):
        m = self.p["machine"]
        try:
            hz = self.src.get("tsc_hz", "hz")
            m["hz"] = int(round(hz))
            m["hz_source"] = self.stamp(["tsc_hz"], "BENCH tsc_hz (the kernel's TSC calibration, "
                                        "abi_envinfo.tsc_hz)")
            self.measured.append("machine.hz")
        except Missing:
            self.estimated.append("machine.hz")
        for cost, entry in m["costs"].items():
            got = self.tried("machine.costs." + cost, MACHINE_COSTS.get(cost, []))
            if got is None:
                continue
            value, names, how = got
            if value < 0:
                self.notes.append("machine.costs.%s: derived %g < 0: kept the old figure" %
                                  (cost, value))
                continue
            entry.pop("estimate", None)
            entry["cycles"] = int(round(value))
            entry["measured"] = self.stamp(names, how)
            self.measured.append("machine.costs." + cost)

    def driver(self, file, derivations, names_all):
        costs = self.p[file]["driver_costs"]
        done = set()
        for d in derivations:  # the first derivation that gives a cost wins
            try:
                values, names, how = d(self.src)
            except Missing:
                continue
            values = {k: v for k, v in values.items() if k not in done}
            if not values:
                continue
            if min(values.values()) < 0:
                self.notes.append("%s: %s gave a negative figure %s: kept the old figures" %
                                  (file, how, values))
                continue
            for k, v in values.items():
                mark(costs[k], int(round(v)), "measured " + self.stamp(names, how))
                done.add(k)
                self.measured.append("%s.driver_costs.%s" % (file, k))
        self.estimated += ["%s.driver_costs.%s" % (file, k) for k in names_all if k not in done]

    def ssd_read(self):
        ssds = self.p["nvme"]["ssds"]
        d = ssds[self.ssd]
        hz = self.p["machine"]["hz"]
        try:
            p50, p99 = self.src.get("nvme_qd1_lat_p50"), self.src.get("nvme_qd1_lat_p99")
        except Missing:
            self.estimated.append("nvme.ssds.%s.read" % self.ssd)
            return
        sw = self.optional("nvme_read4k_submit") + self.optional("nvme_read4k_complete")
        fixed_us = parse_us(d["read"]["fixed"])
        xfer_us = 4096 / d["link_mb_s"]  # bytes over MB/s = microseconds
        base = fixed_us + xfer_us + sw * 1e6 / hz
        med, tail = p50 * 1e6 / hz - base, p99 * 1e6 / hz - base
        if med <= 0 or tail < med:
            self.notes.append("nvme.ssds.%s.read: QD1 p50 %.1f us leaves no flash time after "
                              "fixed + transfer + software (%.1f us): kept" % (
                                  self.ssd, p50 * 1e6 / hz, base))
            self.estimated.append("nvme.ssds.%s.read" % self.ssd)
            return
        sigma = math.log(tail / med) / Z99 if tail > med else 0.0
        r = d["read"]
        r["unit"] = {"lognormal": ["%.1fus" % med, round(min(sigma, 10.0), 3)]}
        r.pop("estimate", None)
        r["source"] = "measured " + self.stamp(
            ["nvme_qd1_lat_p50", "nvme_qd1_lat_p99"],
            "BENCH nvme_qd1_lat_p50 and _p99 (benchnvme, 4 KiB reads at depth 1, hz %d) less "
            "the fixed %s, the transfer %.2f us and the driver's %.0f cycles; sigma from "
            "p99/p50 of a lognormal" % (hz, r["fixed"], xfer_us, sw))
        self.measured.append("nvme.ssds.%s.read" % self.ssd)
        self.ssd_units(d, med, base, hz)

    def ssd_units(self, d, med, base, hz):
        """At depth 32 the reads queue on `units` flash units: the median latency's flash part
        is about 32 / units unit times when units < 32."""
        try:
            q = self.src.get("nvme_qd32_lat_p50") * 1e6 / hz - base
        except Missing:
            self.estimated.append("nvme.ssds.%s.units" % self.ssd)
            return
        units = max(1, min(256, int(round(QD * med / q)))) if q > med else max(QD, d["units"])
        d["units"] = units
        text = d.get("source") or d.get("estimate", "")
        key = "source" if "source" in d else "estimate"
        d[key] = text.split(" | calibrate.py: ")[0] + " | calibrate.py: units %d measured %s" % (
            units, self.stamp(["nvme_qd32_lat_p50"], "BENCH nvme_qd32_lat_p50 %.1f us of flash "
                              "time against %.1f us at depth 1" % (max(q, 0), med)))
        self.measured.append("nvme.ssds.%s.units" % self.ssd)

    def packet_rtt(self):
        """The round trip includes the wire and the echo peer: reported, no profile figure."""
        try:
            p50, p99 = self.src.get("packet_rtt_p50"), self.src.get("packet_rtt_p99")
        except Missing:
            return
        self.notes.append("packet_rtt p50 %g, p99 %g cycles: the round trip to collect.py's "
                          "echo port includes the wire and the peer computer, so it is no "
                          "profile figure (exosim's link model is nic.json's own)" % (p50, p99))

    def optional(self, name):
        try:
            return self.src.get(name)
        except Missing:
            return 0.0

    def run(self):
        self.machine()
        self.driver("nvme", [nvme_submit, nvme_poll], self.p["nvme"]["driver_costs"])
        self.driver("nic", [nic_legion_tx, nic_legion_rx, nic_costs],
                    self.p["nic"]["driver_costs"])
        self.ssd_read()
        self.packet_rtt()
        return self.p


def parse_us(t):
    m = re.match(r"^(\d+(?:\.\d+)?)(ns|us|ms)$", str(t))
    if not m:
        raise ValueError("time %r: want N ns|us|ms" % t)
    return float(m.group(1)) * {"ns": 1e-3, "us": 1.0, "ms": 1e3}[m.group(2)]


# What exosim's loaders require of each file (sim/machine/profile.c load_costs,
# sim/nvme/nvsim_prof.c costs, sim/net/netsim_load.c): checked before and after.
NVME_COSTS = ["mmio_read", "mmio_write", "submit_call", "submit_req", "poll_call", "poll_cqe", "irq"]
NIC_COSTS = ["rx_pkt", "tx_pkt", "fwd_pkt", "rx_call", "tx_call", "mmio_write", "mmio_read", "irq"]
MACHINE_COST_NAMES = ["syscall", "context_switch", "migration", "timer_interrupt", "ipi",
                      "cache_line_transfer"]


def cost_errors(where, costs, names, marks):
    errs = []
    if not isinstance(costs, dict):
        return ["%s: not an object" % where]
    for n in names:
        e = costs.get(n)
        if not isinstance(e, dict) or not isinstance(e.get("cycles"), int) or e["cycles"] < 0:
            errs.append("%s.%s: needs {\"cycles\": N >= 0, ...}" % (where, n))
        elif not any(isinstance(e.get(m), str) for m in marks):
            errs.append("%s.%s: needs one of %s (where the figure is from)" % (where, n, marks))
    return errs


def profile_errors(p, ssd):
    m, nv, nic = p["machine"], p["nvme"], p["nic"]
    errs = []
    if not isinstance(m.get("hz"), int) or m["hz"] < 1000:
        errs.append("machine.json: hz must be an integer >= 1000")
    errs += cost_errors("machine.json: costs", m.get("costs"), MACHINE_COST_NAMES,
                        ["measured", "estimate"])
    errs += cost_errors("nvme.json: driver_costs", nv.get("driver_costs"), NVME_COSTS,
                        ["source", "estimate"])
    errs += cost_errors("nic.json: driver_costs", nic.get("driver_costs"), NIC_COSTS,
                        ["source", "estimate"])
    d = nv.get("ssds", {}).get(ssd)
    if not isinstance(d, dict):
        errs.append("nvme.json: no SSD %r in ssds" % ssd)
    else:
        for op in ("read", "write"):
            o = d.get(op, {})
            if "unit" not in o or "fixed" not in o or not ("source" in o or "estimate" in o):
                errs.append("nvme.json: ssds.%s.%s needs unit, fixed and source or estimate"
                            % (ssd, op))
        if not isinstance(d.get("units"), int) or not 1 <= d["units"] <= 256:
            errs.append("nvme.json: ssds.%s.units must be an integer in [1, 256]" % ssd)
    return errs


def load_profile(d):
    p = {}
    for f in ("machine", "nvme", "nic"):
        path = os.path.join(d, f + ".json")
        try:
            with open(path, encoding="utf-8") as fh:
                p[f] = json.load(fh)
        except OSError as e:
            raise SystemExit("calibrate.py: %s:1: cannot read: %s" % (path, e.strerror))
        except ValueError as e:
            raise SystemExit("calibrate.py: %s:%d: %s" % (path, getattr(e, "lineno", 1), e))
    return p


def dump(v, path=(), indent=0):
    """JSON as the hand-written profiles lay it out: cost entries and read/write one to a
    line, their keys aligned; other objects one member a line."""
    if not isinstance(v, dict) or not v:
        return json.dumps(v, ensure_ascii=False)
    if (len(path) >= 2 and path[-2] in INLINE_PARENTS) or (path and path[-1] in INLINE_KEYS):
        return "{ " + ", ".join("%s: %s" % (json.dumps(k), json.dumps(x, ensure_ascii=False))
                                for k, x in v.items()) + " }"
    pad = " " * (indent + 2)
    width = max(len(json.dumps(k)) + 1 for k in v) if path and path[-1] in INLINE_PARENTS else 0
    lines = ["%s%s %s" % (pad, (json.dumps(k) + ":").ljust(width), dump(x, path + (k,), indent + 2))
             for k, x in v.items()]
    return "{\n" + ",\n".join(lines) + "\n" + " " * indent + "}"


def pick_machine(results, opt):
    names = list(results.rows)
    machines = results.machines(names)
    if opt:
        if opt not in machines:
            raise SystemExit("calibrate.py: --machine %r: no rows (machines: %s)" %
                             (opt, ", ".join(machines) or "none"))
        return opt
    if len(machines) > 1:
        raise SystemExit("calibrate.py: rows from several machines (%s): choose one with "
                         "--machine" % ", ".join(machines))
    return machines[0] if machines else None


def parse_args(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("csv", nargs="+", help="collect.py CSV files")
    p.add_argument("--profile", default=here, help="the profile to start from (default %(default)s)")
    p.add_argument("--out", help="where to write machine.json, nvme.json, nic.json (default: "
                   "--profile)")
    p.add_argument("--machine", help="use the rows of this machine (needed when there are several)")
    p.add_argument("--ssd", help="the nvme.json SSD the laptop has (default: its default_ssd)")
    p.add_argument("--check", action="store_true", help="validate and report; write nothing")
    return p.parse_args(argv)


def main(argv):
    a = parse_args(argv)
    results = Results()
    for path in a.csv:
        results.read(path)
    profile = load_profile(a.profile)
    ssd = a.ssd or profile["nvme"].get("default_ssd")
    errors = list(results.errors) + profile_errors(profile, ssd)
    if errors:
        for e in errors:
            print("calibrate.py: " + e, file=sys.stderr)
        return 1
    src = Source(results, pick_machine(results, a.machine))
    cal = Calibration(profile, src, ssd)
    out = cal.run()
    errors = src.errors + profile_errors(out, ssd)
    for e in errors:
        print("calibrate.py: " + e, file=sys.stderr)
    for n in cal.notes:
        print("calibrate.py: note: " + n, file=sys.stderr)
    print("calibrate.py: machine %s: measured %d: %s" % (src.machine, len(cal.measured),
                                                         ", ".join(cal.measured) or "none"))
    print("calibrate.py: estimated (kept) %d: %s" % (len(cal.estimated), ", ".join(cal.estimated)))
    if errors:
        return 1
    if a.check:
        return 0
    dest = a.out or a.profile
    os.makedirs(dest, exist_ok=True)
    for f in ("machine", "nvme", "nic"):
        with open(os.path.join(dest, f + ".json"), "w", encoding="utf-8") as fh:
            fh.write(dump(out[f]) + "\n")
    print("calibrate.py: wrote %s/{machine,nvme,nic}.json" % dest)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
