#!/usr/bin/env python3
"""The Gradescope bundle end to end (`make gradescope-selftest`): build lab 3's zip (`make
gradescope LAB=3`) with a hidden overlay (a Python grader and a host unit test linked with the
student's lib/string.c), unzip it into a fake /autograder root (EXOLAB_AUTOGRADER_ROOT), and
run its run_autograder on two submissions, grading one boot test (hello: a user program runs,
which needs the student's lab 3 code) and the two hidden host tests:

  honest   the lab 3 handout with lab 3 solved: full marks, results.json strict JSON and
           valid against Gradescope's documented format (grade/tests/test_gradelib.py), the
           hidden tests marked after_published;
  hostile  the untouched handout plus its own grade/ (gradelib.py, lab3.py and a new
           lab3-extra.py all claiming full marks), a GNUmakefile and a .exolab-lab of its
           own, and (as root) a constructor in lib/string.c that the hidden unit test runs:
           it tries to append to the graders, write results.json and read and change the
           hidden tests, and every attempt must fail (privsep.py: it runs as exolab-student);
           graded by the real graders, its score is what its code earns (0 on hello).

As root (`make test` on CI) the autograder creates the user exolab-student if missing.  Not
root, the student's code runs as this user and the constructor is left out (said on stderr).
About 2.5 minutes on a loaded two-core machine (two kernel builds, two short boots).  Python
standard library only."""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import unittest.mock

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "labs"))
sys.path.insert(0, os.path.join(ROOT, "grade", "tests"))
sys.path.insert(0, os.path.join(ROOT, "grade"))

sys.path.insert(0, HERE)

import autograder  # noqa: E402
import privsep  # noqa: E402
import gradelib  # noqa: E402
import gradelib_host  # noqa: E402
import handout  # noqa: E402
import markers  # noqa: E402
from test_gradelib import check_gradescope_schema, load_strict_json  # noqa: E402

LAB, NEXT = "3", "4"  # the lab graded, and the one whose handout has it solved
ONLY = "hello"
HIDDEN = '''import os
import gradelib
LAB = gradelib.Lab("lab3-hidden")


def lab_is_three(run):
    with open(".exolab-lab") as f:
        run.text = f.read()


def strlen_unit(run):
    done = gradelib.run_host([os.path.join("obj", "grade", "unit", "hidden", "test_strlen")],
                             capture_output=True, text=True, timeout=120)
    run.text = done.stdout + done.stderr
    if os.environ.get("EXOLAB_SELFTEST_LOG"):  # the self-test reads what the binary said
        with open(os.environ["EXOLAB_SELFTEST_LOG"], "w") as f:
            f.write(run.text)


LAB.test("tree-is-lab3", points=2, host=True, expect=[r"^3$"])(lab_is_three)
LAB.test("strlen-unit", points=3, host=True, expect=[r"^strlen: ok$"])(strlen_unit)
'''
# A hidden host unit test linked with the student's lib/string.c (built in the build step, as
# the student's user, and run by the hidden grader through gradelib.run_host).
HIDDEN_MK = """HIDDEN_TEST := $(OBJ)/grade/unit/hidden/test_strlen
$(HIDDEN_TEST): grade/unit/hidden/test_strlen.c lib/string.c | $(DEPS_STAMP)
\t@mkdir -p $(@D)
\t$(V)$(HOSTCC) $(HOST_CFLAGS) -fno-builtin $(STRING_RENAME) -o $@ $^
\t$(V)id -un > $(@D)/built-by
grade-lab3: $(HIDDEN_TEST)
"""
HIDDEN_C = """#include <stddef.h>
#include <stdio.h>
size_t xs_strlen(const char *s);
int main(void)
{
\tprintf("strlen: %s\\n", xs_strlen("exolab") == 6 ? "ok" : "wrong");
\treturn 0;
}
"""
# The student's code attacking from the host: a constructor in lib/string.c (so in the hidden
# unit test, run as exolab-student) tries to append to the graders, write results.json, and
# read and write the hidden tests; each attempt prints DONE or refused.  (cwd: the work tree,
# /autograder/work/exolab.)
ATTACKS = [("append", "grade/gradelib.py"), ("append", "../../source/handout/grade/gradelib.py"),
           ("create", "../../results/results.json"), ("create", "grade/lab3-extra2.py"),
           ("append", "grade/lab3-hidden.py"), ("read", "grade/lab3-hidden.py"),
           ("append", "../../source/overlay/grade/lab3-hidden.py")]
