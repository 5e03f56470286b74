#!/usr/bin/env python3
"""The syscall fuzzer's driver (issue 17 items 7 and 8): boots QEMU with user/fuzz as init
(`init=fuzz tests=seed=S,seeds=N,calls=M leakcheck`), one line per seed and a summary.

A seed's verdict: `ok`; `KCHECK` (the kernel's invariant checker, syscall 64, which the
master calls after every seed and the worker at random, found an inconsistency); `UBSAN`
(a kernel built with `make kernel-ubsan` reported undefined behaviour: --iso
obj/ubsan/exolab.iso); `LEAK` (the kernel's leak-check line after the seed differs from the
one printed before the first seed: free pages, capabilities, heap objects); `HANG` (the
master waited too long for the worker, or no output came for --idle seconds: the boot is
killed and the hang is reported, never retried); `PANIC`/`TRAP` (the kernel died: the seed
that was running is named); `died` (the worker never printed its summary: a fault killed
it; a finding except under failalloc, where a program may die of an allocation that
failed); `nospawn` (the master's spawn of the worker returned an error code: not a finding).  A seed replays exactly: `python3 grade/fuzz.py --first S --seeds 1 --calls M`.

`--failalloc SEED:RATE` boots with the kernel's allocation-failure injection
(kern/mm/failalloc.c); `--programs a,b,c` runs those programs through init's tests= list
instead of the fuzzer (lab 3's programs under injection: `make test-failalloc`), each checked
like a seed.  `--boot-seeds B` splits a campaign into boots of B seeds (a kernel that died
ends its boot; the next boot starts after the seed that killed it).  `--log F` appends one
`PASS name` / `FAIL name` line per boot (make test)."""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emulator  # noqa: E402
import gradelib  # noqa: E402

LEAK = re.compile(r"^leak-check: pages (\d+) caps (\d+) heap (\d+)$", re.M)
DIED = [(re.compile(r"^panic: .*$", re.M), "PANIC"), (re.compile(r"^TRAP \d+ .*$", re.M), "TRAP"),
        (re.compile(r"^lockcheck: .*$", re.M), "LOCKCHECK"),
        (re.compile(r"^kcheck: [1-9]\d* inconsistencies$", re.M), "KCHECK"),
        (re.compile(r"^ubsan: .*$", re.M), "UBSAN")]
GOES_ON = ("KCHECK", "UBSAN")  # findings after which the kernel runs on
INJECTED = re.compile(r"^failalloc: injected (\d+) of (\d+) allocations", re.M)


def frames(text, fuzzing):
    """[(name, body, ended)] for every seed's (or init's program's) start ... end frame, the
    last one perhaps open."""
    out = []
    start, end = ((r"^fuzz: seed (\d+) start$", r"^fuzz: seed %s end$") if fuzzing else
                  (r"^init: start (\S+)$", r"^init: end %s$"))
    starts = list(re.finditer(start, text, re.M))
    for i, m in enumerate(starts):
        end_m = re.compile(end % re.escape(m.group(1)), re.M).search(text, m.end())
        stop = end_m.end() if end_m else (starts[i + 1].start() if i + 1 < len(starts) else len(text))
        out.append((m.group(1), text[m.end():stop], end_m is not None))
    return out


# Verdicts that are not findings: the master could not spawn the worker (an error code, as
# under failalloc), or (only under failalloc) the worker died of an allocation that failed.
FINE = {"ok", "nospawn"}
FINE_FAILALLOC = FINE | {"died"}


def verdicts(text, fuzzing):
    """[(name, verdict, detail)] for every frame of the output, in order."""
    first = re.search(r"^(fuzz: seed \d+ start|init: start )", text, re.M)
    base = LEAK.findall(text[:first.start()] if first else "")
    base = start = base[-1] if base else None
    out = []
    for name, body, ended in frames(text, fuzzing):
        died = [(kind, m.group(0)) for pat, kind in DIED for m in [pat.search(body)] if m]
        leaks = LEAK.findall(body)
        if died:
            out.append((name, died[0][0], died[0][1]))
        elif fuzzing and re.search(r"^fuzz: seed \d+: spawn: E_\w+$", body, re.M):
            out.append((name, "nospawn", "spawning the worker failed with an error code"))
        elif not ended or "HANG" in body:
            out.append((name, "HANG", "no end line" if not ended else "the worker never ended"))
        elif base is None or not leaks:
            out.append((name, "LEAK", "no leak-check line (baseline %s)" % (base,)))
        elif leaks[-1] != base:
            # Each seed against the seed before it (the first against the baseline): a leak
            # is reported once, by the seed that made it; `since start` is the drift.
            d = [int(a) - int(b) for a, b in zip(leaks[-1], base)]
            t = [int(a) - int(b) for a, b in zip(leaks[-1], start)]
            base = leaks[-1]
            out.append((name, "LEAK", "pages %+d caps %+d heap %+d (since start: %+d %+d %+d)"
                        % tuple(d + t)))
        elif fuzzing and not re.search(r"^fuzz: worker seed \d+: \d+ calls", body, re.M):
            out.append((name, "died", "the worker never finished its calls"))
        else:
            m = re.search(r"^fuzz: worker seed \d+: (\d+) calls", body, re.M)
            out.append((name, "ok", "%s calls" % m.group(1) if m else ""))
    return out


