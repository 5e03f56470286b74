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
and equal leak-check lines.

Then the network stack (lib/net) for real, per NIC model: udpecho-hostfwd (user network,
restrict=on, a hostfwd on 127.0.0.1), udpecho-wire (raw Ethernet from the grader through
QEMU's socket backend: malformed frames counted, the netconsole) and ping (two ExoLabs on
one socket backend).  docs/net-stack.md has the table of what each checks."""

import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gradelib  # noqa: E402
import lab3  # noqa: E402
import netwire as nw  # noqa: E402

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


# ---- The stack in QEMU (issue 12 items 7 and 8): user/udpecho.c and user/ping.c run as init
# (their words from tests=, commas for spaces) on each NIC model in NICS.  Each test's peer
# (gradelib's Test.peer) plays the other end of the wire while the guest runs: a host UDP
# socket behind QEMU's user network, the raw Ethernet of QEMU's socket backend (grade/netwire.py),
# or a second ExoLab.  Every host address is on 127.0.0.1.

ECHO_SIZES = [1, 2, 64, 512, 1000, 1471, 1472]  # 1472: the largest payload in one frame
WIRE_SIZES = [1, 512, 1472]  # echoed before and after the malformed frames
WAIT = 30  # seconds (times gradelib's timeout scale) for one answer from the guest
NETCONS = "netcons=%s:%d" % (nw.HOST_IP, nw.NETCONS_PORT)
PING_COUNT = 4
PEER_LAB = gradelib.Lab("net-peer", fail_fast=lab3.KERNEL_DIED)  # the second ExoLab's test


def payload(size, seed):
    return bytes((seed * 31 + k * 7) & 0xFF for k in range(size))


def wait_serial(text, pattern, stopped, seconds):
    """Waits (polling text(), which another thread fills) for pattern in a serial output:
    True, or False at the deadline or once `stopped` is set."""
    deadline = time.monotonic() + seconds * gradelib.timeout_scale()
    while True:
        done = stopped.is_set() or time.monotonic() > deadline  # then one last look
        if gradelib._search(pattern, text()):
            return True
        if done:
            return False
        time.sleep(gradelib.POLL_SECONDS)


def counters(text, prog):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^%s: counter (\w+) = (\d+)$" % prog, text, re.M)}


class Peer:
    """A peer's common part: talk(run) in a thread while QEMU runs; what it found wrong,
    (part, message) pairs in self.problems, fails the run at stop."""

    def __init__(self, model, test, workdir, iso):
        self.model, self.test, self.workdir, self.iso = model, test, workdir, iso
        self.problems = []
        self.stopped = threading.Event()
        self.thread = None
        self.qemu_args = []

    def start(self, run):
        self.thread = threading.Thread(target=self._talk, args=(run,), daemon=True)
        self.thread.start()

    def _talk(self, run):
        try:
            self.talk(run)
        except OSError as e:
            self.problems.append((None, "host socket: %s" % e))

    def problem(self, part, message):
        self.problems.append((part, message))

    def stop(self, run):
        self.stopped.set()
        if self.thread:
            self.thread.join()
        for part, message in self.problems:
            run.fail(message, part)
        run.peer = self

    def close(self):
        self.stopped.set()


class HostfwdEcho(Peer):
    """QEMU's user network with restrict=on and one UDP port of 127.0.0.1 forwarded to the
    guest's port 7: a datagram of each size in ECHO_SIZES from a host socket, one at a time
    (the next once udpecho's line for this one is out).  libslirp (4.7) drops every UDP
    datagram a guest sends when restrict=on, the echoes to a hostfwd's peer too (with
    restrict=off they do come back), so the echoes are taken where they leave the NIC, by
    QEMU's filter-dump into a pcap file, and checked byte for byte there; the round trip
    through a host socket is udpecho-wire's."""

    def __init__(self, *a):
        super().__init__(*a)
        self.port = nw.free_port()
        self.pcap = os.path.join(self.workdir, "hostfwd.pcap")
        self.qemu_args = ["-netdev", "user,id=n0,restrict=on,hostfwd=udp:127.0.0.1:%d-:7"
                          % self.port, "-device", "%s,netdev=n0" % self.model,
                          "-object", "filter-dump,id=d0,netdev=n0,file=%s" % self.pcap]
        self.sent, self.sport = [], None

    def talk(self, run):
        if not wait_serial(lambda: run.text, r"^udpecho: ready$", self.stopped, WAIT):
            return self.problem("echo", "udpecho never said ready")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.connect(("127.0.0.1", self.port))
            for i, size in enumerate(ECHO_SIZES):
                data = payload(size, i)
                s.send(data)
                self.sent.append(data)
                line = r"^udpecho: #%d: %d bytes from 10\.0\.2\.2:\d+, echo sent$" % (i + 1, size)
                if not wait_serial(lambda: run.text, line, self.stopped, WAIT):
                    return self.problem("echo", "udpecho never took the %d-byte datagram" % size)

    def echoes(self):
        """The payloads of the guest's UDP frames from port 7 in the pcap, and any bad one."""
        got, bad = [], []
        for frame in nw.read_pcap(self.pcap):
            f = nw.parse(frame)
            if f["kind"] == "udp" and f["sport"] == 7 and f["src"] == "10.0.2.15":
                got.append(f["payload"])
                if f["bad"] or f["dst"] != "10.0.2.2" or f["mac_dst"] != nw.SLIRP_GW_MAC:
                    bad.append(f)
        return got, bad


