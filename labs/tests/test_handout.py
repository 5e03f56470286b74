#!/usr/bin/env python3
"""Tests of the handout generator (labs/markers.py, labs/handout.py) and of the lab
selection and overlay in labs/Makefrag, on small trees built in temporary directories.

    python3 labs/tests/test_handout.py [--log FILE]
"""

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LABS = os.path.dirname(HERE)
sys.path.insert(0, LABS)

import handout  # noqa: E402
import markers  # noqa: E402

KNOWN = {1, 2, 3}
KNOWN_PARTS = {"1", "2", "2b", "3"}  # lab 2 part B sits between labs 2 and 3

GOOD_C = textwrap.dedent("""\
    int
    f(void)
    {
    \t/* LAB 1: return one. */
    \t/* BEGIN LAB 1 */
    \treturn 1;
    \t/* END LAB 1 */
    \t/* STUB LAB 1: return 0; */
    }

    void
    g(int *p)
    {
    \t/* LAB 2: set *p, on
    \t * two lines. */
    \t/* BEGIN LAB 2 */
    \t*p = 2;
    \t/* END LAB 2 */
    \t// LAB 3: also this.
    \t// BEGIN LAB 3
    \tp[1] = 3;
    \t// END LAB 3
    \t// STUB LAB 3: p[1] = 0;
    }
    """)


def strip(text, lab, path="f.c"):
    regions, errors = markers.parse(path, text, KNOWN)
    assert not errors, [str(e) for e in errors]
    return markers.strip_for_lab(text, regions, lab)


def errors_of(text, path="f.c"):
    return [str(e) for e in markers.parse(path, text, KNOWN)[1]]


class Stripping(unittest.TestCase):
    def test_lab1_handout_stubs_every_region_and_keeps_instructions(self):
        out = strip(GOOD_C, 1)
        self.assertIn("\t/* LAB 1: return one. */\n\treturn 0;\n}", out)
        self.assertIn("\t/* LAB 2: set *p, on\n\t * two lines. */\n\t// LAB 3: also this.\n"
                      "\tp[1] = 0;\n}", out)
        self.assertNotIn("return 1;", out)
        self.assertNotIn("*p = 2;", out)

    def test_lab3_handout_keeps_earlier_solutions_without_marker_lines(self):
        out = strip(GOOD_C, 3)
        self.assertIn("\t/* LAB 1: return one. */\n\treturn 1;\n}", out)
        self.assertIn("two lines. */\n\t*p = 2;\n\t// LAB 3: also this.\n\tp[1] = 0;\n}", out)
        for word in ("BEGIN", "END", "STUB"):
            self.assertNotIn(word, out)

    def test_handout_after_every_lab_is_the_solution_without_markers(self):
        out = strip(GOOD_C, 4)
        self.assertIn("\treturn 1;", out)
        self.assertIn("\t*p = 2;", out)
        self.assertIn("\tp[1] = 3;", out)
        self.assertEqual(out.count("\n"), GOOD_C.count("\n") - 8)

    def test_script_files_use_hash_markers(self):
        text = "x = 1\n# LAB 2: set y.\n# BEGIN LAB 2\ny = 2\n# END LAB 2\n# STUB LAB 2: y = None\n"
        self.assertEqual(strip(text, 2, "g.py"), "x = 1\n# LAB 2: set y.\ny = None\n")
        self.assertEqual(strip(text, 3, "Makefrag"), "x = 1\n# LAB 2: set y.\ny = 2\n")

    def test_files_without_comment_syntax_are_not_parsed(self):
        self.assertEqual(markers.parse("README.md", "/* BEGIN LAB 9 */\n", KNOWN), ([], []))

    def test_prose_that_mentions_a_marker_is_not_an_error(self):
        self.assertEqual(errors_of("/* The student's code goes between\n"
                                   " * markers like BEGIN LAB 2 and END LAB 2. */\n"), [])