def boot_args(opts, first, count):
    if opts.programs:
        args = "tests=%s leakcheck" % opts.programs
    else:
        args = "init=fuzz tests=seed=%d,seeds=%d,calls=%d%s%s leakcheck" % (
            first, count, opts.calls, ",orphans" if opts.orphans else "",
            ",trace" if opts.trace else "")
    if opts.failalloc:
        args += " failalloc=" + opts.failalloc
    return args


def run_boot(opts, first, count):
    """Boots once; returns (output, hung): hung when no line came for opts.idle seconds."""
    test = gradelib.Test(gradelib.Lab("fuzz"), "fuzz", None, args=boot_args(opts, first, count),
                         smp=opts.smp, mem=opts.mem)
    workdir = tempfile.mkdtemp(prefix="exolab-fuzz-")
    emu = emulator.Qemu(test, workdir, opts.iso)
    done = (r"^init: all \d+ tests done$" if opts.programs else r"^fuzz: done \d+ seeds")
    idle = opts.idle * emulator.timeout_scale()
    text, hung = "", False
    try:
        emu.start()
        last = time.monotonic()
        with open(emu.serial, "rb") as serial:
            while True:
                exited = emu.proc.poll() is not None
                chunk = serial.read().decode("utf-8", "replace").replace("\r", "")
                if chunk:
                    text += chunk
                    last = time.monotonic()
                if re.search(done, text, re.M) or any(p.search(text) for p, k in DIED
                                                      if k not in GOES_ON):
                    time.sleep(0.5)
                    text += serial.read().decode("utf-8", "replace").replace("\r", "")
                    break
                if exited:
                    break
                if time.monotonic() - last > idle:
                    hung = True
                    break
                time.sleep(0.2)
    finally:
        emu.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return text, hung


def campaign(opts):
    first, end = opts.first, opts.first + opts.seeds
    counts, bad, calls, t0 = {}, [], 0, time.monotonic()
    while first < end:
        count = 1 if opts.programs else min(opts.boot_seeds, end - first)
        text, hung = run_boot(opts, first, count)
        if opts.save:
            with open(opts.save, "a") as f:
                f.write(text)
        results = verdicts(text, not opts.programs)
        if hung and (not results or results[-1][1] == "ok"):
            results.append((str(first + len(results)), "HANG", "no output for %ds" % opts.idle))
        if not results:
            results = [(str(first), "BOOT", "no seed started: " + text.strip()[-200:])]
        for m in re.finditer(r"^fuzz: regression: (.*) FAIL$", text, re.M):
            results.append(("regression", "FAIL", m.group(1)))
        for name, verdict, detail in results:
            counts[verdict] = counts.get(verdict, 0) + 1
            if verdict not in (FINE_FAILALLOC if opts.failalloc else FINE):
                bad.append((name, verdict, detail))
            label = "program" if opts.programs else "seed"
            print("fuzz: %s %s: %s %s" % (label, name, verdict, detail), flush=True)
        for m in re.finditer(r"^fuzz: worker seed \d+: (\d+) calls", text, re.M):
            calls += int(m.group(1))
        inj = INJECTED.findall(text)
        if inj:
            print("fuzz: failalloc injected %s of %s allocations" % inj[-1], flush=True)
        if opts.programs:
            break
        done = [r for r in results if r[0].isdigit()]
        first = (int(done[-1][0]) + 1) if done else first + count
    secs = time.monotonic() - t0
    print("fuzz: summary: %s; %d calls in %.0f s (%.0f calls/s)" % (
        ", ".join("%d %s" % (n, v) for v, n in sorted(counts.items())), calls, secs,
        calls / secs if secs else 0), flush=True)
    for name, verdict, detail in bad:
        print("fuzz: REPLAY %s %s: %s (%s)" % (name, verdict, detail, boot_args(opts, int(
            name) if name.isdigit() else 0, 1)), flush=True)
    if opts.log:
        with open(opts.log, "a") as f:
            f.write("%s %s\n" % ("FAIL" if bad else "PASS", opts.name))
    return 1 if bad else 0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--first", type=int, default=1, help="first seed")
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--calls", type=int, default=2000, help="calls per seed")
    p.add_argument("--boot-seeds", type=int, default=50, help="seeds per boot")
    p.add_argument("--orphans", action="store_true", help="issue 17 defect-1 patterns too")
    p.add_argument("--trace", action="store_true", help="the worker prints every call")
    p.add_argument("--failalloc", default="", help="SEED:RATE allocation-failure injection")
    p.add_argument("--programs", default="",
                   help="a,b,c (or lab3: lab 3's programs): run these through init instead")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--mem", type=int, default=256)
    p.add_argument("--idle", type=int, default=120, help="seconds without output: a hang")
    p.add_argument("--iso", default=emulator.default_iso())
    p.add_argument("--save", help="append the serial output here")
    p.add_argument("--log", help="append a PASS/FAIL line here (make test)")
    p.add_argument("--name", default="fuzz", help="the name in the --log line")
    opts = p.parse_args(argv)
    if opts.programs == "lab3":  # the programs of lab 3's all-in-one boot, and spin
        import lab3
        opts.programs = ",".join(lab3.ALL + ["spin", "faultupcall"])
    # `timeout` and make send SIGTERM: leave through the finally blocks that kill QEMU.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(1))
    if not os.path.exists(opts.iso):
        print("grade/fuzz.py: no ISO at %s (run make first)" % opts.iso, file=sys.stderr)
        return 2
    return campaign(opts)


if __name__ == "__main__":
    sys.exit(main())
