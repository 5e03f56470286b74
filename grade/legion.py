#!/usr/bin/env python3
"""The Legion image's init (issue 16, user/legion.c), run by `make test-legion` and `make test`.

Each test boots the ISO with `init=legion legion=MODE` (grade/legion_expect.py: the kernel
words and the lines each mode must print, shared with the USB image's test) on q35 with a NIC
whose other end is the grader (grade/netwire.py: QEMU's socket backend on 127.0.0.1; the
grader answers ARP for 10.0.0.1 and collects the netconsole's datagrams):

  selftest-smp4  the PASS/FAIL table with 0 failed on 4 CPUs (e1000), and the netconsole got
                 the same lines, in order, as the screen;
  bench          BENCH lines and the summary (RTL8139); the grader echoes UDP to 10.0.0.1:6667
                 (netecho's default), so the packet path's BENCH packet_* lines must be there,
                 from at least 16 echoes the grader sent, and the round trip's p99 is at least
                 its p50;
  bench-no-echo  the same without the echo: `BENCH-NA packet_rtt no echo peer` (bounded wait),
                 no packet_* line, the summary still there;
  shell          the shell answers a command, and its answer went over the netconsole too;
  safe           cpus=1, the device capabilities dropped, the shell answers, and the NIC sent
                 nothing at all;
  bad-mode-no-nic  legion=bogus lists the modes, then the shell; with no NIC at all, which
                 legion says.

And a host check that the program lists of grade/legion_expect.py are user/legion_tests.h's
and user/legion_bench.h's."""

import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402
import legion_expect as lx  # noqa: E402
import netwire as nw  # noqa: E402

LAB = gradelib.Lab("legion", fail_fast=lab3.KERNEL_DIED)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
Q35 = ["-M", "q35"]


ECHO_PORT = 6667  # user/legion_pkt.h LEGION_ECHO_PORT, netecho's default
PACKET_LINES = ["packet_udp_send", "packet_udp_recv", "packet_tx_1", "packet_tx_burst",
                "packet_burst_frames", "packet_rx_empty", "packet_rx_1", "packet_rx_frame",
                "packet_rtt_p50", "packet_rtt_p99"]


class EchoWire(nw.Wire):
    """A wire whose host end sends back every UDP datagram to HOST_IP:ECHO_PORT, swapping the
    ports (hw/legion/collect.py --echo-port's job, done on raw frames here)."""

    def __init__(self):
        super().__init__()
        self.echoed = 0

    def _take(self, data):
        f = nw.parse(data)
        if (f["kind"] == "udp" and f["dport"] == ECHO_PORT and f["dst"] == nw.HOST_IP
                and not f["bad"]):
            self.send(nw.udp_frame(ECHO_PORT, f["sport"], f["payload"]))
            self.echoed += 1
            return
        super()._take(data)


class Collector:
    """The grader's end of the NIC's wire for one run (a gradelib peer): the netconsole's
    lines end up in run.peer.wire.netcons."""

    def __init__(self, model, test, workdir, iso, echo=False):
        self.wire = EchoWire() if echo else nw.Wire()
        self.qemu_args = ["-netdev", self.wire.netdev("n0"), "-device",
                          "%s,netdev=n0" % model]

    def start(self, run):
        self.wire.start()

    def stop(self, run):
        # QEMU has sent every frame into the socket by now; close() drains it first.
        self.wire.close()
        run.peer = self

    def close(self):
        self.wire.close()


def collector(model, echo=False):
    return lambda test, workdir, iso: Collector(model, test, workdir, iso, echo)


def expect_in_order(run, patterns, part):
    """Each pattern matches a line after the previous one's."""
    at = 0
    for p in patterns:
        m = re.compile(p, re.M).search(run.text, at)
        if m is None:
            run.fail("no line /%s/ (after what came before it)" % p, part)
            return
        at = m.end()


def netcons_lines(run):
    return "".join(run.peer.wire.netcons).splitlines() if getattr(run, "peer", None) else []