class MalformedMarkers(unittest.TestCase):
    def expect(self, text, want, path="f.c"):
        self.assertEqual(errors_of(text, path), want)

    def test_begin_without_end_names_the_begin_line(self):
        self.expect("/* LAB 1: x */\n/* BEGIN LAB 1 */\nx();\n",
                    ["f.c:2: BEGIN LAB 1 has no END LAB 1"])

    def test_end_without_begin(self):
        self.expect("x();\n/* END LAB 2 */\n", ["f.c:2: END LAB 2 without BEGIN LAB 2"])

    def test_nested_regions(self):
        self.expect("/* LAB 1: x */\n/* BEGIN LAB 1 */\n/* BEGIN LAB 2 */\n/* END LAB 1 */\n",
                    ["f.c:3: BEGIN LAB 2 nested inside BEGIN LAB 1 (line 2)"])

    def test_mismatched_numbers(self):
        self.expect("/* LAB 1: x */\n/* BEGIN LAB 1 */\nx();\n/* END LAB 2 */\n",
                    ["f.c:4: END LAB 2 closes BEGIN LAB 1 (line 2)"])

    def test_unknown_lab_number(self):
        self.expect("/* LAB 7: x */\n", ["f.c:1: unknown lab 7 (the labs are 1, 2, 3: each "
                                         "has a labs/labN-name/ folder)"])

    def test_lab_number_that_is_not_a_number(self):
        self.expect("\t/* END LAB two */\n", ["f.c:1: lab id 'two' is not a positive "
                                              "integer, optionally followed by a part "
                                              "letter (4, 4b)"])

    def test_lab_id_with_two_letters_is_malformed(self):
        self.expect("/* LAB 4bb: x */\n", ["f.c:1: lab id '4bb' is not a positive integer, "
                                           "optionally followed by a part letter (4, 4b)"])

    def test_unknown_lab_part(self):
        self.expect("/* LAB 2b: x */\n", ["f.c:1: unknown lab 2b (the labs are 1, 2, 3: each "
                                          "has a labs/labN-name/ folder)"])

    def test_stub_without_its_region(self):
        self.expect("x();\n/* STUB LAB 1: return 0; */\n",
                    ["f.c:2: STUB LAB 1 is not on the line right after an END LAB 1"])

    def test_stub_of_another_lab(self):
        self.expect("/* LAB 1: x */\n/* BEGIN LAB 1 */\n/* END LAB 1 */\n"
                    "/* STUB LAB 2: y(); */\n", ["f.c:4: STUB LAB 2 after END LAB 1"])

    def test_begin_needs_its_instruction_directly_above(self):
        self.expect("x();\n/* BEGIN LAB 1 */\n/* END LAB 1 */\n",
                    ["f.c:2: BEGIN LAB 1 has no 'LAB 1: instruction' comment directly "
                     "above it"])
        self.expect("/* LAB 1: x */\ny();\n/* BEGIN LAB 1 */\n/* END LAB 1 */\n",
                    ["f.c:1: LAB 1 instruction must be directly above BEGIN LAB 1",
                     "f.c:3: BEGIN LAB 1 has no 'LAB 1: instruction' comment directly "
                     "above it"])

    def test_instruction_for_another_lab(self):
        self.expect("/* LAB 2: x */\n/* BEGIN LAB 1 */\n/* END LAB 1 */\n",
                    ["f.c:2: BEGIN LAB 1 follows an instruction for LAB 2"])

    def test_instruction_at_end_of_file(self):
        self.expect("/* LAB 3: do it */\n",
                    ["f.c:1: LAB 3 instruction is not followed by BEGIN LAB 3"])

    def test_typos_in_marker_lines(self):
        self.expect("\t/* BEGIN LAB 1\n", ["f.c:1: malformed marker '/* BEGIN LAB 1'"])
        self.expect("\t/*END LAB1*/\n", ["f.c:1: malformed marker '/*END LAB1*/'"])
        self.expect("# LAB 2 missing colon\n", ["g.py:1: malformed marker "
                                                "'# LAB 2 missing colon'"], "g.py")

    def test_every_error_of_a_file_is_reported(self):
        self.assertEqual(len(errors_of("/* END LAB 1 */\n/* END LAB 2 */\n"
                                       "/* STUB LAB 3: x */\n")), 3)


