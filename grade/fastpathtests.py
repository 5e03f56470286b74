#!/usr/bin/env python3
"""Fast-path grader (issue 15 items 3-4), run by `make test-fastpath` and `make test`.
One boot on four CPUs with an NVMe controller, the shell as init; the lines typed:

- `fpstat` (core counters alone) as a warm-up, then `leaks`;
- `watchdog -r 2 fpspin 300`: fpspin's handler spins for ever after 300 iterations on CPU 2;
  the watchdog must see each stall (heartbeat unchanged 10 ms), revoke the core (the kernel's
  `core: cpu 2 taken ...` line), restart the app on CPU 2 twice and end after the third
  stall, with every restart's detection-to-running time under RESTART_BOUND_US;
- `leaks` again: the same pages, capabilities and heap as before the watchdog ran.

A second boot (the NVMe image of grade/nvmetests.py, block b pre-filled with the words
b * 0x9e3779b1 + j) types `blkclient -n 2000`: blkserve serves 2000 one-block reads on CPU 2,
polled; every block must match the pattern, CPU 2 must take no interrupt of any kind while
it serves, and the fpstat that blkclient runs on the partition must print the counters,
every percentile of the service-time histogram, the log's drops, the heartbeat's age, the
per-CPU interrupt table with CPU 2's owner, and the service's log lines.

A third boot is `make qemu-fastpath`'s machine (the four e1000s of grade/l2fwdtests.py and
the NVMe image): `l2fwd` typed at the shell forwards on owned CPU 1 (every check of
test-l2fwd's, CPU 1 quiet, its fpstat -p), then `blkclient -n 200` serves on owned CPU 2,
then `fpstat` finds every core free again; `leaks` equal before and after.  On the same
boot, the partition board (docs/partitions.md "The board"): `fpstat -l`, `l2fwd | wc &`,
then `fpstat -w` typed at the prompt shows l2fwd's full view live; after `wait`, `fpstat`
lists no partition.  A fourth short boot (board-host-gone, no NIC) checks that a host that
dies without clearing its entry is shown as ended, never read."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import l2fwdtests  # noqa: E402
import lab3  # noqa: E402
import nvmetests  # noqa: E402
import shelltests  # noqa: E402

LAB = gradelib.Lab("fastpath", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])
PROMPT = r"^\$ "
# The goal is 10 ms of TSC (issue 15), but the time is mostly the host's: four vCPUs share a
# loaded two-core machine, and the owned vCPU must run to take the revoke's IPI (measured
# 65-440 ms here under KVM).  The test's bound catches a watchdog that never restarts or
# waits out a timeout; the watchdog prints the measured time for the report.  The
# reproducible figure is `make bench-watchdog`'s, under icount (about 0.27 M instructions
# from detection to the restarted app's first heartbeat).
RESTART_BOUND_US = 2000000
WATCHDOG = "watchdog -r 2 fpspin 300"


@LAB.test("watchdog-restart", parts={"stall": 2, "revoke": 2, "restart": 3, "bound": 2,
                                     "log": 1, "leak": 2},
          smp=4, args="init=sh",
          steps=[(PROMPT, l) for l in ["fpstat", "leaks", WATCHDOG, "leaks ", "monitor"]],
          until=[r"^K> "], reject=lab3.KERNEL_DIED, timeout=180)
def watchdog_restart(run):
    """Three stalls detected, each revoked and the first two restarted within the bound."""
    out = shelltests.output(run, WATCHDOG) or ""
    stalls = re.findall(r"^watchdog: stall: heartbeat (\d+) unchanged for (\d+) us", out, re.M)
    if len(stalls) != 3:
        run.fail("%d stalls detected, expected 3" % len(stalls), "stall")
    taken = re.findall(r"^core: cpu 2 taken from env 0x[0-9a-f]+: its capability is gone$",
                       out, re.M)
    revokes = re.findall(r"^watchdog: (?:revoke ok: env 0x[0-9a-f]+ gone from cpu 2, restart "
                         r"ok \(generation \d\) \d+ us after detection|no restart left: "
                         r"heartbeat \d+; revoke ok, cpu 2 free; env 0x[0-9a-f]+ status \d+)$",
                         out, re.M)
    if len(taken) != 3 or len(revokes) != 3:
        run.fail("%d kernel stop lines, %d revokes, expected 3 each" % (len(taken),
                                                                         len(revokes)), "revoke")
    restarts = [int(x) for x in re.findall(r"^watchdog: restart \d+: running again on cpu 2 "
                                           r"(\d+) us after detection", out, re.M)]
    started = re.findall(r"^watchdog: started 'fpspin 300' \(generation (\d)\)", out, re.M)
    if len(restarts) != 2 or started != ["1", "2", "3"]:
        run.fail("%d restarts, generations %s; expected 2, 1 2 3" % (len(restarts), started),
                 "restart")
    if not re.search(r"^watchdog: done: \d+ checks, 3 stalls, 2 restarts", out, re.M):
        run.fail("no 'watchdog: done: ... 3 stalls, 2 restarts' line", "restart")
    if not restarts or max(restarts) > RESTART_BOUND_US:
        run.fail("restart times %s us, bound %d" % (restarts, RESTART_BOUND_US), "bound")
    stuck = re.findall(r"^app: \[\d+\.\d{9}\] WARN +handler stuck after 300 iterations$", out,
                       re.M)
    if len(stuck) != 3:
        run.fail("%d 'handler stuck' log lines with a timestamp, expected 3" % len(stuck),
                 "log")
    shelltests.check_leaks(run, "leak")


BLK = "blkclient -n 2000"
FILL = "blkclient -f -b 16 -n 200"  # writes the pattern first (the same as the image's)


@LAB.test("blkserve-fpstat", parts={"data": 3, "quiet": 3, "fpstat": 3, "stop": 1, "leak": 2},
          smp=4, args="init=sh", qemu_args=nvmetests.devices("fastpath"),
          steps=[(PROMPT, l) for l in ["fpstat", "leaks", BLK, FILL, "leaks ", "monitor"]],
          until=[r"^K> "], reject=lab3.KERNEL_DIED + [r"^\[env .*\] page fault"], timeout=180)
def blkserve_fpstat(run):
    """Every block read through the rings is right, the owned core stays quiet, fpstat
    reports on the partition, and the service stops and leaves nothing behind."""
    out = shelltests.output(run, BLK) or ""
    if not re.search(r"^blkclient: 2000 requests, 2000 answered, 0 bad blocks, 0 errors, ", out,
                     re.M):
        run.fail("no 'blkclient: 2000 requests, 2000 answered, 0 bad blocks, 0 errors' line",
                 "data")
    quiet = re.search(r"^blkclient: cpu 2 took timer (\d+) device (\d+) ipi (\d+) other (\d+) "
                      r"during the run; owner 0x([0-9a-f]+)$", out, re.M)
    if not quiet or quiet.groups()[:4] != ("0", "0", "0", "0") or quiet.group(5) == "0":
        run.fail("owned cpu 2's interrupts during the run: %s" %
                 (quiet.group(0) if quiet else "no line"), "quiet")
    want = [r"^fpstat: partition on cpu 2, generation 1, tsc \d+ Hz$",
            r"^fpstat: requests +2000 \(\d+/s\)$",
            r"^fpstat: errors +0 ",
            r"^fpstat: service cycles: 2000 values(?: \(busy copy\))?, cycles p50 \d+ p90 \d+ "
            r"p99 \d+ p99\.9 \d+ p99\.99 \d+ max \d+$",
            r"^fpstat: service cycles: us p50 \d+ p90 \d+ p99 \d+ p99\.9 \d+ p99\.99 \d+ "
            r"max \d+$",
            r"^fpstat: log: 1 lines waiting, 0 dropped$",
            r"^fpstat: heartbeat \d+, age <= \d+ us$",
            r"^fpstat: +2 +\d+ +\d+ +\d+ +\d+ +0  0x[1-9a-f][0-9a-f]*$",
            r"^fpstat: log: \[\d+\.\d{9}\] INFO cpu 2, blocks 0\+64, polled$"]
    for w in want:
        if not re.search(w, out, re.M):
            run.fail("fpstat printed no line like %r" % w, "fpstat")
    if not re.search(r"^blkserve: \[\d+\.\d{9}\] INFO cpu 2, blocks 0\+64, polled\n"
                     r"blkserve: \[\d+\.\d{9}\] INFO stopping after \d+ iterations\n"
                     r"(?:.*\n)*blkclient: done$", out, re.M):
        run.fail("the service did not log its stop before 'blkclient: done'", "stop")
    if not re.search(r"^blkclient: 200 requests, 200 answered, 0 bad blocks, 0 errors, ",
                     shelltests.output(run, FILL) or "", re.M):
        run.fail("%r: not every block right" % FILL, "data")
    shelltests.check_leaks(run, "leak")


SHELL_L2 = "l2fwd"
SHELL_BLK = "blkclient -n 200"
# The partition board (docs/partitions.md "The board").  The first line is a pipeline: the
# shell's first pipe maps its page tables for good (grade/shelltests.py), before `leaks`.
# fpstat -l makes the next partition
# stay on the board until an fpstat has shown it, so the background l2fwd cannot end before
# the fpstat typed after it looks (no race); -w waits until its area is laid out.
SHELL_BG = ["fpstat -l", "l2fwd | wc &", "fpstat -w", "wait"]
BOARD_LIVE = [r"^fpstat: board \d: l2fwd, host env 0x[0-9a-f]+, registration \d+: live, "
              r"running on cpu 1 \(env 0x[0-9a-f]+\)$",
              r"^fpstat: partition on cpu 1, generation 1, tsc \d+ Hz$",
              r"^fpstat: frames +\d+ \(\d+/s\)$",
              r"^fpstat: latency: \d+ values(?: \(busy copy\))?, cycles p50 \d+ p90 \d+ p99 \d+ "
              r"p99\.9 \d+ p99\.99 \d+ max \d+$",
              r"^fpstat: full batch: us p50 \d+ p90 \d+ p99 \d+ p99\.9 \d+ p99\.99 \d+ max \d+$",
              r"^fpstat: heartbeat \d+, (?:loop stopped|age <= \d+ us)$",
              r"^fpstat: log: 1 lines waiting, 0 dropped$",
              r"^fpstat: log: \[\d+\.\d{9}\] INFO forwarding on cpu 1, batch 32$"]


def devices_all():
    """The machine of `make qemu-fastpath` (hw/qemu/fastpath.mk): the four e1000s of
    grade/l2fwdtests.py on their two hubs and the pre-filled NVMe image."""
    return l2fwdtests.devices() + nvmetests.devices("shell-fastpath")


@LAB.test("shell-fastpath", parts={"l2fwd": 3, "blk": 2, "quiet": 3, "fpstat": 2, "board": 3,
                                   "leak": 2},
          smp=4, args="init=sh", qemu_args=devices_all(),
          steps=[(PROMPT, l) for l in ["fpstat | wc", "leaks", SHELL_L2, SHELL_BLK] + SHELL_BG +
                 ["fpstat ", "leaks ", "monitor"]],
          until=[r"^K> "], reject=lab3.KERNEL_DIED + [r"^\[env .*\] page fault"], timeout=180)
def shell_fastpath(run):
    """`make qemu-fastpath`'s demo typed at the shell: l2fwd on owned CPU 1, then blkserve on
    owned CPU 2, then fpstat: every frame and block right, the owned cores quiet, the cores
    free again afterwards and nothing leaked."""
    l2 = shelltests.output(run, SHELL_L2) or ""
    if re.search(r"^l2(fwd|gen): .* FAIL$", l2, re.M):
        run.fail("a check failed: %s" % re.search(r"^l2(fwd|gen): .* FAIL$", l2, re.M).group(0),
                 "l2fwd")
    for prog, tag, n in [("l2fwd", "init", 3), ("l2fwd", "setup", 2), ("l2gen", "run", 5),
                         ("l2fwd", "run", 2), ("l2fwd", "end", 6)]:
        ok = len(re.findall(r"^%s: %s: .* OK$" % (prog, tag), l2, re.M))
        if ok != n:
            run.fail("%d of %d '%s: %s:' checks OK" % (ok, n, prog, tag), "l2fwd")
    if not re.search(r"^l2fwd: owned: 0 checks failed\nl2fwd: done$", l2, re.M):
        run.fail("no 'l2fwd: owned: 0 checks failed' and 'l2fwd: done'", "l2fwd")
    if not re.search(r"^l2fwd: owned: cpu 1 took timer 0 device 0 ipi 0 other 0$", l2, re.M):
        run.fail("owned cpu 1 took interrupts while forwarding", "quiet")
    for pat in l2fwdtests.FPSTAT:
        if not re.search(pat, l2, re.M):
            run.fail("l2fwd's fpstat -p printed no line like %r" % pat, "fpstat")
    blk = shelltests.output(run, SHELL_BLK) or ""
    if not re.search(r"^blkclient: 200 requests, 200 answered, 0 bad blocks, 0 errors, ", blk,
                     re.M) or not re.search(r"^blkclient: done$", blk, re.M):
        run.fail("%r: not every block right" % SHELL_BLK, "blk")
    if not re.search(r"^blkclient: cpu 2 took timer 0 device 0 ipi 0 other 0 during the run; "
                     r"owner 0x[1-9a-f][0-9a-f]*$", blk, re.M):
        run.fail("owned cpu 2 took interrupts while serving", "quiet")
    if not re.search(r"^fpstat: partition on cpu 2, generation 1, ", blk, re.M):
        run.fail("blkclient's fpstat showed no partition on cpu 2", "fpstat")
    table = shelltests.output(run, "fpstat ") or ""
    for cpu in range(4):
        if not re.search(r"^fpstat: +%d +\d+ +\d+ +\d+ +\d+ +\d+  0x0$" % cpu, table, re.M):
            run.fail("fpstat: cpu %d not listed as free after the runs" % cpu, "fpstat")
    check_board(run, blk, table)
    shelltests.check_leaks(run, "leak")


@LAB.test("board-host-gone", parts={"ended": 2, "reuse": 1, "leak": 1}, smp=2, args="init=sh",
          steps=[(PROMPT, l) for l in ["fpstat | wc", "leaks", "l2fwd", "fpstat", "l2fwd ",
                                       "fpstat ", "leaks ", "monitor"]],
          until=[r"^K> "], reject=lab3.KERNEL_DIED, timeout=120)
def board_host_gone(run):
    """A host that dies without clearing its board entry (l2fwd on a machine with no NIC
    returns before its cleanup) is shown as ended, its pages never read; the next host
    takes the entry (registration 2)."""
    for line, reg in [("fpstat", 1), ("fpstat ", 2)]:
        out = shelltests.output(run, line) or ""
        if not re.search(r"^fpstat: board 0: l2fwd, host env 0x[0-9a-f]+, registration %d: "
                         r"ended \(its host is gone\)$" % reg, out, re.M):
            run.fail("%r: l2fwd's entry (registration %d) not shown as ended" % (line, reg),
                     "ended" if reg == 1 else "reuse")
        if re.search(r"live|^fpstat: partition on", out, re.M):
            run.fail("%r: a dead host's entry was read as live" % line, "ended")
    shelltests.check_leaks(run, "leak")


def check_board(run, blk, table):
    """blkclient's own run was on the board; fpstat typed while `l2fwd | wc &` ran showed
    l2fwd's full view live; once it ended, fpstat shows no partition."""
    if re.search(r"not on the partition board", blk):
        run.fail("blkclient's partition was not on the board", "board")
    live = shelltests.output(run, "fpstat -w") or ""
    for pat in BOARD_LIVE:
        if not re.search(pat, live, re.M):
            run.fail("fpstat typed while l2fwd ran printed no line like %r" % pat, "board")
    done = re.findall(r"^\[[0-9a-f]+\] done, status 0$", shelltests.output(run, "wait") or "",
                      re.M)
    if len(done) != 2:
        run.fail("`wait`: %d of l2fwd and wc ended with status 0" % len(done), "board")
    if not re.search(r"^fpstat: board: no partition$", table, re.M) or "live" in table:
        run.fail("fpstat after l2fwd ended still lists a partition", "board")


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
