#!/usr/bin/env python3
"""Records what a Legion image prints over its netconsole, and its BENCH lines as CSV.

    collect.py [--bind ADDR] [--port N] [--log FILE] [--csv FILE] [--machine NAME]
               [--count N] [--until REGEX] [--echo-port N]
    collect.py --from-file LOG [--log FILE] [--csv FILE] [--machine NAME] [--date YYYY-MM-DD]

Live: listens on UDP (default 0.0.0.0:6666, the image's default netcons=169.254.77.1:6666 on
a direct cable; docs/legion.md, "Collecting results").  The netconsole (lib/net/netcons.c)
sends one datagram per console line, a long line in several datagrams of up to its line
size: text is joined per sender until its newline.  Every line goes to the log as
`TIMESTAMP SENDER TEXT` (UTC, microseconds); every `BENCH NAME VALUE UNIT` line becomes a
CSV row `name,value,unit,machine,date`.  The machine is the text after the `MACHINE ` line
the image prints at start (--machine overrides it), the date the UTC day the line came.
Stops after --count lines, at the first line matching --until, or at Ctrl-C.  --echo-port N
also sends back every datagram that comes to port N (a peer for a UDP round trip).

Offline (--from-file): the same for a saved serial or netconsole log (a collect.py log, whose
timestamps give the dates, or raw console text, dated --date or the file's modification day).

A malformed BENCH line (no number, missing unit) is reported as FILE:LINE: what on standard
error (SENDER#N for live lines) and counted; the exit status is then 1."""

import argparse
import csv
import datetime
import os
import re
import select
import socket
import sys

CSV_FIELDS = ["name", "value", "unit", "machine", "date"]
BENCH = re.compile(r"^BENCH (\S+) (-?\d+(?:\.\d+)?) (\S+)$")
MACHINE = re.compile(r"^MACHINE (.+)$")
# A line of a collect.py log: the receive time, the sender, the text.
LOGGED = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (\S+) (.*)$")
MAX_DATAGRAM = 65535


class Recorder:
    """Turns console lines into log lines and CSV rows; remembers the machine and errors."""

    def __init__(self, log, rows, machine=None, until=None, count=None):
        self.log = log  # a text file or None
        self.rows = rows  # a csv.writer or None
        self.machine_opt = machine
        self.machine = machine or ""
        self.until = re.compile(until) if until else None
        self.count = count
        self.lines = 0
        self.bench = 0
        self.errors = []
        self.done = False
        self.echoed = 0

    def line(self, text, when, sender, where):
        """One console line `text` received at `when` (a UTC datetime) from `sender`; `where`
        names it in error messages."""
        text = text.rstrip("\r\n")
        if self.log is not None:
            self.log.write("%s %s %s\n" % (stamp(when), sender, text))
            self.log.flush()
        self.lines += 1
        clean = text.strip()
        m = MACHINE.match(clean)
        if m and not self.machine_opt:
            self.machine = m.group(1).strip()
        if clean.startswith("BENCH ") or clean == "BENCH":
            self.bench_line(clean, when, where)
        if (self.until and self.until.search(text)) or (self.count and self.lines >= self.count):
            self.done = True

    def bench_line(self, clean, when, where):
        m = BENCH.match(clean)
        if not m:
            self.errors.append("%s: malformed BENCH line (want BENCH NAME VALUE UNIT): %r"
                               % (where, clean))
            return
        self.bench += 1
        if self.rows is not None:
            self.rows.writerow([m.group(1), m.group(2), m.group(3), self.machine or "unknown",
                                when.strftime("%Y-%m-%d")])


def stamp(when):
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


class Joiner:
    """Datagram payloads to lines, per sender: a payload without a newline continues."""

    def __init__(self):
        self.partial = {}

    def feed(self, sender, data):
        text = self.partial.pop(sender, "") + data.decode("utf-8", errors="replace")
        parts = text.split("\n")
        if parts[-1]:
            self.partial[sender] = parts[-1]
        return parts[:-1]

    def rest(self):
        """The unfinished lines, at the end."""
        out = sorted(self.partial.items())
        self.partial = {}
        return out