def check_netcons_mirrors(run, part, last):
    """The netconsole carried the serial console's lines from MACHINE to `last`: legion's own
    lines and the children's summary lines it got are on the screen in the same order, and
    so are the MACHINE line and `last`.  Other children's lines are not held to the screen:
    there the kernel's lines from other CPUs (a child's deliberate panic in malloctest) can
    land inside one, which the netconsole, fed by legion alone, never sees."""
    got = netcons_lines(run)
    if not got:
        return run.fail("the netconsole sent nothing", part)
    screen, at = run.text.splitlines(), 0
    held = [lx.MACHINE, r"^legion: "] + lx.CHILD_LINES
    for line in [l for l in got if any(re.match(p, l) for p in held)]:
        try:
            at = screen.index(line, at) + 1
        except ValueError:
            return run.fail("netconsole line %r is not on the screen (in order)" % line, part)
    for p in (lx.MACHINE, last):
        if not any(re.match(p, line) for line in got):
            run.fail("the netconsole never sent /%s/" % p, part)
    start = next(i for i, l in enumerate(screen) if re.match(lx.MACHINE, l))
    end = next((i for i, l in enumerate(screen) if re.match(last, l)), len(screen))
    missing = [l for l in screen[start:end + 1] if l.startswith("legion: ") and l not in got]
    if missing:
        run.fail("legion's lines not sent over the netconsole: %r" % missing[:3], part)


@LAB.test("selftest-smp4", parts={"table": 4, "netcons": 3}, smp=4,
          args=lx.boot_args("selftest"), qemu_args=Q35, peer=collector("e1000"),
          until=[lx.EXPECT["selftest"][1]], reject=lab3.KERNEL_DIED, timeout=240)
def selftest_smp4(run):
    expect_in_order(run, lx.EXPECT["selftest"][0], "table")
    check_netcons_mirrors(run, "netcons", lx.EXPECT["selftest"][0][-1])
    got = netcons_lines(run)
    for p in lx.CHILD_LINES:
        run.expect(p, "table")
        if not any(re.match(p, line) for line in got):
            run.fail("the netconsole never sent the program's line /%s/" % p, "netcons")


def check_bench(run):
    expect_in_order(run, lx.EXPECT["bench"][0], "bench")
    names = re.findall(lx.BENCH_LINE, run.text, re.M)
    for name, value, unit in names:
        run.expect(r"^legion: %s +%s %s$" % (re.escape(name), re.escape(value),
                                              re.escape(unit)), "bench")
    run.expect(r"^legion: bench done, %d results$" % len(names), "bench")
    got = netcons_lines(run)
    if not any(re.match(lx.BENCH_LINE, l) for l in got):
        run.fail("no BENCH line over the netconsole", "netcons")
    return {n: v for n, v, _ in names}


@LAB.test("bench", parts={"bench": 3, "netcons": 1, "packet": 3}, smp=2,
          args=lx.boot_args("bench"), qemu_args=Q35, peer=collector("rtl8139", echo=True),
          until=[lx.EXPECT["bench"][1]], reject=lab3.KERNEL_DIED, timeout=180)
def bench(run):
    values = check_bench(run)
    for name in PACKET_LINES:
        run.expect(r"^BENCH %s \d+ %s$" % (name, "frames" if name.endswith("frames")
                                             else "cycles"), "packet")
    run.reject(r"^BENCH-NA packet", "packet")
    m = re.search(r"^legion: packet path: (\d+) echoes of (\d+) datagrams \((\d+) lost\), "
                  r"\d+ bursts", run.text, re.M)
    echoed = run.peer.wire.echoed if getattr(run, "peer", None) else 0
    # Losses (200 ms without an echo) depend on the host's load: not checked, only counted.
    if m is None or int(m.group(1)) < 16 or echoed < int(m.group(1)):
        run.fail("no 'legion: packet path: E echoes' line with E >= 16 and <= the %d datagrams "
                 "the grader echoed" % echoed, "packet")
    p50, p99 = values.get("packet_rtt_p50"), values.get("packet_rtt_p99")
    if p50 is not None and p99 is not None and int(p99) < int(p50):
        run.fail("packet_rtt_p99 %s below its p50 %s" % (p99, p50), "packet")


