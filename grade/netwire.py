"""Raw Ethernet for the network graders (grade/nettests.py): frames built and parsed byte by
byte in Python, independently of the guest's stack (lib/net), and the grader's end of QEMU's
socket network backend.

`-netdev socket,id=N,udp=127.0.0.1:A,localaddr=127.0.0.1:B` makes QEMU send every frame the
guest transmits as one UDP datagram to 127.0.0.1:A, and hand every datagram that arrives on
127.0.0.1:B to the guest's NIC as one frame.  Wire() owns the socket on A: it answers ARP
requests for HOST_IP itself (so the guest can send to us), keeps the netconsole's datagrams
apart, and queues every other frame for the test.  Nothing here uses an address outside
127.0.0.0/8 on the host; 10.0.0.0/24 exists only inside the emulated wire."""

import queue
import socket
import struct
import threading
import time

GUEST_MAC = bytes.fromhex("525400123456")  # QEMU's default MAC for the first NIC
HOST_MAC = bytes.fromhex("020000000001")  # the grader's: locally administered (IEEE 802 §8)
BCAST_MAC = b"\xff" * 6
SLIRP_GW_MAC = bytes.fromhex("52550a000202")  # libslirp's gateway: 52:55 then 10.0.2.2
HOST_IP, GUEST_IP = "10.0.0.1", "10.0.0.2"
ETH_IPV4, ETH_ARP = 0x0800, 0x0806
NETCONS_PORT = 6666  # where the guest's netconsole sends (netcons=10.0.0.1:6666)


def free_port(kind=socket.SOCK_DGRAM):
    """A port on 127.0.0.1 nobody holds now, for QEMU to bind (the race with another program
    taking it in between would show as QEMU failing to start, not as a wrong result)."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ip4(text):
    return socket.inet_aton(text)


def cksum(data, start=0):
    """RFC 1071: the one's complement of the one's complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def eth(dst, etype, payload, src=HOST_MAC):
    return dst + src + struct.pack("!H", etype) + payload


def arp(op, spa, tpa, sha=HOST_MAC, tha=b"\0" * 6, htype=1):
    """RFC 826 for IPv4 over Ethernet: op 1 request, 2 reply."""
    return struct.pack("!HHBBH", htype, ETH_IPV4, 6, 4, op) + sha + ip4(spa) + tha + ip4(tpa)


def ipv4(proto, payload, src=HOST_IP, dst=GUEST_IP, ihl=5, tlen=None, bad_sum=False, frag=0,
         version=4):
    """RFC 791 §3.1; ihl > 5 claims options that are not there (a truncated header)."""
    tlen = 20 + len(payload) if tlen is None else tlen
    hdr = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, tlen, 0x4558, frag, 64, proto, 0,
                      ip4(src), ip4(dst))
    hdr = hdr[:10] + struct.pack("!H", cksum(hdr) ^ (0x0101 if bad_sum else 0)) + hdr[12:]
    return hdr + payload


def udp(sport, dport, payload, src=HOST_IP, dst=GUEST_IP, ulen=None, bad_sum=False):
    """RFC 768, with the checksum over the pseudo-header (wrong on purpose if bad_sum)."""
    ulen = 8 + len(payload) if ulen is None else ulen
    seg = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, 8 + len(payload))
    s = cksum(pseudo + seg) or 0xFFFF
    if bad_sum:
        s = s ^ 0x0101
    return seg[:6] + struct.pack("!H", s) + seg[8:]


def icmp_echo(ident, seq, data, typ=8, bad_sum=False):
    msg = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    s = cksum(msg) ^ (0x0101 if bad_sum else 0)
    return msg[:2] + struct.pack("!H", s) + msg[4:]


def udp_frame(sport, dport, payload, **kw):
    return eth(GUEST_MAC, ETH_IPV4, ipv4(17, udp(sport, dport, payload)), **kw)


