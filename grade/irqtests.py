#!/usr/bin/env python3
"""Device interrupt grader (issue 12 item 3), run by `make test-irq` and `make test`.
user/irqtest.c runs as init on a QEMU with an e1000 (82540EM) on a user-mode network with
restrict=on (no route out of the guest; the test sends no traffic at all: it raises the
interrupt by writing the e1000's ICS register).  It binds the e1000's INTx to a
notification and prints one `irqtest: TAG: what = got OK|FAIL` line per check: exactly one
delivery per raised interrupt over 64 rounds, none while the line waits for its ack, none
after the binding's device capability is deleted or revoked, its notification released,
its binder (a forked child) destroyed or the binding removed, every bad argument refused; its two leak-check lines must match.
Then MSI-X on an e1000e: vector 1 (TXQ0 routed there by IVAR) delivered once, masked in the
MSI-X table until the ack and delivered from its pending bit after it, rebound to every
online CPU (the count printed must be the machine's), masked at once by an unbind and by a
revoke of the capability it was bound through (which also unmaps a BAR window made below
it), every bad argument (index, offline CPU, a device without MSI/MSI-X) refused; then its
MSI (no per-vector mask: the kernel clears MSI Enable as the mask) delivered, silent while
masked, delivered again after the ack, and MSI and MSI-X never bound at once.

Machines: i440fx (`pc`: the GSI is the Interrupt Line register the firmware wrote, checked
here) and q35 (PIRQ E-H on GSI 20-23 for bus 0's slots), each on 1 and 4 CPUs."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("irq", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

TAGS = ["setup", "death", "args", "bind", "count", "mask", "end", "msix", "xend", "msi"]
INFO = re.compile(r"^irqtest: e1000 00:([0-9a-f]{2})\.0 pin (\d) line register (-?\d+) "
                  r"gsi (-?\d+)$", re.M)


def devices(q35):
    return (["-M", "q35"] if q35 else []) + [
        "-netdev", "user,id=n0,restrict=on", "-device", "e1000,netdev=n0",
        "-netdev", "user,id=n1,restrict=on", "-device", "e1000e,netdev=n1"]


def irqtest(machine, cpus):
    q35 = machine == "q35"
    parts = dict.fromkeys(TAGS, 2)
    parts.update({"gsi": 2, "leak": 2, "cpus": 1})

    @LAB.test("irqtest-%s-smp%d" % (machine, cpus), parts=parts, smp=cpus,
              args="init=irqtest leakcheck", qemu_args=devices(q35),
              until=[r"^irqtest: done$"], reject=lab3.KERNEL_DIED, timeout=60 * cpus)
    def check(run):
        run.reject(r"^irqtest: .* FAIL$")
        lab3.score_check_calls(run, "irqtest", TAGS)
        m = INFO.search(run.text)
        if not m:
            run.fail("no 'irqtest: e1000 ... gsi N' line", "gsi")
        else:
            slot, pin, line, gsi = (int(m.group(1), 16), int(m.group(2)), int(m.group(3)),
                                    int(m.group(4)))
            want_gsi = 20 + (slot + pin - 1) % 4 if q35 else line
            if gsi != want_gsi:
                run.fail("gsi %d, want %d" % (gsi, want_gsi), "gsi")
        m = re.search(r"^irqtest: msix cpus (\d+)$", run.text, re.M)
        if not m or int(m.group(1)) != cpus:
            run.fail("MSI-X rebinding found %s CPUs online, want %d"
                     % (m.group(1) if m else "no", cpus), "cpus")
        leaks = lab3.LEAK.findall(run.text)
        if len(leaks) < 2 or leaks[-1] != leaks[-2]:
            run.fail("leak-check lines before and after the tests differ: %s" % leaks, "leak")

    return check


for _machine in ("pc", "q35"):
    for _cpus in (1, 4):
        irqtest(_machine, _cpus)


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