HOSTILE_C = """
#if __STDC_HOSTED__
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
static void attack(const char *what, const char *path, int flags)
{
\tint fd = open(path, flags, 0644);
\tif (fd >= 0 && (flags & O_ACCMODE) != O_RDONLY && write(fd, "{}", 2) != 2)
\t\tfd = -1;
\tprintf("hostile: %s %s: %s (errno %d)\\n", what, path, fd >= 0 ? "DONE" : "refused", errno);
\tif (fd >= 0)
\t\tclose(fd);
}
__attribute__((constructor)) static void hostile(void)
{
""" + "".join('\tattack("%s", "%s", %s);\n' % (w, p, {
    "append": "O_WRONLY | O_APPEND", "create": "O_WRONLY | O_CREAT | O_TRUNC",
    "read": "O_RDONLY"}[w]) for w, p in ATTACKS) + """\tfflush(stdout);
}
#endif
"""
# A fake grader that claims everything: it writes a perfect results.json wherever it can.
HOSTILE_GRADELIB = '''import json, os, sys
res = {"score": 1000, "execution_time": 0, "stdout_visibility": "visible",
       "tests": [{"name": "all", "number": "1", "score": 1000, "max_score": 1000,
                  "status": "passed", "output": "", "visibility": "visible"}]}
for i, a in enumerate(sys.argv):
    if a == "--gradescope":
        json.dump(res, open(sys.argv[i + 1], "w"))
root = os.environ.get("EXOLAB_AUTOGRADER_ROOT", "/autograder")
os.makedirs(root + "/results", exist_ok=True)
json.dump(res, open(root + "/results/results.json", "w"))
print("Score: 1000/1000")
'''
HOSTILE_MAKE = "grade-lab3:\n\t@echo 'Score: 1000/1000'\n"


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def solve_lab(tree):
    """Each file of the handout with a region of LAB becomes what NEXT's handout carries
    (LAB solved, later labs still stubs)."""
    files = handout.student_files(ROOT, LAB)
    found, errors = handout.scan(ROOT, files)
    assert not errors, errors
    solved = 0
    for path, (text, regions) in found.items():
        if any(r.lab == LAB for r in regions) and os.path.exists(os.path.join(tree, path)):
            write(os.path.join(tree, path), markers.strip_for_lab(text, regions, NEXT))
            solved += 1
    assert solved, "no file has a lab %s region" % LAB


class Protect(unittest.TestCase):
    """autograder.py's copying alone, on a small tree (no build)."""

    def test_the_submission_keeps_its_code_and_loses_every_protected_change(self):
        with tempfile.TemporaryDirectory() as d:
            clean, sub, tree = (os.path.join(d, n) for n in ("clean", "sub", "tree"))
            for path, text in [("grade/gradelib.py", "good"), ("Makefile", "all:"),
                               (".exolab-lab", "1"), ("kern/a.c", "int x;"),
                               ("user/hello.c", "hello")]:
                write(os.path.join(clean, path), text)
            for path in ["grade/gradelib.py", "grade/lab1-x.py", "GNUmakefile", "kern/evil.mk",
                         ".exolab-lab", "obj/exolab.iso", "user/hello.c", "kern/tool.py"]:
                write(os.path.join(sub, path), "evil")
            write(os.path.join(sub, "kern/a.c"), "int y;")
            os.symlink("/etc", os.path.join(sub, "hw"))
            autograder.copy_over(clean, tree)
            autograder.copy_over(autograder.submission_root(sub), tree, skip=autograder.SKIPPED)
            autograder.restore_protected(clean, tree)
            got = {}
            for root, _, files in os.walk(tree):
                for f in files:
                    with open(os.path.join(root, f)) as fh:
                        got[os.path.relpath(os.path.join(root, f), tree)] = fh.read()
            self.assertEqual(got, {"grade/gradelib.py": "good", "Makefile": "all:",
                                   ".exolab-lab": "1", "kern/a.c": "int y;",
                                   "user/hello.c": "hello"})
            self.assertFalse(os.path.lexists(os.path.join(tree, "hw")))


    def test_a_build_that_fails_scores_every_test_0_in_a_valid_results_json(self):
        res = autograder.failed_results([os.path.join(ROOT, "grade")], LAB, [],
                                        "nothing was graded: the build failed.\r\nlog\r\n", 7)
        check_gradescope_schema(self, res)
        lab = gradelib.load_lab(os.path.join(ROOT, "grade", "lab%s.py" % LAB))
        self.assertEqual([t["name"] for t in res["tests"]],
                         ["lab%s %s" % (LAB, t.name) for t in lab.tests])
        self.assertEqual({(t["score"], t["status"]) for t in res["tests"]}, {(0, "failed")})
        self.assertIn("the build failed.\nlog", res["tests"][0]["output"])


