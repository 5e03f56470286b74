"""hw/legion/collect.py: lines to a log and BENCH lines to CSV, live over UDP on the loopback
and offline from a saved log.  Run: python3 -m unittest discover -s hw/legion/tests"""

import csv
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import collect  # noqa: E402

TOOL = os.path.join(os.path.dirname(HERE), "collect.py")


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


class JoinerTest(unittest.TestCase):
    def test_a_line_split_over_datagrams_is_joined_per_sender(self):
        j = collect.Joiner()
        self.assertEqual(j.feed("a", b"BENCH sys"), [])
        self.assertEqual(j.feed("b", b"other\n"), ["other"])
        self.assertEqual(j.feed("a", b"call_null 73 cycles\nnext"), ["BENCH syscall_null 73 cycles"])
        self.assertEqual(j.rest(), [("a", "next")])


class OfflineTest(unittest.TestCase):
    def convert(self, text, *extra):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "serial.log")
            out = os.path.join(d, "out.csv")
            with open(log, "w", encoding="utf-8") as f:
                f.write(text)
            p = subprocess.run([sys.executable, TOOL, "--from-file", log, "--csv", out] + list(extra),
                               capture_output=True, text=True, timeout=60)
            with open(out, encoding="utf-8") as f:
                return p, f.read(), log

    def test_raw_serial_log_gives_rows_with_the_machine_line_and_the_given_date(self):
        p, out, _ = self.convert("boot...\nMACHINE legion-y540 i7-9750H\nBENCH syscall_null 150 cycles\n"
                                 "noise\nBENCH ipc_call_roundtrip 900 cycles\n", "--date", "2026-12-01")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(out.splitlines()[0], "name,value,unit,machine,date")
        self.assertEqual(rows_of(out), [
            {"name": "syscall_null", "value": "150", "unit": "cycles",
             "machine": "legion-y540 i7-9750H", "date": "2026-12-01"},
            {"name": "ipc_call_roundtrip", "value": "900", "unit": "cycles",
             "machine": "legion-y540 i7-9750H", "date": "2026-12-01"}])

    def test_a_collect_log_keeps_its_dates_and_machine_option_wins(self):
        text = ("2026-11-30T23:59:59.000001Z 127.0.0.1:4000 MACHINE qemu\n"
                "2026-12-01T00:00:01.5Z 127.0.0.1:4000 BENCH timer_wake 2000 cycles\n")
        p, out, _ = self.convert(text, "--machine", "laptop-7")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(rows_of(out), [{"name": "timer_wake", "value": "2000", "unit": "cycles",
                                         "machine": "laptop-7", "date": "2026-12-01"}])

    def test_a_malformed_bench_line_is_reported_with_file_and_line(self):
        p, out, log = self.convert("MACHINE m\nBENCH syscall_null fast cycles\nBENCH ok 1 cycles\n",
                                   "--date", "2026-12-01")
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:2: malformed BENCH line" % log, p.stderr)
        self.assertEqual([r["name"] for r in rows_of(out)], ["ok"])

    def test_until_stops_the_conversion(self):
        p, out, _ = self.convert("BENCH a 1 cycles\nlegion: bench done\nBENCH b 2 cycles\n",
                                 "--until", "bench done", "--date", "2026-12-01")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([r["name"] for r in rows_of(out)], ["a"])


class LoopbackTest(unittest.TestCase):
    """A real UDP exchange on 127.0.0.1: datagrams as the netconsole sends them."""

    def run_listener(self, rec, echo_port=None):
        bound = []
        ready = threading.Event()

        def go():
            collect.listen(rec, "127.0.0.1", 0, out=None, echo_port=echo_port,
                           ready=lambda addr: (bound.append(addr), ready.set()))

        t = threading.Thread(target=go, daemon=True)
        t.start()
        self.assertTrue(ready.wait(10), "the listener did not start")
        return t, bound[0]

    def test_udp_lines_are_logged_with_times_and_bench_lines_become_rows(self):
        log, out = io.StringIO(), io.StringIO()
        rows = csv.writer(out, lineterminator="\n")
        rec = collect.Recorder(log, rows, until=r"^legion: bench done")
        t, addr = self.run_listener(rec)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for d in [b"MACHINE stand-in q35\n", b"BENCH syscall", b"_null 73 cycles\n",
                  b"BENCH nvme_qd1_lat_p50 80000 cycles\n", b"legion: bench done\n",
                  b"BENCH after 1 cycles\n"]:
            s.sendto(d, addr)
        s.close()
        t.join(20)
        self.assertFalse(t.is_alive(), "the listener did not stop at --until")
        self.assertEqual(rec.lines, 4)
        got = [r.split(",")[:4] for r in out.getvalue().splitlines()]
        self.assertEqual(got, [["syscall_null", "73", "cycles", "stand-in q35"],
                               ["nvme_qd1_lat_p50", "80000", "cycles", "stand-in q35"]])
        logged = log.getvalue().splitlines()
        self.assertEqual(len(logged), 4)
        m = collect.LOGGED.match(logged[1])
        self.assertIsNotNone(m, logged[1])
        self.assertTrue(m.group(2).startswith("127.0.0.1:"))
        self.assertEqual(m.group(3), "BENCH syscall_null 73 cycles")

    def test_count_stops_the_listener(self):
        rec = collect.Recorder(None, None, count=2)
        t, addr = self.run_listener(rec)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for d in [b"one\n", b"two\n", b"three\n"]:
            s.sendto(d, addr)
        s.close()
        t.join(20)
        self.assertFalse(t.is_alive())
        self.assertEqual(rec.lines, 2)

    def test_the_echo_port_sends_each_datagram_back_and_logs_nothing(self):
        log = io.StringIO()
        rec = collect.Recorder(log, None, count=1)
        t, (addr, echo_addr) = self.run_listener(rec, echo_port=0)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(10)
        for payload in (b"ping 1", b"\x00\xffbinary"):
            s.sendto(payload, echo_addr)
            self.assertEqual(s.recvfrom(2048), (payload, echo_addr))
        s.sendto(b"done\n", addr)
        s.close()
        t.join(20)
        self.assertFalse(t.is_alive())
        self.assertEqual(rec.echoed, 2)
        self.assertEqual(len(log.getvalue().splitlines()), 1)


if __name__ == "__main__":
    unittest.main()
