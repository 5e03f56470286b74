#!/usr/bin/env python3
"""Network driver grader (issue 12 items 6 and 8), run by `make test-net` and `make test`.
user/nettest.c runs as init on a QEMU with one NIC of each model in NICS on a user-mode
network with restrict=on: the guest reaches QEMU's built-in gateway 10.0.2.2 and nothing
else, and no host address is involved at all.  It drives the NIC with its portable driver
(lib/drivers/net) through the LibOS glue (lib/user/net_ops.c), polled and then by interrupt
(INTx to a notification): an ARP request for 10.0.2.2 answered, then 64 requests in batches
of 32, every one sent (tx counters) and answered; frames the NIC must not get are refused
and counted, and with the pool empty a received frame is dropped and counted (on the e1000 also an oversized frame the NIC itself hands up, made with PHY
loopback and the FCS left in).  One `nettest: TAG: what = N OK|FAIL` line per check; this grader wants every
check to pass (the per-mode checks once per mode), the MAC and link line, the gateway's MAC
and equal leak-check lines."""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402

LAB = gradelib.Lab("net", fail_fast=lab3.KERNEL_DIED + [gradelib.LOCKCHECK_REPORT])

# NIC model: (QEMU -device name, the driver's name, PCI vendor:device, the model's own check
# tags in user/nettest.c).  One line per model.
NICS = [
    ("e1000", "e1000", "8086:100e", ["e1000"]),
    ("rtl8139", "rtl8139", "10ec:8139", []),
]
TAGS = ["init", "poll", "irq", "bad", "end"]
QEMU_MAC = "52:54:00:12:34:56"  # QEMU's default MAC for the first NIC
SLIRP_GW_MAC = "52:55:0a:00:02:02"  # libslirp's gateway MAC: 52:55 then the IPv4 address


def devices(model):
    return ["-netdev", "user,id=n0,restrict=on", "-device", "%s,netdev=n0" % model]


def want_checks(tags):
    """check() calls per tag, the per-mode mcheck() calls counted for poll and for irq."""
    want = lab3.check_calls("nettest", tags)
    with open(os.path.join(gradelib.ROOT, "user", "nettest.c")) as f:
        per_mode = len(re.findall(r"\bmcheck\(\s*\"", f.read()))
    want["poll"] += per_mode
    want["irq"] += per_mode
    return want


def nettest(model, driver, ids, own_tags):
    tags = TAGS + own_tags

    @LAB.test("nettest-%s" % model, parts=dict(dict.fromkeys(tags, 2), mac=2, gateway=2, leak=2),
              args="init=nettest leakcheck", qemu_args=devices(model),
              until=[r"^nettest: done$"], reject=lab3.KERNEL_DIED, timeout=120)
    def check(run):
        run.reject(r"^nettest: .* FAIL$")
        lab3.score_check_calls(run, "nettest", tags, want_checks(tags))
        run.expect(r"^nettest: %s %s at " % (driver, ids), part="mac")
        run.expect(r"^nettest: %s mac %s link up$" % (driver, QEMU_MAC), part="mac")
        for mode in ("poll", "irq"):
            run.expect(r"^nettest: %s: gateway 10.0.2.2 is at %s$" % (mode, SLIRP_GW_MAC),
                       part="gateway")
        leaks = lab3.LEAK.findall(run.text)
        if len(leaks) != 2 or leaks[0] != leaks[1]:
            run.fail("leak-check lines before and after the tests differ: %s" % leaks, "leak")

    return check


for _nic in NICS:
    nettest(*_nic)

if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