class Privsep(unittest.TestCase):
    """privsep.py and gradelib's launch helper on their own (no build)."""

    def test_run_host_runs_as_exolab_run_as_and_plainly_without_it(self):
        with unittest.mock.patch.dict(os.environ):
            os.environ.pop(gradelib_host.RUN_AS, None)
            self.assertEqual(gradelib.host_argv(["id", "-u"]), ["id", "-u"])
            if os.geteuid() != 0:
                self.skipTest("not root: no user to drop to")
            pw = privsep.ensure_user()
            os.environ[gradelib_host.RUN_AS] = pw.pw_name
            done = gradelib.run_host(["id", "-u"], capture_output=True, text=True)
            self.assertEqual(done.stdout.strip(), str(pw.pw_uid))
            with gradelib.host_tmpdir() as d:
                self.assertEqual(os.stat(d).st_uid, pw.pw_uid)

    @unittest.skipIf(os.geteuid() != 0, "not root: cannot change owners")
    def test_obj_taken_back_keeps_only_links_to_folders_of_the_tree(self):
        pw = privsep.ensure_user()
        with tempfile.TemporaryDirectory() as tree:
            obj = os.path.join(tree, "obj")
            write(os.path.join(tree, "kern", "include", "abi", "a.h"), "")
            write(os.path.join(tree, "grade", "lab3.py"), "grader")
            write(os.path.join(obj, "kernel"), "elf")
            links = {"abi": "../kern/include/abi", "out": "/etc", "grader": "../grade/lab3.py",
                     "passwd": "/etc/passwd", "tree": "..", "graders": "../grade"}
            for name, target in links.items():
                os.symlink(target, os.path.join(obj, name))
            os.link(os.path.join(tree, "grade", "lab3.py"), os.path.join(obj, "hard"))
            for path in privsep.walk_all(obj):
                os.lchown(path, pw.pw_uid, pw.pw_gid)
            os.chmod(os.path.join(obj, "kernel"), 0o666)
            self.assertEqual(sorted(privsep.take_back_obj(tree)), [
                "obj/" + n for n in ("grader", "graders", "hard", "out", "passwd", "tree")])
            self.assertEqual(sorted(os.listdir(obj)), ["abi", "kernel"])
            st = os.stat(os.path.join(obj, "kernel"))
            self.assertEqual((st.st_uid, st.st_mode & 0o777), (0, 0o644))
            self.assertEqual(os.stat(obj).st_uid, 0)