def listen(rec, bind, port, out=sys.stdout, ready=None, echo_port=None):
    """Receives datagrams on bind:port until rec.done or Ctrl-C.  With `echo_port`, every
    datagram that comes to bind:echo_port is sent back to its sender unchanged (a UDP echo
    peer for a round-trip benchmark; not logged).  `ready`, if given, is called with the
    bound address(es) once the sockets listen (the tests use it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((bind, port))
    echo = None
    if echo_port is not None:
        echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        echo.bind((bind, echo_port))
    joiner, counts = Joiner(), {}
    if ready:
        ready(sock.getsockname() if echo is None else (sock.getsockname(), echo.getsockname()))
    try:
        while not rec.done:
            readable, _, _ = select.select([sock] + ([echo] if echo else []), [], [])
            if echo in readable:
                data, addr = echo.recvfrom(MAX_DATAGRAM)
                echo.sendto(data, addr)
                rec.echoed += 1
            if sock in readable:
                data, addr = sock.recvfrom(MAX_DATAGRAM)
                lines(rec, joiner, counts, "%s:%d" % addr, data, out)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if echo:
            echo.close()
    for sender, text in joiner.rest():
        rec.line(text, now(), sender, "%s#end" % sender)


def lines(rec, joiner, counts, sender, data, out):
    for text in joiner.feed(sender, data):
        counts[sender] = counts.get(sender, 0) + 1
        rec.line(text, now(), sender, "%s#%d" % (sender, counts[sender]))
        if out:
            print(text, file=out, flush=True)
        if rec.done:
            return


def from_file(rec, path, date):
    """Reads a saved log: a collect.py log keeps its times and senders; other text is dated
    `date` (a datetime)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, raw in enumerate(f, 1):
            text = raw.rstrip("\r\n")
            m = LOGGED.match(text)
            if m:
                when = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ"
                                                  if "." in m.group(1) else "%Y-%m-%dT%H:%M:%SZ")
                when = when.replace(tzinfo=datetime.timezone.utc)
                rec.line(m.group(3), when, m.group(2), "%s:%d" % (path, n))
            else:
                rec.line(text, date, "file", "%s:%d" % (path, n))
            if rec.done:
                break


def file_date(path, opt):
    if opt:
        try:
            return datetime.datetime.strptime(opt, "%Y-%m-%d").replace(
                tzinfo=datetime.timezone.utc)
        except ValueError:
            raise SystemExit("collect.py: --date %r: want YYYY-MM-DD" % opt)
    return datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bind", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    p.add_argument("--port", type=int, default=6666, help="UDP port (default 6666)")
    p.add_argument("--log", help="every line, time-stamped (default legion-TIME.log when "
                   "listening, none with --from-file; - none)")
    p.add_argument("--csv", help="BENCH rows (default legion-TIME.csv; - standard output)")
    p.add_argument("--machine", help="the machine column (default: the image's MACHINE line)")
    p.add_argument("--count", type=int, help="stop after N lines")
    p.add_argument("--until", help="stop after the first line matching this regex")
    p.add_argument("--from-file", metavar="LOG", help="convert a saved log instead of listening")
    p.add_argument("--date", help="with --from-file: the date of undated lines (YYYY-MM-DD)")
    p.add_argument("--echo-port", type=int, help="also send back every datagram that comes to "
                   "this UDP port (a peer for a UDP round-trip benchmark; default: none)")
    p.add_argument("--quiet", action="store_true", help="do not echo lines to standard output")
    a = p.parse_args(argv)
    if a.count is not None and a.count <= 0:
        p.error("--count must be positive")
    if a.until:
        try:
            re.compile(a.until)
        except re.error as e:
            p.error("--until: %s" % e)
    return a


def open_out(path, default, mode="w"):
    if path == "-":
        return None
    return open(path or default, mode, encoding="utf-8", newline="")


def main(argv):
    a = parse_args(argv)
    base = "legion-" + now().strftime("%Y%m%dT%H%M%SZ")
    log = open_out(a.log or ("-" if a.from_file else None), base + ".log")
    csv_file = sys.stdout if a.csv == "-" else open_out(a.csv, base + ".csv")
    rows = csv.writer(csv_file, lineterminator="\n")
    rows.writerow(CSV_FIELDS)
    rec = Recorder(log, rows, a.machine, a.until, a.count)
    try:
        if a.from_file:
            from_file(rec, a.from_file, file_date(a.from_file, a.date))
        else:
            quiet = a.quiet or a.csv == "-"
            listen(rec, a.bind, a.port, None if quiet else sys.stdout, echo_port=a.echo_port)
    finally:
        if log:
            log.close()
        if csv_file is not sys.stdout:
            csv_file.close()
    for e in rec.errors:
        print("collect.py: " + e, file=sys.stderr)
    print("collect.py: %d lines, %d BENCH rows, machine %s%s%s"
          % (rec.lines, rec.bench, rec.machine or "unknown",
             ", %d datagrams echoed" % rec.echoed if a.echo_port is not None else "",
             ", %d errors" % len(rec.errors) if rec.errors else ""), file=sys.stderr)
    return 1 if rec.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
