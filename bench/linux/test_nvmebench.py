#!/usr/bin/env python3
"""bench-linux-check, bench-linux-nvme's part: nvmebench.py's parsing and table and
mkinitramfs.py's module records, on fixed input (no QEMU, no Linux guest)."""

import lzma
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mkinitramfs  # noqa: E402
import nvmebench  # noqa: E402
from test_sidebyside import newc_names  # noqa: E402

LOG = """linux: 6.1.0-57-amd64, 1 CPU
nvmebench: /dev/nvme0n1, empty rdtsc pair 3, spin 2000000
NVME sleep_1ms min 1054532 median 1054681 mean 1054691 max 1056039 n 32
NVME sleep_1ms_wait min 1010340 median 1047210 mean 1043530 max 1047224 n 32
NVME sleep_1ms_busy min 7455 median 7471 mean 11161 max 45699 n 32
NVME pread_qd1 min 10991 median 11352 mean 12265 max 44828 n 256
NVME pread_qd1_wait min 0 median 0 mean 932 max 33470 n 256
NVME pread_qd1_busy min 10991 median 11352 mean 11332 max 17693 n 256
NVME-IRQ pread_qd1 272 272
NVME-NA preadv2_hipri_qd1 the child did not finish
NVME uring_qd1_poll min 15789 median 21310 mean 22173 max 35408 n 256
NVME uring_qd1_poll_sw min 6483 median 6493 mean 7770 max 334818 n 256
NVME-IRQ uring_qd1_poll_sw 0 272
NVME pread_qd1_slept min 10991 median 11192 mean 11242 max 15433 n 250
NVME pread_qd1_awake min 5296 median 5296 mean 5300 max 5400 n 6
NVME uring_qd1_poll_enter0 min 365 median 365 mean 365 max 365 n 256
NVME uring_qd32_poll_sw min 4212 median 4212 mean 4215 max 4582 n 256
nvmebench: done, 0 failed
"""
EXO = "BENCH nvme_read4k_sw 433 instructions\nBENCH nvme_read4k_qd32_sw 130 instructions\n"


class Parse(unittest.TestCase):
    def test_rows(self):
        rows = nvmebench.parse_linux(LOG, "log")
        self.assertEqual(rows["pread_qd1"]["min"], 10991)
        self.assertEqual(rows["uring_qd1_poll_sw"]["median"], 6493)
        self.assertTrue(rows["preadv2_hipri_qd1"].startswith("n/a"))

    def test_malformed_line(self):
        bad = LOG.replace("max 4582 n 256", "max 4582")
        with self.assertRaisesRegex(nvmebench.ParseError, r"^log:17: malformed"):
            nvmebench.parse_linux(bad, "log")

    def test_twice_and_unfinished_and_failed(self):
        line = "NVME pread_qd1 min 1 median 1 mean 1 max 1 n 1\n"
        with self.assertRaisesRegex(nvmebench.ParseError, "printed twice"):
            nvmebench.parse_linux(line + LOG, "log")
        with self.assertRaisesRegex(nvmebench.ParseError, "did not finish"):
            nvmebench.parse_linux(LOG.replace("nvmebench: done", "x"), "log")
        with self.assertRaisesRegex(nvmebench.ParseError, "failed"):
            nvmebench.parse_linux(LOG.replace("0 failed", "2 failed"), "log")

    def test_spinner_check(self):
        blind = LOG.replace("median 1047210", "median 500000")
        with self.assertRaisesRegex(nvmebench.ParseError, "idle spinner ran 500000"):
            nvmebench.parse_linux(blind, "log")
        gone = "\n".join(l for l in LOG.splitlines() if "sleep_1ms" not in l)
        with self.assertRaisesRegex(nvmebench.ParseError, "spinner's check"):
            nvmebench.parse_linux(gone, "log")

    def test_exolab(self):
        self.assertEqual(nvmebench.parse_exolab(EXO, "e")["nvme_read4k_sw"], 433)
        with self.assertRaisesRegex(nvmebench.ParseError, "nvme_read4k_sw"):
            nvmebench.parse_exolab("BENCH other 1 instructions\n", "e")


class Table(unittest.TestCase):
    def test_table(self):
        rows = nvmebench.parse_linux(LOG, "log")
        lines = nvmebench.table(rows, nvmebench.parse_exolab(EXO, "e")).splitlines()
        cells = {l.split(" | ")[0].strip(): [c.strip() for c in l.split(" | ")] for l in lines}
        pread = cells["O_DIRECT pread, interrupt (pread_qd1)"]
        # medians for the whole I/O and total-wait; the split's minimum
        pread = cells["O_DIRECT pread, interrupt (pread_qd1)"]
        self.assertEqual(pread[2:9], ["1.00", "11,352", "0", "11,352", "total-wait", "433",
                                      "26.2"])
        self.assertEqual(cells["slept: 250 of 256 samples"][5:9],
                         ["11,192", "total-wait", "433", "25.8"])
        self.assertEqual(cells["done before sleeping: 6 of 256 samples"][5], "5,296")
        self.assertIn("nothing to do: 365 instructions", lines[-1])
        poll = cells["io_uring IOPOLL (uring_qd1_poll)"]  # wait = total - split
        self.assertEqual(poll[2:9], ["0.00", "21,310", "14,827", "6,483", "split", "433", "15.0"])
        deep = cells["io_uring IOPOLL (uring_qd32_poll)"]
        self.assertEqual(deep[5:9], ["4,212", "split", "130", "32.4"])
        hipri = cells["O_DIRECT preadv2 RWF_HIPRI (preadv2_hipri_qd1)"]
        self.assertTrue(hipri[3].startswith("n/a"))


class Modules(unittest.TestCase):
    def test_module_records_and_insmod_lines(self):
        data = mkinitramfs.archive(b"\x7fELFbb", b"\x7fELFnv", "nvmebench",
                                   [("a.ko", "", b"\x7fELFa"), ("nvme.ko", "poll_queues=1",
                                                                b"\x7fELFn")])
        names = {n: (m, s) for n, m, s in newc_names(data)[0]}
        self.assertEqual(names["lib/modules/nvme.ko"], (0o100644, 5))
        self.assertEqual(names["nvmebench"], (0o100755, 6))
        init = mkinitramfs.init_script("nvmebench", [("a.ko", ""), ("nvme.ko", "poll_queues=1")])
        self.assertLess(init.index(b"mount -t devtmpfs"), init.index(b"insmod /lib/modules/a.ko"))
        self.assertLess(init.index(b"a.ko"), init.index(b"nvme.ko poll_queues=1"))
        self.assertLess(init.index(b"nvme.ko"), init.index(b"/nvmebench\n"))
        self.assertNotIn(b"insmod", mkinitramfs.init_script("osbench", []))

    def test_xz_and_bad_input(self):
        with tempfile.TemporaryDirectory() as d:
            ko = os.path.join(d, "m.ko")
            with open(ko + ".xz", "wb") as f:
                f.write(lzma.compress(b"\x7fELFmodule"))
            self.assertEqual(mkinitramfs.read_elf(ko), b"\x7fELFmodule")
            with open(ko, "wb") as f:
                f.write(b"text")
            with self.assertRaisesRegex(mkinitramfs.BadInput, r"m\.ko:1: not an ELF"):
                mkinitramfs.read_elf(ko)


if __name__ == "__main__":
    unittest.main(verbosity=1)
