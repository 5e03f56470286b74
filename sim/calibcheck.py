#!/usr/bin/env python3
"""Checks a machine profile's measured costs against fresh benchmark output.

    calibcheck.py hw/qemu/machine.json BENCH_OUTPUT...   (- or nothing: standard input)

Every cost entry of the profile that names a benchmark ("bench": NAME, "divisor": D) must
have "cycles" equal to NAME's value from the `BENCH NAME VALUE UNIT` lines, divided by D and
rounded to the nearest integer.  A drift, a benchmark missing from the output or a malformed
entry is reported as FILE:LINE: what (the line of the entry in the profile), exit status 1."""

import json
import re
import sys

BENCH_LINE = re.compile(r"^BENCH (\S+) (\d+(?:\.\d+)?) \S+$")


def read_bench(paths):
    figures = {}
    for path in paths or ["-"]:
        f = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with f:
            for line in f:
                m = BENCH_LINE.match(line.strip())
                if m:
                    figures[m.group(1)] = float(m.group(2))
    return figures


def line_of(text, key):
    """The line of the profile where the cost entry `key` starts (1 if not found)."""
    for i, line in enumerate(text.splitlines(), 1):
        if '"%s"' % key in line:
            return i
    return 1


def check(profile, figures):
    with open(profile, encoding="utf-8") as f:
        text = f.read()
    try:
        costs = json.loads(text)["costs"]
    except (ValueError, KeyError) as e:
        return ["%s:1: not a machine profile with costs (%s)" % (profile, e)], 0
    errors, checked = [], 0
    for key, entry in costs.items():
        if not isinstance(entry, dict) or "bench" not in entry:
            continue
        where = "%s:%d" % (profile, line_of(text, key))
        name, div, cycles = entry["bench"], entry.get("divisor", 1), entry.get("cycles")
        if not isinstance(div, int) or div <= 0 or not isinstance(cycles, int):
            errors.append("%s: %s: cycles and divisor must be positive integers" % (where, key))
        elif name not in figures:
            errors.append("%s: %s: no BENCH %s line in the benchmark output" % (where, key, name))
        elif int(figures[name] / div + 0.5) != cycles:
            errors.append("%s: %s: cycles %d, but BENCH %s %g / %d = %d: recalibrate"
                          % (where, key, cycles, name, figures[name], div,
                             int(figures[name] / div + 0.5)))
        checked += 1
    return errors, checked


def main(argv):
    if len(argv) < 2:
        print("usage: calibcheck.py MACHINE.json [BENCH_OUTPUT...]", file=sys.stderr)
        return 2
    errors, checked = check(argv[1], read_bench(argv[2:]))
    for e in errors:
        print("calibcheck: " + e, file=sys.stderr)
    if errors:
        return 1
    print("calibcheck: %s: %d measured costs match the benchmarks" % (argv[1], checked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