class Bundle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="exolab-gs-test-")
        overlay = os.path.join(cls.tmp, "overlay")
        write(os.path.join(overlay, "grade", "lab%s-hidden.py" % LAB), HIDDEN)
        write(os.path.join(overlay, "grade", "unit", "hidden.mk"), HIDDEN_MK)
        write(os.path.join(overlay, "grade", "unit", "hidden", "test_strlen.c"), HIDDEN_C)
        os.chmod(cls.tmp, 0o755)  # as root, exolab-student must reach the fake /autograder
        cls.zip = os.path.join(cls.tmp, "lab%s.zip" % LAB)
        subprocess.run([sys.executable, os.path.join(HERE, "build.py"), "--lab", LAB,
                        "--out", cls.zip, "--overlay", overlay], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def autograde(self, name, make_submission):
        """A fresh fake /autograder: the zip in source/, the submission, run_autograder."""
        root = os.path.join(self.tmp, name)
        source, sub = os.path.join(root, "source"), os.path.join(root, "submission")
        os.makedirs(source)
        subprocess.run(["unzip", "-q", self.zip, "-d", source], check=True)
        # Gradescope copies run_autograder to /autograder and runs it from there.
        shutil.copy2(os.path.join(source, "run_autograder"), root)
        shutil.copytree(os.path.join(source, "handout"), sub, symlinks=True)
        make_submission(sub)
        env = dict(os.environ, EXOLAB_AUTOGRADER_ROOT=root,
                   EXOLAB_SELFTEST_LOG=os.path.join(self.tmp, name + "-strlen.txt"))
        done = subprocess.run([os.path.join(root, "run_autograder"), "--only", ONLY,
                               "--only", "tree-is-lab" + LAB, "--only", "strlen-unit"],
                              env=env, capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
        # The log says whether the student's code ran unprivileged (it must, as root).
        self.assertIn("NO privilege separation" if os.geteuid() else
                      "autograder: privilege separation: the build and the student's host "
                      "programs run as exolab-student", done.stdout)
        res = load_strict_json(os.path.join(root, "results", "results.json"))
        check_gradescope_schema(self, res)
        return res, root

    def test_an_honest_solution_gets_full_marks_and_the_hidden_test_waits(self):
        res, _ = self.autograde("honest", solve_lab)
        got = {t["name"]: (t["score"], t["max_score"], t["visibility"]) for t in res["tests"]}
        self.assertEqual(got, {"lab3 hello": (12, 12, "visible"),
                               "lab3-hidden tree-is-lab3": (2, 2, "after_published"),
                               "lab3-hidden strlen-unit": (3, 3, "after_published")})
        self.assertEqual(res["score"], 17)

    def test_a_submission_shipping_its_own_grader_cannot_change_its_score(self):
        def hostile(sub):
            for name in ("gradelib.py", "lab3.py", "lab3-hidden.py", "lab3-extra.py"):
                write(os.path.join(sub, "grade", name), HOSTILE_GRADELIB)
            write(os.path.join(sub, "GNUmakefile"), HOSTILE_MAKE)
            write(os.path.join(sub, "kern", "evil.mk"), HOSTILE_MAKE)
            write(os.path.join(sub, ".exolab-lab"), "9\n")
            if os.geteuid() == 0:  # not root: nothing keeps the student's code out
                with open(os.path.join(sub, "lib", "string.c"), "a") as f:
                    f.write(HOSTILE_C)
        res, root = self.autograde("hostile", hostile)
        got = {t["name"]: (t["score"], t["visibility"]) for t in res["tests"]}
        # What honest grading gives this code: the stubs fail hello, its strlen works.
        self.assertEqual(got, {"lab3 hello": (0, "visible"),
                               "lab3-hidden tree-is-lab3": (2, "after_published"),
                               "lab3-hidden strlen-unit": (3, "after_published")})
        self.assertEqual(res["score"], 5)
        tree = os.path.join(root, "work", "exolab")
        for gone in ("GNUmakefile", "kern/evil.mk", "grade/lab3-extra.py"):
            self.assertFalse(os.path.exists(os.path.join(tree, gone)), gone)
        with open(os.path.join(ROOT, "grade", "gradelib.py")) as f:
            gradelib_text = f.read()
        for path, text in [("work/exolab/grade/gradelib.py", gradelib_text),
                           ("source/handout/grade/gradelib.py", gradelib_text),
                           ("work/exolab/grade/lab3-hidden.py", HIDDEN),
                           ("source/overlay/grade/lab3-hidden.py", HIDDEN)]:
            with open(os.path.join(root, path)) as f:
                self.assertEqual(f.read(), text, path)
        if os.geteuid() == 0:
            self.check_attacks_refused(root)
        else:
            print("test_gradescope: not root: the student's code runs as this user, its "
                  "attacks from the host are not tried", file=sys.stderr)

    def check_attacks_refused(self, root):
        """Every write (and the read of the hidden test) the constructor tried failed."""
        with open(os.path.join(self.tmp, "hostile-strlen.txt")) as f:
            out = f.read()
        lines = [ln for ln in out.splitlines() if ln.startswith("hostile: ")]
        self.assertEqual([ln.split(":")[1].strip() for ln in lines],
                         ["%s %s" % a for a in ATTACKS], out)
        for ln in lines:
            self.assertIn(": refused (errno 13)", ln)  # EACCES
        self.assertFalse(os.path.exists(os.path.join(root, "work/exolab/grade/lab3-extra2.py")))
        for dirpath, _, files in os.walk(os.path.join(root, "work/exolab/grade")):
            for name in files:  # the hidden grader and its compiled form: root's eyes only
                if name.startswith("lab3-hidden."):
                    mode = os.stat(os.path.join(dirpath, name)).st_mode
                    self.assertEqual(mode & 0o077, 0, os.path.join(dirpath, name))
        with open(os.path.join(root, "work/exolab/obj/grade/unit/hidden/built-by")) as f:
            self.assertEqual(f.read(), "exolab-student\n")  # the build ran as the student too


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", help="append PASS|FAIL lines (make test)")
    opts, rest = p.parse_known_args()
    load = unittest.defaultTestLoader.loadTestsFromTestCase
    suite = unittest.TestSuite(list(load(Protect)) + list(load(Privsep)) + list(load(Bundle)))
    ids = [t.id() for t in suite]  # the runner drops the tests as they finish
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    if opts.log:
        bad = {t.id() for t, _ in result.failures + result.errors}
        setup_failed = bool(bad - set(ids))  # setUpClass failed: no test ran
        with open(opts.log, "a") as f:
            for i in ids:
                verdict = "FAIL" if setup_failed or i in bad else "PASS"
                f.write("%s gradescope %s\n" % (verdict, i.rsplit(".", 1)[-1]))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
