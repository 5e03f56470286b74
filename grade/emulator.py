"""ExoLab grader: the emulator processes (QEMU, Bochs) a test boots, each in its own process
group, with serial output in a file of a private directory; used by grade/gradelib.py."""

import atexit
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"

_live = set()  # emulators still running, killed at exit whatever happens
_live_lock = threading.Lock()
stopping = threading.Event()  # set on Ctrl-C: start no more emulators


class GradeError(Exception):
    """A problem with the grading setup (missing ISO, emulator failed to start), not the kernel."""


def _kill_group(proc):
    """SIGKILL the emulator's whole process group (Bochs ignores SIGTERM) and reap it.
    Safe to call twice and from two threads."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
    with _live_lock:
        _live.discard(proc)


@atexit.register
def kill_all():
    with _live_lock:
        procs = list(_live)
    for proc in procs:
        _kill_group(proc)


def timeout_scale():
    """GRADE_TIMEOUT_SCALE multiplies every test's timeout (slow or loaded machines)."""
    try:
        scale = float(os.environ.get("GRADE_TIMEOUT_SCALE", "1"))
    except ValueError:
        raise GradeError("GRADE_TIMEOUT_SCALE must be a number")
    if scale <= 0:
        raise GradeError("GRADE_TIMEOUT_SCALE must be positive")
    return scale


def default_iso():
    obj = os.environ.get("OBJ", "obj")
    return os.path.join(ROOT, obj, "exolab.iso")


def qemu_cmdline_option(args):
    """The -fw_cfg value carrying kernel options; QEMU's option parser needs ',' doubled."""
    return "name=opt/exolab/cmdline,string=" + args.replace(",", ",,")


class Screen:
    """A screendump: width, height and RGB bytes, row-major."""

    def __init__(self, width, height, rgb):
        self.width, self.height, self.rgb = width, height, rgb

    def pixel(self, x, y):
        i = 3 * (y * self.width + x)
        return self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]

    @staticmethod
    def read_ppm(path):
        """Parse the binary PPM (P6, maxval 255) QEMU's screendump writes."""
        with open(path, "rb") as f:
            data = f.read()
        fields, pos = [], 0
        while len(fields) < 4:
            m = re.compile(rb"\s*(#[^\n]*\n\s*)*(\S+)").match(data, pos)
            if not m:
                raise GradeError("%s: truncated PPM header" % path)
            fields.append(m.group(2))
            pos = m.end()
        if fields[0] != b"P6" or fields[3] != b"255":
            raise GradeError("%s: not a P6 PPM with maxval 255" % path)
        width, height = int(fields[1]), int(fields[2])
        rgb = data[pos + 1:pos + 1 + 3 * width * height]
        if len(rgb) != 3 * width * height:
            raise GradeError("%s: short pixel data" % path)
        return Screen(width, height, rgb)


class Emulator:
    """One emulator process.  Serial output goes to a file in `workdir`, so nothing can block
    on a full pipe; the run polls that file."""

    def __init__(self, test, workdir, iso):
        self.test, self.dir, self.iso = test, workdir, iso
        self.serial = os.path.join(workdir, "serial.out")
        self.stderr = os.path.join(workdir, "emulator.err")
        self.proc = None
        self.extra_args = []  # a run's own QEMU options (gradelib's peer)

    def _spawn(self, argv, **kw):
        if stopping.is_set():
            raise GradeError("interrupted")
        with open(self.serial, "wb") as out, open(self.stderr, "wb") as err:
            try:
                self.proc = subprocess.Popen(argv, stdout=kw.pop("stdout", out), stderr=err,
                                             cwd=ROOT, start_new_session=True, **kw)
            except OSError as e:
                raise GradeError("cannot start %s: %s" % (argv[0], e))
        with _live_lock:
            _live.add(self.proc)

    def send(self, line):
        raise GradeError("%s cannot send serial input" % type(self).__name__)

    def screendump(self, path):
        raise GradeError("%s cannot take a screendump" % type(self).__name__)

    def send_keys(self, keys):
        raise GradeError("%s cannot type on the keyboard" % type(self).__name__)

    def pump(self):
        """Called every poll; emulators that need servicing do it here."""

    def stop(self):
        if self.proc:
            _kill_group(self.proc)
            if self.proc.stdin:
                self.proc.stdin.close()

    def errors(self):
        with open(self.stderr, "rb") as f:
            return f.read().decode("utf-8", "replace").strip()