def write(root, path, text, mode=0o644):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w") as f:
        f.write(text)
    os.chmod(full, mode)


def run(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True)


PART_C = textwrap.dedent("""\
    int
    h(void)
    {
    \t/* LAB 2b: the part-B answer. */
    \t/* BEGIN LAB 2b */
    \treturn 22;
    \t/* END LAB 2b */
    \t/* STUB LAB 2b: return 0; */
    }
    """)


class LabParts(unittest.TestCase):
    """Lab ids with a part letter: 2b comes after 2 and before 3."""

    def strip(self, lab):
        regions, errors = markers.parse("h.c", PART_C, KNOWN_PARTS)
        self.assertEqual(errors, [])
        return markers.strip_for_lab(PART_C, regions, lab)

    def test_ids_sort_by_number_then_part(self):
        self.assertEqual(markers.sorted_labs(["10", "4c", 5, "4b", 4, "1"]),
                         ["1", "4", "4b", "4c", "5", "10"])

    def test_part_b_is_stubbed_in_its_own_and_earlier_handouts(self):
        for lab in (1, 2, "2b"):
            self.assertIn("\treturn 0;\n", self.strip(lab))
            self.assertNotIn("22", self.strip(lab))

    def test_part_b_solution_is_kept_in_later_handouts(self):
        self.assertEqual(self.strip(3), "int\nh(void)\n{\n\t/* LAB 2b: the part-B answer. */"
                         "\n\treturn 22;\n}\n")

    def test_bad_ids_are_refused(self):
        for bad in ("0", "4B", "b", "4bc", ""):
            with self.assertRaises(ValueError):
                markers.lab_key(bad)


def small_tree(root):
    """A reference tree with two labs, an instructor-only file and a later lab's folder."""
    write(root, "labs/lab1-boot/README.md", "# Lab 1\n")
    write(root, "labs/lab2-paging/README.md", "# Lab 2\n")
    write(root, "labs/lab2b-more/README.md", "# Lab 2 part B\n")
    write(root, "labs/lab3-caps/README.md", "# Lab 3\n")
    write(root, "labs/instructor-only", "labs/secret.txt\nlabs/tests/\n*.key\n")
    write(root, "labs/secret.txt", "answers\n")
    write(root, "labs/tests/t.py", "# BEGIN LAB 99 (fixtures are not scanned)\n")
    write(root, "kern/a.c", GOOD_C)
    write(root, "kern/run.sh", "#!/bin/sh\necho hi\n", 0o755)
    write(root, "kern/blob.bin", "")
    with open(os.path.join(root, "kern/blob.bin"), "wb") as f:
        f.write(bytes(range(256)))
    write(root, "grade/x.key", "k\n")