def bad_frames():
    """(counter, frame): each malformed in one way, each to be dropped and counted once."""
    e, ip, udp = nw.eth, nw.ipv4, nw.udp
    gm, v4 = nw.GUEST_MAC, nw.ETH_IPV4
    u = udp(40100, 7, b"bad")
    return [
        ("eth_unknown_type", e(gm, 0x86DD, bytes(40))),
        ("arp_bad", e(gm, nw.ETH_ARP, nw.arp(1, nw.HOST_IP, nw.GUEST_IP, htype=6))),
        # IHL 15 claims 60 header bytes; the frame (even padded to 60) has 46 after Ethernet.
        ("ip_short", e(gm, v4, ip(17, b"", ihl=15))),
        ("ip_bad_version", e(gm, v4, ip(17, u, version=6))),
        ("ip_bad_ihl", e(gm, v4, ip(17, u, ihl=4))),
        ("ip_bad_len", e(gm, v4, ip(17, u, tlen=65535))),
        ("ip_bad_checksum", e(gm, v4, ip(17, u, bad_sum=True))),
        ("ip_fragment", e(gm, v4, ip(17, u, frag=0x2000))),
        ("ip_other_dst", e(gm, v4, ip(17, udp(40100, 7, b"x", dst="10.0.0.3"), dst="10.0.0.3"))),
        ("ip_unknown_proto", e(gm, v4, ip(99, b"unknown protocol"))),
        ("icmp_bad_checksum", e(gm, v4, ip(1, nw.icmp_echo(1, 1, b"bad", bad_sum=True)))),
        ("udp_bad_len", e(gm, v4, ip(17, udp(40100, 7, b"bad", ulen=2000)))),
        ("udp_bad_checksum", e(gm, v4, ip(17, udp(40100, 7, b"bad", bad_sum=True)))),
        ("udp_no_port", e(gm, v4, ip(17, udp(40100, 9, b"no one on port 9")))),
    ]