def parse(frame):
    """A frame from the guest as a dict: kind arp/udp/icmp/other, with its fields; `bad` names
    the first thing wrong with it (a checksum, a length), None if it is well formed."""
    f = {"kind": "other", "mac_dst": frame[:6], "mac_src": frame[6:12], "bad": None, "raw": frame}
    etype = struct.unpack("!H", frame[12:14])[0] if len(frame) >= 14 else None
    if etype == ETH_ARP and len(frame) >= 42:
        op = struct.unpack("!H", frame[20:22])[0]
        f.update(kind="arp", op=op, sha=frame[22:28], spa=socket.inet_ntoa(frame[28:32]),
                 tpa=socket.inet_ntoa(frame[38:42]))
        return f
    if etype != ETH_IPV4 or len(frame) < 34:
        return f
    ip = frame[14:]
    ihl, tlen = (ip[0] & 15) * 4, struct.unpack("!H", ip[2:4])[0]
    if ip[0] >> 4 != 4 or ihl < 20 or tlen > len(ip) or tlen < ihl:
        f["bad"] = "IPv4 header or length"
        return f
    if cksum(ip[:ihl]) != 0:
        f["bad"] = "IPv4 header checksum"
    src, dst, proto = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ip[9]
    body = ip[ihl:tlen]
    f.update(src=src, dst=dst, proto=proto)
    if proto == 17 and len(body) >= 8:
        sport, dport, ulen, usum = struct.unpack("!HHHH", body[:8])
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, ulen)
        if ulen != len(body):
            f["bad"] = f["bad"] or "UDP length %d in %d bytes" % (ulen, len(body))
        elif usum == 0 or cksum(pseudo + body) != 0:
            f["bad"] = f["bad"] or "UDP checksum"
        f.update(kind="udp", sport=sport, dport=dport, payload=body[8:])
    elif proto == 1 and len(body) >= 8:
        typ, _, _, ident, seq = struct.unpack("!BBHHH", body[:8])
        if cksum(body) != 0:
            f["bad"] = f["bad"] or "ICMP checksum"
        f.update(kind="icmp", type=typ, id=ident, seq=seq, payload=body[8:])
    return f


def read_pcap(path):
    """The frames of a pcap file (QEMU's -object filter-dump writes one): a list of bytes."""
    with open(path, "rb") as f:
        data = f.read()
    frames, at = [], 24  # the global header, then (16-byte record header, frame) pairs
    while at + 16 <= len(data):
        caplen = struct.unpack("<I", data[at + 8:at + 12])[0]
        frames.append(data[at + 16:at + 16 + caplen])
        at += 16 + caplen
    return frames


class Wire:
    """The grader's end of one socket backend (see the top of this file)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.qemu_port = free_port()
        self.frames = queue.Queue()  # parsed frames for the test
        self.netcons = []  # the netconsole's datagrams, decoded, in arrival order
        self.netcons_bad = []  # ... and what was wrong with any malformed one
        self.announcements = []
        self.arp_answered = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._receive, daemon=True)

    def netdev(self, ident):
        return "socket,id=%s,udp=127.0.0.1:%d,localaddr=127.0.0.1:%d" % (
            ident, self.port, self.qemu_port)

    def start(self):
        self.thread.start()

    def send(self, frame):
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def _take(self, data):
        f = parse(data)
        if f["kind"] == "arp" and f["op"] == 1 and f["tpa"] == HOST_IP:
            self.send(eth(f["sha"], ETH_ARP, arp(2, HOST_IP, f["spa"], tha=f["sha"])))
            self.arp_answered.set()
        elif f["kind"] == "arp" and f["op"] == 1 and f["tpa"] == f["spa"]:
            self.announcements.append(f)  # RFC 5227's ARP Announcement: nothing to answer
        elif f["kind"] == "udp" and f["dport"] == NETCONS_PORT:
            self.netcons.append(f["payload"].decode("utf-8", "replace"))
            if f["bad"]:
                self.netcons_bad.append(f["bad"])
        else:
            self.frames.put(f)

    def _receive(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                if self.done.is_set():
                    return
                continue
            except OSError:
                return
            self._take(data)

    def expect(self, pred, seconds, stopped):
        """The first queued frame pred accepts, with the ones before it (unexpected); None
        for the frame after `seconds` or once the event `stopped` is set."""
        skipped = []
        deadline = time.monotonic() + seconds
        while True:
            try:
                f = self.frames.get(timeout=0.1)
            except queue.Empty:
                if stopped.is_set() or time.monotonic() > deadline:
                    return None, skipped
                continue
            if pred(f):
                return f, skipped
            skipped.append(f)

    def close(self):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join()
        self.sock.close()