class Qemu(Emulator):
    """QEMU with serial on stdio (stdin a pipe, stdout a file) and the HMP monitor on a unix
    socket in the run's private directory."""

    def start(self):
        t = self.test
        self.monitor = os.path.join(self.dir, "monitor.sock")
        argv = [os.environ.get("QEMU", "qemu-system-x86_64"),
                "-cdrom", self.iso, "-m", str(t.mem), "-smp", str(t.smp),
                "-display", "none", "-no-reboot", "-nic", "none",
                "-serial", "stdio", "-monitor", "unix:%s,server,nowait" % self.monitor,
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
        if t.args:
            argv += ["-fw_cfg", qemu_cmdline_option(t.args)]
        if t.uefi:
            vars_copy = os.path.join(self.dir, "OVMF_VARS.fd")
            shutil.copyfile(OVMF_VARS, vars_copy)  # firmware writes it; never share one
            argv += ["-M", "q35",
                     "-drive", "if=pflash,format=raw,readonly=on,file=" + OVMF_CODE,
                     "-drive", "if=pflash,format=raw,file=" + vars_copy]
        self._spawn(argv + t.qemu_args + self.extra_args, stdin=subprocess.PIPE)

    def send(self, line):
        # A terminal sends CR for Enter; the kernel's line editor sees exactly that.
        try:
            self.proc.stdin.write(line.encode() + b"\r")
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass  # QEMU already exited; the checks will say what is missing

    def _monitor_until_prompt(self, sock, deadline):
        got = b""
        while not got.endswith(b"(qemu) "):
            sock.settimeout(max(0.1, deadline - time.monotonic()))
            chunk = sock.recv(4096)
            if not chunk:
                raise GradeError("QEMU monitor closed the connection")
            got += chunk
        return got

    def _hmp(self, commands, what):
        """Run HMP commands one after another on QEMU's monitor, each to its prompt."""
        deadline = time.monotonic() + 10 * timeout_scale()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10 * timeout_scale())
                sock.connect(self.monitor)
                self._monitor_until_prompt(sock, deadline)
                for command in commands:
                    sock.sendall(command.encode() + b"\n")
                    self._monitor_until_prompt(sock, deadline)
        except OSError as e:  # QEMU exited meanwhile: a failed test, not a grader crash
            raise GradeError("%s: the QEMU monitor is gone (%s)" % (what, e))

    def send_keys(self, keys):
        """Type keys (QEMU's key names) on the emulated PS/2 keyboard, in order: QEMU's input
        queue spaces each press and release, and the kernel's i8042 driver takes them."""
        self._hmp(["sendkey " + k for k in keys], "no keys typed")

    def screendump(self, path):
        self._hmp(["screendump " + path], "no screendump")
        if not os.path.exists(path):
            raise GradeError("QEMU wrote no screendump")
        return Screen.read_ppm(path)


class Bochs(Emulator):
    """Bochs from hw/bochs/bochsrc.tmpl.  Debian's Bochs has no headless display library, so its
    text GUI draws on a private pseudo-terminal that the run drains and ignores."""

    master = None

    def start(self):
        rc = os.path.join(self.dir, "bochsrc")
        with open(os.path.join(ROOT, "hw/bochs/bochsrc.tmpl")) as f:
            text = f.read()
        for key, val in (("MEM", str(self.test.mem)), ("ISO", self.iso),
                         ("SERIAL", self.serial), ("LOG", os.path.join(self.dir, "bochs.log"))):
            text = text.replace("@%s@" % key, val)
        with open(rc, "w") as f:
            f.write(text)
        self.master, slave = pty.openpty()
        os.set_blocking(self.master, False)
        env = dict(os.environ, TERM="vt100")
        argv = [os.environ.get("BOCHS", "bochs"), "-q", "-f", rc,
                "-rc", os.path.join(ROOT, "hw/bochs/continue.rc")]
        try:
            self._spawn(argv, stdin=slave, stdout=slave, env=env)
        finally:
            os.close(slave)

    def pump(self):
        try:
            while os.read(self.master, 65536):
                pass
        except (BlockingIOError, OSError):
            pass

    def stop(self):
        super().stop()
        if self.master is not None:
            os.close(self.master)
            self.master = None