class Generator(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "ref")
        small_tree(self.root)

    def tearDown(self):
        self.tmp.cleanup()

    def make(self, lab, dest):
        return run([sys.executable, os.path.join(LABS, "handout.py"), "--root", self.root,
                    "make", "--lab", str(lab), "--dest", dest])

    def test_lab2_tree_has_the_right_files_and_one_reproducible_commit(self):
        dest = os.path.join(self.tmp.name, "l2")
        done = self.make(2, dest)
        self.assertEqual(done.returncode, 0, done.stderr)
        files = run(["git", "-C", dest, "ls-files"]).stdout.split()
        self.assertEqual(files, [".exolab-lab", "README.md", "kern/a.c", "kern/blob.bin", "kern/run.sh",
                                 "labs/lab1-boot/README.md", "labs/lab2-paging/README.md"])
        with open(os.path.join(dest, ".exolab-lab")) as f:
            self.assertEqual(f.read(), "2\n")
        with open(os.path.join(dest, "kern/a.c")) as f:
            self.assertEqual(f.read(), strip(GOOD_C, 2))
        with open(os.path.join(dest, "kern/blob.bin"), "rb") as f:
            self.assertEqual(f.read(), bytes(range(256)))
        self.assertTrue(os.access(os.path.join(dest, "kern/run.sh"), os.X_OK))
        log = run(["git", "-C", dest, "log", "--format=%an <%ae> %aI %cI"]).stdout
        self.assertEqual(log, "ExoLab handout <handout@exolab.invalid> "
                         "2026-01-01T00:00:00+00:00 2026-01-01T00:00:00+00:00\n")
        self.assertEqual(run(["git", "-C", dest, "status", "--porcelain"]).stdout, "")
        again = os.path.join(self.tmp.name, "l2again")
        self.assertEqual(self.make(2, again).returncode, 0)
        head = [run(["git", "-C", d, "rev-parse", "HEAD"]).stdout for d in (dest, again)]
        self.assertEqual(head[0], head[1])

    def test_dest_that_is_not_empty_is_refused(self):
        dest = os.path.join(self.tmp.name, "full")
        write(dest, "keep.txt", "mine\n")
        done = self.make(1, dest)
        self.assertEqual(done.returncode, 1)
        self.assertIn("exists and is not empty", done.stderr)

    def test_unknown_lab_is_refused(self):
        done = self.make(5, os.path.join(self.tmp.name, "l5"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("no lab 5 (the labs are 1, 2, 2b, 3)", done.stderr)

    def test_part_b_tree_has_its_folder_and_id(self):
        dest = os.path.join(self.tmp.name, "l2b")
        write(self.root, "kern/h.c", PART_C)
        done = self.make("2b", dest)
        self.assertEqual(done.returncode, 0, done.stderr)
        files = run(["git", "-C", dest, "ls-files"]).stdout.split()
        self.assertIn("labs/lab2b-more/README.md", files)
        self.assertNotIn("labs/lab3-caps/README.md", files)
        with open(os.path.join(dest, ".exolab-lab")) as f:
            self.assertEqual(f.read(), "2b\n")
        with open(os.path.join(dest, "kern/h.c")) as f:
            self.assertIn("return 0;", f.read())
        with open(os.path.join(dest, "kern/a.c")) as f:
            self.assertEqual(f.read(), strip(GOOD_C, 3))
        self.assertIn("ExoLab lab 2b handout", run(["git", "-C", dest, "log"]).stdout)

    def test_malformed_lab_argument_is_refused(self):
        done = self.make("2B", os.path.join(self.tmp.name, "bad"))
        self.assertEqual(done.returncode, 1)
        self.assertIn("lab '2B' is not a lab id", done.stderr)

    def test_malformed_marker_stops_generation_and_check_with_file_and_line(self):
        write(self.root, "kern/bad.c", "int x;\n/* END LAB 2 */\n")
        dest = os.path.join(self.tmp.name, "bad")
        for argv, out in ((["make", "--lab", "1", "--dest", dest], dest), (["check"], None)):
            done = run([sys.executable, os.path.join(LABS, "handout.py"), "--root",
                        self.root] + argv)
            self.assertEqual(done.returncode, 2)
            self.assertEqual(done.stderr.splitlines()[0],
                             "kern/bad.c:2: END LAB 2 without BEGIN LAB 2")
            if out:
                self.assertFalse(os.path.exists(out))

    def test_check_counts_regions_per_lab(self):
        done = run([sys.executable, os.path.join(LABS, "handout.py"), "--root", self.root,
                    "check"])
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(done.stdout, "check-markers: lab 1: 1 regions, lab 2: 1 regions, "
                         "lab 3: 1 regions\n")


MINI_MAKEFILE = """\
OBJ := obj
PYTHON := python3
GRADE_LABS = every-grader
include labs/Makefrag
show:
\t@echo $(GRADE_LABS)
"""


class GradeSelection(unittest.TestCase):
    """labs/Makefrag in a handout tree: which graders `make grade` runs, and OVERLAY."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.tree = self.tmp.name
        with open(os.path.join(LABS, "Makefrag")) as f:
            write(self.tree, "labs/Makefrag", f.read())
        write(self.tree, "Makefile", MINI_MAKEFILE)
        for name in ("lab1.py", "lab2.py", "lab3.py", "gradelib.py"):
            write(self.tree, "grade/" + name, "student\n")
        write(self.tree, ".exolab-lab", "2\n")

    def tearDown(self):
        self.tmp.cleanup()

    def test_handout_tree_grades_its_lab_and_the_earlier_ones(self):
        done = run(["make", "-s", "show"], cwd=self.tree)
        self.assertEqual(done.stdout, "grade/lab1.py grade/lab2.py\n", done.stderr)

    def test_overlay_files_win_and_hidden_graders_join_their_lab(self):
        ov = os.path.join(self.tmp.name, "overlay")
        write(ov, "grade/gradelib.py", "trusted\n")
        write(ov, "grade/lab2-hidden.py", "hidden\n")
        write(ov, "grade/lab3-hidden.py", "later\n")
        done = run(["make", "-s", "show", "OVERLAY=" + ov], cwd=self.tree)
        self.assertEqual(done.stdout, "grade/lab1.py grade/lab2.py grade/lab2-hidden.py\n",
                         done.stderr)
        with open(os.path.join(self.tree, "grade/gradelib.py")) as f:
            self.assertEqual(f.read(), "trusted\n")

    def test_part_b_tree_grades_after_its_lab_and_before_the_next(self):
        write(self.tree, "grade/lab2b.py", "student\n")
        write(self.tree, "grade/lab10.py", "student\n")
        write(self.tree, ".exolab-lab", "2b\n")
        ov = os.path.join(self.tmp.name, "overlay")
        write(ov, "grade/lab2-hidden.py", "hidden\n")
        write(ov, "grade/lab2b-hidden.py", "hidden\n")
        done = run(["make", "-s", "show", "OVERLAY=" + ov], cwd=self.tree)
        self.assertEqual(done.stdout, "grade/lab1.py grade/lab2.py grade/lab2-hidden.py "
                         "grade/lab2b.py grade/lab2b-hidden.py\n", done.stderr)
        write(self.tree, ".exolab-lab", "10\n")
        done = run(["make", "-s", "show"], cwd=self.tree)
        self.assertEqual(done.stdout, "grade/lab1.py grade/lab2.py grade/lab2-hidden.py "
                         "grade/lab2b.py grade/lab2b-hidden.py grade/lab3.py "
                         "grade/lab10.py\n", done.stderr)

    def test_missing_overlay_directory_is_an_error(self):
        done = run(["make", "-s", "show", "OVERLAY=/nonexistent/dir"], cwd=self.tree)
        self.assertNotEqual(done.returncode, 0)
        self.assertIn("OVERLAY=/nonexistent/dir is not a directory", done.stderr)

    def test_reference_tree_keeps_every_grader(self):
        os.remove(os.path.join(self.tree, ".exolab-lab"))
        done = run(["make", "-s", "show"], cwd=self.tree)
        self.assertEqual(done.stdout, "every-grader\n", done.stderr)


class StudentReadme(unittest.TestCase):
    """The README of a real lab 2 handout of this tree is for students (labs/student_readme.py)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="exolab-readme-")
        cls.tree = os.path.join(cls.tmp.name, "lab2")
        done = run([sys.executable, os.path.join(LABS, "handout.py"), "make", "--lab", "2",
                    "--dest", cls.tree])
        assert done.returncode == 0, done.stderr
        with open(os.path.join(cls.tree, "README.md")) as f:
            cls.text = f.read()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_it_names_the_lab_and_links_its_handout(self):
        self.assertIn("# ExoLab: your tree for lab 2", self.text)
        self.assertIn("Lab 2: physical pages and page tables", self.text)
        self.assertIn("(labs/lab2-paging/README.md)", self.text)
        self.assertTrue(os.path.exists(os.path.join(self.tree, "labs/lab2-paging/README.md")))
        self.assertIn("`make grade` grades labs 1, 2 ", self.text)

    def test_nothing_of_the_reference_tree(self):
        for word in ("reference solution", "make handout", "check-markers", "make test"):
            self.assertNotIn(word, self.text)

    def test_every_make_target_it_names_exists_in_the_handout(self):
        targets = set(re.findall(r"\bmake ([a-z][\w-]*)", self.text))
        self.assertTrue({"qemu", "qemu-nox", "grade", "gdb", "help"} <= targets, targets)
        for target in sorted(targets):
            done = run(["make", "-n", target], cwd=self.tree)
            self.assertEqual(done.returncode, 0, "make -n %s: %s" % (target, done.stderr))

    def test_smp_before_lab_4b_says_how_many_cpus_run_envs(self):
        # hw/qemu/Makefrag's SMP_NOTE: the lab 2 kernel starts SMP CPUs, envs run on CPU 0.
        note = "this lab 2 kernel starts 4 CPUs but runs envs on CPU 0 only"
        four = run(["make", "-n", "qemu-nox", "SMP=4"], cwd=self.tree)
        self.assertIn(note, four.stdout, four.stderr)
        one = run(["make", "-n", "qemu-nox", "SMP=1"], cwd=self.tree)
        self.assertEqual(one.returncode, 0, one.stderr)
        self.assertNotIn("runs envs on CPU 0 only", one.stdout)

    def test_a_missing_target_would_be_caught(self):
        done = run(["make", "-n", "check-markers"], cwd=self.tree)
        self.assertNotEqual(done.returncode, 0)


class UnitMm(unittest.TestCase):
    """`make unit-mm` (grade/unit/mm.mk) runs every binary after one fails and sums up: lab 2
    tells students to run test_pt while test_buddy still fails."""

    def test_every_binary_runs_and_the_failures_are_named(self):
        with tempfile.TemporaryDirectory() as d:
            ran = os.path.join(d, "ran")
            bins = []
            for name, status in (("test_a", 0), ("test_b", 1), ("test_c", 0)):
                path = os.path.join(d, name)
                with open(path, "w") as f:
                    f.write("#!/bin/sh\necho %s >> %s\nexit %d\n" % (name, ran, status))
                os.chmod(path, 0o755)
                bins.append(path)
            done = run(["make", "-s", "-C", os.path.dirname(LABS), "unit-mm",
                        "MMTEST_BINS=" + " ".join(bins), "DEPS_STAMP=" + os.path.join(d, "ok")])
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("unit-mm: 2 of 3 test binaries passed; failed: test_b", done.stdout)
            with open(ran) as f:
                self.assertEqual(f.read().split(), ["test_a", "test_b", "test_c"])


class _Recorder(unittest.TextTestResult):
    """Remembers every test run, for the PASS/FAIL lines of `make test`."""

    def startTest(self, test):
        super().startTest(test)
        self.__dict__.setdefault("ran", []).append(test)


def main():
    log = None
    if len(sys.argv) > 2 and sys.argv[1] == "--log":
        log = sys.argv[2]
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(resultclass=_Recorder, verbosity=1).run(suite)
    if log:
        failed = {t.id() for t, _ in result.failures + result.errors}
        with open(log, "a") as f:
            for test in getattr(result, "ran", []):
                f.write("%s handout-selftest %s\n" % ("FAIL" if test.id() in failed else
                                                        "PASS", test.id().split(".", 1)[1]))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