class RawWire(Peer):
    """QEMU's socket backend with the grader at the other end (netwire.Wire): ARP both ways,
    an ICMP echo, UDP echoes of WIRE_SIZES, every frame of bad_frames(), the echoes again;
    and the netconsole's datagrams collected all along."""

    def __init__(self, *a):
        super().__init__(*a)
        self.wire = nw.Wire()
        self.qemu_args = ["-netdev", self.wire.netdev("n0"), "-device",
                          "%s,netdev=n0" % self.model]

    def start(self, run):
        self.wire.start()
        super().start(run)

    def answer(self, part, what, pred):
        f, skipped = self.wire.expect(pred, WAIT * gradelib.timeout_scale(), self.stopped)
        for g in skipped:
            self.problem(part, "unexpected frame while waiting for %s: %s" % (what, g))
        if f is None:
            self.problem(part, "no %s" % what)
        elif f["bad"]:
            self.problem(part, "%s: %s wrong" % (what, f["bad"]))
        return f is not None and not f["bad"] and not skipped

    def echoes(self, first_port):
        for i, size in enumerate(WIRE_SIZES):
            data, port = payload(size, first_port + i), first_port + i
            self.wire.send(nw.udp_frame(port, 7, data))
            if not self.answer("echo", "echo of %d bytes to port %d" % (size, port),
                               lambda f: f["kind"] == "udp" and f["sport"] == 7 and
                               f["dport"] == port and f["payload"] == data and
                               f["src"] == nw.GUEST_IP and f["dst"] == nw.HOST_IP and
                               f["mac_dst"] == nw.HOST_MAC):
                return False
        return True

    def unreached(self, *parts):
        """The dialogue stopped early: the later steps' parts fail too (they were not shown
        to work; a driver that answers nothing must not earn them)."""
        for part in parts:
            self.problem(part, "not tested: an earlier step of the dialogue failed")

    def talk(self, run):
        if not wait_serial(lambda: run.text, r"^udpecho: ready$", self.stopped, WAIT):
            self.problem("echo", "udpecho never said ready")
            return self.unreached("arp", "icmp")
        if not self.wire.arp_answered.wait(WAIT * gradelib.timeout_scale()):
            self.problem("netcons", "the guest never asked for 10.0.0.1's MAC")
            return self.unreached("arp", "icmp", "echo")
        self.wire.send(nw.eth(nw.BCAST_MAC, nw.ETH_ARP, nw.arp(1, nw.HOST_IP, nw.GUEST_IP)))
        if not self.answer("arp", "ARP reply for 10.0.0.2",
                           lambda f: f["kind"] == "arp" and f["op"] == 2 and
                           f["sha"] == nw.GUEST_MAC and f["spa"] == nw.GUEST_IP and
                           f["tpa"] == nw.HOST_IP and f["mac_dst"] == nw.HOST_MAC):
            return self.unreached("icmp", "echo")
        data = payload(56, 9)
        self.wire.send(nw.eth(nw.GUEST_MAC, nw.ETH_IPV4, nw.ipv4(1, nw.icmp_echo(0x4758, 1,
                                                                              data))))
        if not self.answer("icmp", "ICMP echo reply",
                           lambda f: f["kind"] == "icmp" and f["type"] == 0 and
                           f["id"] == 0x4758 and f["seq"] == 1 and f["payload"] == data):
            return self.unreached("echo")
        if not self.echoes(41000):
            return
        for _, frame in bad_frames():
            self.wire.send(frame)
        self.echoes(42000)

    def stop(self, run):
        # Everything QEMU sent is in the socket already (it sends as the guest transmits):
        # the receiver reads until the socket stays empty, so no netconsole line is missed.
        self.wire.close()
        super().stop(run)

    def close(self):
        super().close()
        self.wire.close()


class PingServer(Peer):
    """A second ExoLab joined to the test's by QEMU's socket backend (udp= and localaddr= on
    127.0.0.1, each the other's): it runs udpecho with ip=10.0.0.2, which answers ICMP echo,
    and is up before the test's QEMU (running ping) starts."""

    def __init__(self, *a):
        super().__init__(*a)
        ours = nw.free_port()
        theirs = nw.free_port()
        while theirs == ours:
            theirs = nw.free_port()
        sock = "socket,id=n0,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d"
        self.qemu_args = ["-netdev", sock % (theirs, ours),
                          "-device", "%s,netdev=n0,mac=52:54:00:12:34:57" % self.model]
        server = gradelib.Test(PEER_LAB, "ping-server", None,
                               args="init=udpecho tests=7,0,ip=%s,gw=0.0.0.0" % nw.GUEST_IP,
                               qemu_args=["-netdev", sock % (ours, theirs),
                                          "-device", "%s,netdev=n0" % self.model])
        subdir = os.path.join(self.workdir, "server")
        os.mkdir(subdir)
        self.server = gradelib.Qemu(server, subdir, self.iso)
        self.server_text = ""

    def read_server(self):
        with open(self.server.serial, "rb") as f:
            self.server_text = f.read().decode("utf-8", "replace").replace("\r", "")
        return self.server_text

    def start(self, run):
        self.server.start()
        if not wait_serial(self.read_server, r"^udpecho: ready$", self.stopped, 2 * WAIT):
            self.problem("server", "the second ExoLab's udpecho never said ready")

    def stop(self, run):
        super().stop(run)
        self.read_server()
        for pat in lab3.KERNEL_DIED:
            m = re.search(pat, self.server_text, re.M)
            if m:
                run.fail("the second ExoLab: %r" % m.group(0), "server")

    def close(self):
        super().close()
        self.server.stop()