@LAB.test("bench-no-echo", parts={"na": 2}, smp=2, args=lx.boot_args("bench"),
          qemu_args=Q35, peer=collector("rtl8139"), until=[lx.EXPECT["bench"][1]],
          reject=lab3.KERNEL_DIED, timeout=180)
def bench_no_echo(run):
    expect_in_order(run, lx.EXPECT["bench"][0][:3] + [r"^BENCH-NA packet_rtt no echo peer$",
                                                      r"^legion: ---- bench summary"], "na")
    run.reject(r"^BENCH packet_", "na")


SHELL_STEPS = [(lx.PROMPT, "echo legion-hi")]


@LAB.test("shell", parts={"shell": 2, "netcons": 2}, args=lx.boot_args("shell"),
          qemu_args=Q35, peer=collector("e1000"), steps=SHELL_STEPS,
          until=[r"^legion-hi$[\s\S]*" + lx.PROMPT], reject=lab3.KERNEL_DIED, timeout=120)
def shell(run):
    expect_in_order(run, lx.EXPECT["shell"][0] + [r"^legion-hi$"], "shell")
    if "legion-hi" not in netcons_lines(run):
        run.fail("the shell's answer did not go over the netconsole", "netcons")


@LAB.test("safe", parts={"safe": 3, "no-device": 2}, smp=2, args=lx.boot_args("safe"),
          qemu_args=Q35, peer=collector("e1000"), steps=[(lx.PROMPT, "echo legion-safe")],
          until=[r"^legion-safe$[\s\S]*" + lx.PROMPT], reject=lab3.KERNEL_DIED, timeout=120)
def safe(run):
    expect_in_order(run, lx.EXPECT["safe"][0] + [r"^legion-safe$"], "safe")
    run.reject(r"^legion: (NIC|NO NIC|NO LINK)", "no-device")
    wire = run.peer.wire if getattr(run, "peer", None) else None
    if wire is None or wire.netcons or wire.announcements or not wire.frames.empty():
        run.fail("the NIC sent frames in safe mode", "no-device")


@LAB.test("bad-mode-no-nic", parts={"modes": 2, "no-nic": 1}, args=lx.boot_args("bogus"),
          qemu_args=Q35, until=[lx.EXPECT["bogus"][1]], reject=lab3.KERNEL_DIED, timeout=120)
def bad_mode_no_nic(run):
    expect_in_order(run, lx.EXPECT["bogus"][0], "modes")
    run.expect(r"^legion: NO NIC \(E_NOENT\): console only, no netconsole$", "no-nic")


def header_lists():
    """The program names of user/legion_tests.h's selftests and user/legion_bench.h's
    benchmarks (None for a table that is not there)."""
    def table(name, var, entry):
        with open(os.path.join(ROOT, "user", name)) as f:
            body = re.search(r"%s\[\] = \{(.*?)\n\};" % var, f.read(), re.S)
        return re.findall(entry, body.group(1), re.M) if body else None
    return (table("legion_tests.h", "legion_selftests", r'\{ \{ "(\w+)"'),
            table("legion_bench.h", "legion_benches", r'^\t\{ "(\w+)",'))


@LAB.test("lists-agree", points=1, host=True)
def lists_agree(run):
    tests, benches = header_lists()
    if tests != lx.SELFTESTS:
        run.fail("selftests: user/legion_tests.h %r, legion_expect.py %r" % (tests, lx.SELFTESTS))
    if benches != lx.BENCHES:
        run.fail("benches: user/legion_bench.h %r, legion_expect.py %r" % (benches, lx.BENCHES))


if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
