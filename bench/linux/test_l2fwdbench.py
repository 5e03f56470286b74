#!/usr/bin/env python3
"""bench-linux-check, bench-linux-l2fwd's part: l2fwdbench.py's parsing of the program's
serial lines and the l2count plugin's events, its figures and its table, on fixed input (no
QEMU, no Linux guest)."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import l2fwdbench  # noqa: E402

SERIAL = """l2fwd-linux: four e1000 ports found by their MAC addresses OK
L2FWD pkt 5120
L2FWD irqs 3
l2fwd-linux: done, 0 failed
"""
EXO = """BENCH l2fwd_owned_pkt 208 instructions
BENCH l2fwd_owned_pkt_mean 215 instructions
BENCH l2fwd_owned_lat_p50 5000 instructions
BENCH l2fwd_owned_lat_p99 5600 instructions
BENCH l2fwd_owned_lat_p999 5800 instructions
BENCH l2fwd_owned_lat_max 5900 instructions
BENCH l2fwd_owned_irqs 0 interrupts
BENCH l2fwd_shared_pkt 230 instructions
"""


def events():
    """A run: two warm-up frames (the first lost), 64 batches of 32 (the forwarder takes
    even ones whole, odd ones as 20 + 12), the stop frame.  Batch k is stamped at clock
    100000 k; its frames arrive 1000 + k later (the 20 + 12 split's second part 500 more),
    of which the forwarder's empty polls are 700 (300 for the second part); a full batch
    costs 32 * (3000 + k) instructions, a part 100 per frame more."""
    out = ["T 0 1 10 0", "T 0 1 50 0", "R 1 1 60 5", "B 1 1 9999"]
    idle = 5
    for k in range(64):
        t = 100000 * (k + 1)
        out.append("T 0 32 %d %d" % (t, idle))
        if k % 2 == 0:
            out += ["R 1 32 %d %d" % (t + 1000 + k, idle + 700), "B 1 32 %d" % (32 * (3000 + k))]
        else:
            out += ["R 1 20 %d %d" % (t + 1000 + k, idle + 700), "B 1 20 %d" % (20 * 3100),
                    "R 1 12 %d %d" % (t + 1500 + k, idle + 1000), "B 1 12 %d" % (12 * 3100)]
        idle += 1000
    out += ["T 0 1 9000000 %d" % idle, "R 1 1 9000100 %d" % idle, "B 1 1 7777"]
    return "\n".join(out) + "\n"


class Figures(unittest.TestCase):
    def test_figures(self):
        f = l2fwdbench.figures(l2fwdbench.parse_events(events(), "ev"), "ev")
        self.assertEqual(f["pkt"], 3000)  # batch 0, the cheapest full one
        self.assertEqual(f["full"], 32)
        self.assertEqual(f["batches"], 96)
        full = sum(32 * (3000 + k) for k in range(0, 64, 2))
        self.assertEqual(f["pkt_mean"], (full + 32 * 32 * 3100) // 2048)
        # 2048 latencies: 300 + k (32 frames, k even), 20 of 300 + k and 12 of 500 + k (odd).
        lat = sorted([300 + k for k in range(0, 64, 2) for _ in range(32)] +
                     [300 + k for k in range(1, 64, 2) for _ in range(20)] +
                     [500 + k for k in range(1, 64, 2) for _ in range(12)])
        self.assertEqual(f["lat_p50"], lat[1023])
        self.assertEqual(f["lat_p99"], lat[2028 - 1])
        self.assertEqual(f["lat_p999"], lat[2046 - 1])
        self.assertEqual(f["lat_max"], 563)
        self.assertEqual(f["spin_max"], 1563)

    def test_pct(self):
        v = list(range(1, 1001))
        self.assertEqual([l2fwdbench.pct(v, q) for q in (500, 990, 999, 1000)],
                         [500, 990, 999, 1000])
        self.assertEqual(l2fwdbench.pct([7, 9], 500), 7)

    def test_table(self):
        ev = l2fwdbench.figures(l2fwdbench.parse_events(events(), "ev"), "ev")
        lin = l2fwdbench.linux_row(l2fwdbench.parse_serial(SERIAL, "serial"), ev)
        t = l2fwdbench.table(l2fwdbench.parse_exolab(EXO, "exo"), lin).splitlines()
        self.assertEqual(len(t), 5)
        self.assertRegex(t[2], r"^ExoLab owned core +\| +208 \| +215 \| +5,000 \| +5,600 \| "
                         r"+5,800 \| +5,900 \| +1.16 \| +0$")
        self.assertRegex(t[3], r"^ExoLab shared core +\| +230 \| +- \|.* - \| +-$")
        self.assertRegex(t[4], r"^Linux AF_PACKET, isolated core +\| +3,000 \| +3,065 \| "
                         r"+339 \| +561 \| +563 \| +563 \| +1.66 \| +3$")
        self.assertEqual(l2fwdbench.notes(lin)[0],
                         "Linux: 96 measured batches on the forwarder's vCPU, 32 of them full "
                         "(32); latency counts both vCPUs' instructions but the forwarder's "
                         "empty polls; with them (QEMU's round-robin handoff, host-timed): p50 "
                         "1,039 max 1,563")

    def test_bad_input(self):
        with self.assertRaisesRegex(l2fwdbench.ParseError, r"1 check\(s\) failed"):
            l2fwdbench.parse_serial(SERIAL.replace("0 failed", "1 failed"), "s")
        with self.assertRaisesRegex(l2fwdbench.ParseError, "no `l2fwd-linux: done`"):
            l2fwdbench.parse_serial("L2FWD irqs 0\n", "s")
        with self.assertRaisesRegex(l2fwdbench.ParseError, "no L2FWD line for irqs"):
            l2fwdbench.parse_serial(SERIAL.replace("L2FWD irqs 3\n", ""), "s")
        with self.assertRaisesRegex(l2fwdbench.ParseError, r"ev:1: malformed event"):
            l2fwdbench.parse_events("T 0 1 5\n", "ev")
        with self.assertRaisesRegex(l2fwdbench.ParseError, r"s:2: malformed or repeated"):
            l2fwdbench.parse_serial("L2FWD irqs 0\nL2FWD irqs 1\n", "s")
        with self.assertRaisesRegex(l2fwdbench.ParseError, r"ev:2: malformed event"):
            l2fwdbench.parse_events("T 0 1 5 0\nX 1\n", "ev")
        lost = events().replace("R 1 12 6401563 64005\n", "")  # the last batch's second part
        with self.assertRaisesRegex(l2fwdbench.ParseError, "do not add up|frames received"):
            l2fwdbench.figures(l2fwdbench.parse_events(lost, "ev"), "ev")
        with self.assertRaisesRegex(l2fwdbench.ParseError, "no `BENCH l2fwd_owned"):
            l2fwdbench.parse_exolab("BENCH other 1 x\n", "exo")


if __name__ == "__main__":
    unittest.main(verbosity=1)
