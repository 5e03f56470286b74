#!/usr/bin/env python3
"""hw/host/deps.sh and the Makefile's package check on faked machines (`make deps-selftest`):
no container, no root.  The machine is faked through EXOLAB_OS_RELEASE and PATH (dpkg-query
says which packages are installed, id says who we are, sudo refuses, apt-get records what it
was asked).  The last test runs `make qemu` on a machine without graphviz and without root:
the kernel boots to the shell's prompt (QEMU is wrapped to stop there) and the message names
graphviz and the targets that need it.  Python standard library only."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEPS = os.path.join(ROOT, "hw", "host", "deps.sh")

FAKES = {
    # installed unless named in FAKE_ABSENT; called as dpkg-query -W -f=... PACKAGE
    "dpkg-query": 'for p in $FAKE_ABSENT; do [ "$p" = "$3" ] && exit 1; done\n'
                  "printf 'install ok installed'\n",
    "id": 'echo "${FAKE_UID:-1000}"\n',
    "sudo": 'echo "sudo: $USER is not in the sudoers file." >&2; exit 1\n',
    "apt-get": 'echo "$@" >> "$FAKE_APT_LOG"\n',
}
# QEMU run by `make qemu`: the real one, stopped at the first prompt (the shell's, or the
# kernel monitor's in a handout whose user programs do not run yet).
QEMU_WRAPPER = r'''#!/usr/bin/env python3
import subprocess, sys
p = subprocess.Popen(["qemu-system-x86_64"] + sys.argv[1:], stdin=subprocess.DEVNULL,
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
seen = b""
while True:
    c = p.stdout.read(1)
    if not c:
        sys.exit(2)
    seen += c
    sys.stdout.buffer.write(c)
    if seen.endswith(b"$ ") or seen.endswith(b"K> "):  # the shell, or the monitor
        p.kill()
        print("\nWRAPPER: reached the prompt")
        sys.exit(0)
'''
OS = {"debian12": 'ID=debian\nVERSION_ID="12"\n', "ubuntu2204": 'ID=ubuntu\nVERSION_ID="22.04"\n',
      "ubuntu2404": 'ID=ubuntu\nVERSION_ID="24.04"\n', "fedora": 'ID=fedora\nVERSION_ID=39\n'}


class Deps(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="exolab-deps-test-")
        self.bin = os.path.join(self.tmp, "bin")
        os.makedirs(self.bin)
        for name, body in FAKES.items():
            self.script(os.path.join(self.bin, name), "#!/bin/sh\n" + body)
        self.apt_log = os.path.join(self.tmp, "apt.log")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def script(self, path, text):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)

    def env(self, distro, absent="", uid="1000", **kw):
        osr = os.path.join(self.tmp, "os-release")
        with open(osr, "w") as f:
            f.write(OS[distro])
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"], EXOLAB_OS_RELEASE=osr,
                   FAKE_ABSENT=absent, FAKE_UID=uid, FAKE_APT_LOG=self.apt_log)
        env.pop("NODEPS", None)
        env.update(kw)
        return env

    def deps(self, *args, **kw):
        return subprocess.run([DEPS] + list(args), env=self.env(**kw), capture_output=True,
                              text=True)

    def test_without_root_a_missing_package_is_named_with_its_targets_and_the_check_passes(self):
        done = self.deps("--missing", distro="debian12", absent="graphviz")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("graphviz  (needed by make docs, make docs-check)", done.stderr)
        self.assertIn("sudo apt-get install graphviz", done.stderr)
        self.assertFalse(os.path.exists(self.apt_log))

    def test_nodeps_never_installs_even_as_root(self):
        done = self.deps("--missing", distro="debian12", absent="gdb", uid="0", NODEPS="1")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("NODEPS=1", done.stderr)
        self.assertFalse(os.path.exists(self.apt_log))

    def test_root_installs_what_is_missing(self):
        done = self.deps("--missing", distro="debian12", absent="graphviz gdb", uid="0")
        self.assertEqual(done.returncode, 0, done.stderr)
        with open(self.apt_log) as f:
            self.assertIn("install -y -qq gdb graphviz", f.read())

    def test_ubuntu_names_differ_where_the_archives_differ(self):
        every = ("libclang-rt-14-dev libclang-common-14-dev libclang-rt-18-dev clang-format "
                 "clang-format-14 make")
        for distro, want, unwanted in [
                ("ubuntu2204", "make libclang-common-14-dev clang-format", "libclang-rt"),
                ("ubuntu2404", "make libclang-rt-18-dev clang-format-14", "libclang-rt-14"),
                ("debian12", "make libclang-rt-14-dev clang-format", "clang-format-14")]:
            done = self.deps("--missing", distro=distro, absent=every)
            line = [ln for ln in done.stderr.splitlines() if "apt-get install" in ln][0]
            self.assertTrue(line.endswith("install " + want), (distro, line))
            self.assertNotIn(unwanted, line, distro)

    def test_another_distribution_is_refused_clearly(self):
        done = self.deps(distro="fedora")
        self.assertEqual(done.returncode, 1)
        self.assertIn("Debian 12 and Ubuntu 22.04/24.04; this is 'fedora 39'", done.stderr)
        self.assertEqual(self.deps("--missing", distro="fedora").returncode, 0)

    def test_an_optional_set_the_target_needs_is_an_error_when_missing(self):
        done = self.deps("--missing", "sim-plot", distro="debian12", absent="python3-matplotlib")
        self.assertEqual(done.returncode, 1)
        self.assertIn("python3-matplotlib  (needed by make sim-plot-test)", done.stderr)

    def test_format_check_prefers_clang_format_14_where_clang_format_is_newer(self):
        # Ubuntu 24.04: clang-format is 18, deps.sh installs clang-format-14 beside it.
        for name, version in (("clang-format", 18), ("clang-format-14", 14)):
            self.script(os.path.join(self.bin, name),
                        "#!/bin/sh\necho 'Ubuntu clang-format version %d.0.0'\n" % version)
        done = subprocess.run(["make", "-s", "-C", ROOT, "format-check",
                               "DEPS_STAMP=" + os.path.join(self.tmp, "deps-ok")],
                              env=self.env("ubuntu2404"), capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"format-check: \d+ files match")

    def test_make_qemu_boots_without_graphviz_and_without_root(self):
        qemu = os.path.join(self.tmp, "qemu")
        self.script(qemu, QEMU_WRAPPER)
        stamp = os.path.join(self.tmp, "deps-ok")
        done = subprocess.run(["make", "-C", ROOT, "qemu", "QEMU=" + qemu, "DEPS_STAMP=" + stamp,
                               "DEPS_MISSING=" + os.path.join(self.tmp, "missing")],
                              env=self.env("debian12", absent="graphviz"), capture_output=True,
                              text=True, timeout=600)
        self.assertEqual(done.returncode, 0, done.stdout[-3000:] + done.stderr[-3000:])
        self.assertIn("WRAPPER: reached the prompt", done.stdout)
        self.assertIn("graphviz  (needed by make docs, make docs-check)", done.stderr)
        self.assertIn("sudo apt-get install graphviz", done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