def peer_of(cls, model):
    return lambda test, workdir, iso: cls(model, test, workdir, iso)


def udpecho_hostfwd(model):
    n = len(ECHO_SIZES)

    @LAB.test("udpecho-hostfwd-%s" % model, parts=dict(echo=3, counters=1),
              args="init=udpecho tests=7,%d" % n, peer=peer_of(HostfwdEcho, model),
              until=[r"^udpecho: end$"], reject=lab3.KERNEL_DIED, timeout=120)
    def check(run):
        got, bad = run.peer.echoes()
        if got != run.peer.sent or len(got) != n:
            run.fail("echoes %s differ from the datagrams sent %s"
                     % ([len(g) for g in got], [len(d) for d in run.peer.sent]), "echo")
        for f in bad:
            run.fail("echo frame wrong (%s): %s" % (f["bad"] or "addresses", f["raw"][:42]),
                     "echo")
        run.expect(r"^udpecho: #\d+: \d+ bytes from 10\.0\.2\.2:\d+, echo sent$", "echo", count=n)
        counts = counters(run.text, "udpecho")
        if counts.get("udp_in") != n or counts.get("udp_out") != n:
            run.fail("counters udp_in/udp_out: %s, want %d each" % (counts, n), "counters")

    return check


def udpecho_wire(model):
    n = 2 * len(WIRE_SIZES)
    want = dict.fromkeys([c for c, _ in bad_frames()], 1)
    want.update(udp_in=n, icmp_echo_in=1, arp_requests_in=1)
    never = ["eth_short", "udp_queue_full", "tx_no_buf", "tx_ring_full", "arp_hold_full"]

    @LAB.test("udpecho-wire-%s" % model, parts=dict(arp=1, icmp=1, echo=2, counters=2,
                                                    netcons=2),
              args="init=udpecho tests=7,%d,ip=%s,gw=0.0.0.0,%s" % (n, nw.GUEST_IP, NETCONS),
              peer=peer_of(RawWire, model), until=[r"^udpecho: end$"],
              reject=lab3.KERNEL_DIED, timeout=120)
    def check(run):
        got = counters(run.text, "udpecho")
        for name, value in want.items():
            if got.get(name, 0) != value:
                run.fail("counter %s = %d, want %d" % (name, got.get(name, 0), value),
                         "counters")
        for name in never:
            if got.get(name, 0):
                run.fail("counter %s = %d, want 0" % (name, got[name]), "counters")
        # The netconsole: every udpecho line from "listening" to the last counter, the same
        # text in the same order as the serial console printed it.
        serial = re.findall(r"^(udpecho: .*)$", run.text, re.M)
        start = next((i for i, l in enumerate(serial) if " listening on port " in l), 0)
        end = next((i for i, l in enumerate(serial) if l.startswith("udpecho: netconsole:")),
                   len(serial))
        sent = [l.rstrip("\n") for l in run.peer.wire.netcons]
        if sent != serial[start:end] or not sent:
            run.fail("netconsole lines %s differ from the serial console's %s"
                     % (sent, serial[start:end]), "netcons")
        if run.peer.wire.netcons_bad:
            run.fail("malformed netconsole datagrams: %s" % run.peer.wire.netcons_bad,
                     "netcons")
        run.expect(r"^udpecho: netconsole: %d lines sent, 0 dropped$" % len(sent), "netcons")

    return check


def ping_pair(model):
    @LAB.test("ping-%s" % model, parts=dict(server=1, ping=3),
              args="init=ping tests=%s,%d,ip=%s,gw=0.0.0.0" % (nw.GUEST_IP, PING_COUNT,
                                                               nw.HOST_IP),
              peer=peer_of(PingServer, model), until=[r"^ping: \d+ sent, \d+ received.*\n"],
              reject=lab3.KERNEL_DIED, timeout=120)
    def check(run):
        run.expect(r"^ping: seq \d+: reply from %s, rtt \d+ TSC ticks$" % nw.GUEST_IP,
                   "ping", count=PING_COUNT)
        run.expect(r"^ping: %d sent, %d received, rtt" % (PING_COUNT, PING_COUNT), "ping")

    return check


for _nic in NICS:
    udpecho_hostfwd(_nic[0])
    udpecho_wire(_nic[0])
    ping_pair(_nic[0])

if __name__ == "__main__":
    sys.exit(gradelib.main([LAB]))
