#!/usr/bin/env python3
"""bench-linux-check: bench/linux/sidebyside.py's parsing and table and mkinitramfs.py's
archive, on fixed input (no QEMU, no Linux guest)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mkinitramfs  # noqa: E402
import sidebyside  # noqa: E402

EXO = """ExoLab x86-64 0.1\r
osbench: null_syscall (null system call): 1000 samples: min 76 median 76 max 76\r
BENCH null_syscall 76 instructions\r
BENCH yield_roundtrip 1498 instructions
BENCH-NA pipe_roundtrip issue 11
BENCH ufault_roundtrip 2488 instructions
osbench: done, 0 failed
"""

LIN = """[    0.000000] Linux version 6.1.0
BENCH null_syscall 310 instructions
BENCH yield_roundtrip 4446 instructions
BENCH pipe_roundtrip 10580 instructions
osbench: done, 0 failed
"""


class Parse(unittest.TestCase):
    def test_figures_and_na(self):
        f = sidebyside.parse(EXO, "exo")
        self.assertEqual(f, {"null_syscall": 76, "yield_roundtrip": 1498,
                             "pipe_roundtrip": "n/a (issue 11)", "ufault_roundtrip": 2488})

    def test_malformed_line_names_its_line(self):
        with self.assertRaisesRegex(sidebyside.ParseError, r"^x:2: malformed"):
            sidebyside.parse("ok\nBENCH null_syscall lots instructions\n", "x")

    def test_repeated_name(self):
        with self.assertRaisesRegex(sidebyside.ParseError, r"x:2: null_syscall printed twice"):
            sidebyside.parse("BENCH null_syscall 1 instructions\n" * 2, "x")

    def test_unfinished_run(self):
        with self.assertRaisesRegex(sidebyside.ParseError, "did not finish"):
            sidebyside.parse("BENCH null_syscall 1 instructions\n", "x")

    def test_failed_operation(self):
        with self.assertRaisesRegex(sidebyside.ParseError, "1 operation"):
            sidebyside.parse("osbench: done, 1 failed\n", "x")


class Table(unittest.TestCase):
    def setUp(self):
        self.lines = sidebyside.table(sidebyside.parse(EXO, "e"),
                                      sidebyside.parse(LIN, "l")).splitlines()

    def row(self, name):
        return [c.strip() for c in next(l for l in self.lines if l.startswith(name + " "))
                .split("|")]

    def test_one_row_per_operation_in_order(self):
        self.assertEqual(len(self.lines), 2 + len(sidebyside.ROWS))
        self.assertEqual([l.split()[0] for l in self.lines[2:]],
                         [r[0] for r in sidebyside.ROWS])

    def test_ratio_is_linux_over_exolab(self):
        self.assertEqual(self.row("null_syscall")[1:], ["76  sys_null", "310  getpid", "4.1"])
        self.assertEqual(self.row("yield_roundtrip")[3], "3.0")

    def test_na_and_missing(self):
        self.assertEqual(self.row("pipe_roundtrip")[1:],
                         ["n/a (issue 11)  LibOS pipe ping-pong", "10,580  pipe ping-pong", "-"])
        self.assertEqual(self.row("ufault_roundtrip")[2:], ["missing  SIGSEGV + mprotect", "-"])


def newc_names(data):
    """(name, mode, size) of every record of a newc archive, checking magic and padding."""
    out, off = [], 0
    while True:
        assert data[off:off + 6] == b"070701", "bad magic at %d" % off
        mode, size, namesize = (int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in (1, 6, 11))
        name = data[off + 110:off + 110 + namesize - 1].decode()
        off += 110 + namesize
        off += -off % 4
        out.append((name, mode, size))
        if name == "TRAILER!!!":
            return out, off
        off += size + (-size % 4)


class Initramfs(unittest.TestCase):
    def test_archive(self):
        data = mkinitramfs.archive(b"\x7fELFbusybox", b"\x7fELFbench!")
        self.assertEqual(len(data) % 512, 0)
        recs, end = newc_names(data)
        self.assertEqual(data[end:], b"\0" * (len(data) - end))
        names = {n: (m, s) for n, m, s in recs}
        self.assertEqual(names["init"][0], 0o100755)
        self.assertEqual(names["osbench"], (0o100755, 10))
        self.assertEqual(names["bin/sh"], (0o120777, len(b"busybox")))
        self.assertEqual(names["dev/console"][0], 0o020600)
        self.assertIn(b"/osbench\n", data)


if __name__ == "__main__":
    unittest.main(verbosity=1)
