#!/usr/bin/env python3
"""Reliability and isolation regressions of issue 17 (items 4-6, 10): user/reltest booted as
the first program (`init=reltest`, so it holds the ramdisk as init does), once on 1 CPU and
once on 2.  reltest prints one `reltest: TAG: what OK|FAIL` line per check (tags kcheck,
initrd, vm86, ac, wx, fpu) and `reltest: N of M checks failed`; the kernel must not trap or
panic (the virtual-8086 child must be destroyed, with the kernel's report naming cs 0 under
QEMU's TCG), and its invariant checker (syscall 64) must find nothing."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402

KERNEL_DIED = [r"^panic: ", r"^TRAP \d+ ", r"^ExoLab x86-64[\s\S]*^ExoLab x86-64",
               r"^env: cannot start init"]
LAB = gradelib.Lab("reliability", fail_fast=KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])
END = r"^reltest: \d+ of \d+ checks failed$"
# OK lines per tag, as user/reltest.c prints them.
WANT = {"kcheck": 3, "initrd": 1, "vm86": 1, "ac": 2, "wx": 3, "fpu": 4}


def check_reltest(run, vm86_entered=True, one_cpu=True):
    for tag, n in WANT.items():
        ok = len(re.findall(r"^reltest: %s: .* OK$" % tag, run.text, re.M))
        for msg in re.findall(r"^reltest: (%s: .*) FAIL$" % tag, run.text, re.M)[:3]:
            run.notes.append("FAIL " + msg)
        run.fraction(tag, min(ok, n), n, "%s checks passed" % tag)
    run.expect(r"^reltest: 0 of %d checks failed$" % sum(WANT.values()), part="fpu")
    # Under TCG with QEMU's default CPU the child really entered virtual-8086 mode: the
    # kernel says it left 64-bit user mode with cs 0.  (With `-cpu max` TCG's iretl faults
    # reading the frame, with SMAP on, and on hardware it faults #GP: a plain user fault.)
    if vm86_entered:
        run.expect(r"^\[env 0x[0-9a-f]+\] left 64-bit user mode \(cs 0x0 ", part="vm86")
    # The looping one, on 1 CPU, at the timer's interrupt (with 2 it may have a CPU to
    # itself until its parent destroys it: the IPI then stops it, or the run hangs).
    run.expect(r"^reltest: vm86: the looping child is gone$", part="vm86")
    if vm86_entered and one_cpu:
        run.expect(r"^\[env 0x[0-9a-f]+\] left 64-bit user mode \(cs 0x100 .* at an interrupt$",
                   part="vm86")
    run.reject(r"^kcheck: (?!ok ).*$", part="kcheck")
    # The monitor's `check` command, once reltest is gone and the monitor prompts.
    after = run.text[run.text.find("env: no runnable environment"):]
    run.expect(r"^K> check\s*\n(?:.*\n)*?kcheck: ok \(\d+ tables, ", part="kcheck",
               text=after)


# QEMU's default CPU saves with FXSAVE; `-cpu max` has XSAVE, XSAVEOPT and AVX.
for _name, _cpus, _qemu in (("reltest", 1, []), ("reltest-smp2", 2, []),
                            ("reltest-smp2-cpu-max", 2, ["-cpu", "max"])):
    LAB.test(_name, parts={tag: 1 for tag in WANT}, smp=_cpus, args="init=reltest",
             qemu_args=_qemu, until=[r"^kcheck: (ok|\d+ inconsistencies)"], reject=KERNEL_DIED,
             steps=[(END + r"[\s\S]*^K> ", "check")], timeout=180)(
        lambda run, _vm86=not _qemu, _one=_cpus == 1: check_reltest(run, _vm86, _one))


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
