"""hw/legion/calibrate.py on the committed sample (hw/legion/tests/sample.csv, made-up figures
of a machine named sample-not-measured) and on bad input.  With EXOSIM set (make
legion-calibrate-test) the produced profile is also loaded by exosim.
Run: python3 -m unittest discover -s hw/legion/tests"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LEGION = os.path.dirname(HERE)
ROOT = os.path.dirname(os.path.dirname(LEGION))
TOOL = os.path.join(LEGION, "calibrate.py")
SAMPLE = os.path.join(HERE, "sample.csv")
HEADER = "name,value,unit,machine,date\n"


def load(d, f):
    with open(os.path.join(d, f + ".json"), encoding="utf-8") as fh:
        return json.load(fh)


class CalibrateTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.out = os.path.join(self.tmp, "hw", "legion")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_tool(self, *args):
        return subprocess.run([sys.executable, TOOL, "--profile", LEGION] + list(args),
                              capture_output=True, text=True, timeout=60)

    def csv(self, text):
        path = os.path.join(self.tmp, "r.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def calibrate_sample(self):
        p = self.run_tool(SAMPLE, "--out", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def test_sample_costs_are_measured_with_machine_and_date(self):
        self.calibrate_sample()
        costs = load(self.out, "machine")["costs"]
        # syscall_null 150 and 170 (two boots): the median
        self.assertEqual(costs["syscall"]["cycles"], 160)
        self.assertEqual(costs["context_switch"]["cycles"], 1500)
        self.assertEqual(costs["timer_interrupt"]["cycles"], 4200 - 1500)
        self.assertEqual(costs["ipi"]["cycles"], (9400 - 1400) // 2)
        for c in ("syscall", "context_switch", "timer_interrupt", "ipi"):
            self.assertNotIn("estimate", costs[c])
            self.assertTrue(costs[c]["measured"].startswith("2026-12-05 on sample-not-measured: "),
                            costs[c]["measured"])

    def test_values_the_sample_lacks_keep_their_figure_and_estimate(self):
        self.calibrate_sample()
        before = load(LEGION, "machine")["costs"]
        after = load(self.out, "machine")["costs"]
        for c in ("migration", "cache_line_transfer"):
            self.assertEqual(after[c], before[c])
        nic_before, nic_after = load(LEGION, "nic")["driver_costs"], load(self.out, "nic")[
            "driver_costs"]
        for c in ("fwd_pkt", "mmio_write", "mmio_read", "l2fwd_pkt", "l2fwd_batch", "irq"):
            self.assertEqual(nic_after[c], nic_before[c], c)

    def test_nic_driver_costs_come_from_the_packet_bench(self):
        p = self.calibrate_sample()
        dc = load(self.out, "nic")["driver_costs"]
        # tx: a + b = 400, a + 8 b = 820: b = 60, a = 340; rx: the empty call, the frame
        self.assertEqual((dc["tx_call"]["cycles"], dc["tx_pkt"]["cycles"]), (340, 60))
        self.assertEqual((dc["rx_call"]["cycles"], dc["rx_pkt"]["cycles"]), (60, 95))
        for c in ("tx_call", "tx_pkt", "rx_call", "rx_pkt"):
            self.assertNotIn("estimate", dc[c])
            self.assertIn("measured 2026-12-05 on sample-not-measured", dc[c]["source"])
            self.assertIn("packet bench", dc[c]["source"])
        self.assertIn("packet_rtt p50 52000, p99 91000 cycles", p.stderr)
        self.assertIn("nic.driver_costs.fwd_pkt", p.stdout.split("estimated")[1])

    def test_rx_pkt_without_bursts_is_one_frame_less_the_empty_call(self):
        rows = ["packet_rx_empty,60,cycles,m,2026-12-06", "packet_rx_1,210,cycles,m,2026-12-06",
                "packet_rtt_p50,5,cycles,m,2026-12-06", "packet_rtt_p99,9,cycles,m,2026-12-06"]
        p = self.run_tool(self.csv(HEADER + "\n".join(rows) + "\n"), "--out", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        dc = load(self.out, "nic")["driver_costs"]
        self.assertEqual((dc["rx_call"]["cycles"], dc["rx_pkt"]["cycles"]), (60, 150))
        self.assertEqual(dc["tx_pkt"], load(LEGION, "nic")["driver_costs"]["tx_pkt"])
        self.assertIn("packet_rx_1 - packet_rx_empty", dc["rx_pkt"]["source"])

    def test_nvme_driver_costs_are_fitted_and_the_ssd_read_model_derived(self):
        self.calibrate_sample()
        nv = load(self.out, "nvme")
        dc = nv["driver_costs"]
        # a + b = 300, (a + 32 b) / 32 = 230; a + b = 160, (a + 4 b) / 4 = 60
        self.assertEqual((dc["submit_call"]["cycles"], dc["submit_req"]["cycles"]), (72, 228))
        self.assertEqual((dc["poll_call"]["cycles"], dc["poll_cqe"]["cycles"]), (133, 27))
        self.assertIn("measured 2026-12-05 on sample-not-measured", dc["submit_req"]["source"])
        self.assertIn("estimate", dc["mmio_read"])
        read = nv["ssds"]["pm981"]["read"]
        self.assertEqual(read["unit"], {"lognormal": ["65.8us", 0.13]})
        self.assertNotIn("estimate", read)
        self.assertEqual(nv["ssds"]["pm981"]["units"], 8)
        self.assertEqual(nv["ssds"]["bc501"], load(LEGION, "nvme")["ssds"]["bc501"])

    def test_only_a_header_changes_nothing(self):
        p = self.run_tool(self.csv(HEADER), "--out", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        for f in ("machine", "nvme", "nic"):
            self.assertEqual(load(self.out, f), load(LEGION, f), f)

    def test_bad_rows_are_reported_with_file_and_line_and_nothing_is_written(self):
        path = self.csv(HEADER + "syscall_null,150,cycles,m,2026-12-05\n"
                        "ipi,12,furlongs,m,2026-12-05\n"
                        "timer_wake,fast,cycles,m,2026-12-05\n"
                        "ctxsw_yield_roundtrip,3000,cycles,m\n"
                        "tsc_hz,2592000000,hz,m,5 Dec\n")
        p = self.run_tool(path, "--out", self.out)
        self.assertEqual(p.returncode, 1)
        for line, what in ((3, "unknown unit 'furlongs'"), (4, "is not a non-negative number"),
                           (5, "4 fields, want 5"), (6, "want YYYY-MM-DD")):
            self.assertIn("%s:%d: " % (path, line), p.stderr)
            self.assertIn(what, p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_a_wrong_header_is_refused(self):
        p = self.run_tool(self.csv("name,value\nsyscall_null,1\n"), "--out", self.out)
        self.assertEqual(p.returncode, 1)
        self.assertIn("r.csv:1: header", p.stderr)

    def test_qemu_instructions_are_refused_for_a_calibrated_figure(self):
        path = self.csv(HEADER + "syscall_null,73,instructions,qemu,2026-12-05\n")
        p = self.run_tool(path, "--out", self.out)
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:2: syscall_null: unit instructions, but the profile needs cycles" % path,
                      p.stderr)
        self.assertFalse(os.path.exists(self.out))

    def test_rows_of_two_machines_need_a_choice(self):
        path = self.csv(HEADER + "syscall_null,150,cycles,a,2026-12-05\n"
                        "syscall_null,999,cycles,b,2026-12-06\n")
        p = self.run_tool(path, "--out", self.out)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("several machines", p.stderr)
        p = self.run_tool(path, "--out", self.out, "--machine", "b")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(load(self.out, "machine")["costs"]["syscall"]["cycles"], 999)

    def test_check_validates_and_writes_nothing(self):
        p = self.run_tool(SAMPLE, "--check", "--out", self.out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("measured 15:", p.stdout)
        self.assertFalse(os.path.exists(self.out))

    @unittest.skipUnless(os.environ.get("EXOSIM"), "EXOSIM (the exosim binary) not set")
    def test_exosim_loads_the_calibrated_profile(self):
        self.calibrate_sample()
        exo = os.environ["EXOSIM"]
        hw = os.path.dirname(self.out)
        runs = [["list"],
                ["run", "--machine", "legion", "--sched", "rr", "--workload",
                 os.path.join(ROOT, "sim/workloads/periodic3.json")],
                ["run", "--machine", "legion", "--workload",
                 os.path.join(ROOT, "sim/workloads/nvme-randread.json")],
                ["run", "--machine", "legion", "--workload",
                 os.path.join(ROOT, "sim/workloads/l2fwd-10g-rtl8168.json")]]
        for r in runs:
            p = subprocess.run([exo] + r + ["--hw-dir", hw], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, "%s: %s" % (r, p.stderr))
        p = subprocess.run([exo, "list", "--hw-dir", hw], capture_output=True, text=True)
        self.assertIn("legion     12 threads, 2.592 GHz", p.stdout)


if __name__ == "__main__":
    unittest.main()
