"""What each Legion menu entry must show (issue 16): one table for grade/legion.py, which boots
the ISO with `init=legion legion=MODE`, and for the USB image's test, which boots the same
modes through the image's GRUB menu.  Patterns are multi-line regexes over the serial console
(CRs removed).

SELFTESTS and BENCHES name the programs of user/legion_tests.h and user/legion_bench.h, in
their order: grade/legion.py checks that the lists agree with the headers."""

MACHINE = r"^MACHINE \S.* cpus=\d+ tsc_hz=\d+$"
MODES_LIST = "bench selftest shell safe"
PROMPT = r"^\$ "

SELFTESTS = ["hwinfo", "captest", "memtest", "cowtest", "forktree", "pipetest", "fputest",
             "malloctest", "regiontest"]
# Lines the programs themselves print (legion forwards them from its pipe): on the screen and
# over the netconsole in selftest mode.
CHILD_LINES = [r"^captest: 0 checks failed in all three envs$", r"^cowtest: 0 checks failed$",
               r"^forktree: the whole tree is done$", r"^regiontest: all OK$"]
BENCHES = ["benchnull", "benchctx", "benchipc", "benchnvme"]
BENCH_LINE = r"^BENCH (\S+) (\S+) (\S+)$"

# The network words the graders add (the grader's wire: grade/netwire.py HOST_IP, GUEST_IP).
NET_ARGS = "ip=10.0.0.2 mask=255.255.255.0 gw=0.0.0.0 netcons=10.0.0.1:6666"


def boot_args(mode, net=NET_ARGS, extra=""):
    """The kernel command line of a menu entry (safe mode: cpus=1 and no network words)."""
    if mode == "safe":
        return ("init=legion legion=safe cpus=1 %s" % extra).strip()
    return ("init=legion legion=%s %s %s" % (mode, net, extra)).strip()


def pass_line(name):
    return r"^legion: %s PASS \(status 0\)$" % name


# mode -> (the lines the entry must print, in this order; the line that says it is done)
EXPECT = {
    "selftest": ([MACHINE, r"^legion: mode selftest$", r"^legion: NIC "]
                 + [pass_line(n) for n in SELFTESTS]
                 + [r"^legion: selftest %d passed, 0 failed$" % len(SELFTESTS)],
                 r"^legion: selftest \d+ passed, \d+ failed$"),
    "bench": ([MACHINE, r"^legion: mode bench$", BENCH_LINE, r"^legion: ---- bench summary",
               r"^legion: bench done, [1-9]\d* results$"],
              r"^legion: bench done, \d+ results$"),
    "shell": ([MACHINE, r"^legion: mode shell$", r"^legion: starting the shell", PROMPT],
              PROMPT),
    "safe": ([MACHINE, r"^legion: mode safe$",
              r"^legion: safe mode: no drivers \(\d+ device capabilities dropped\), 1 CPU$",
              PROMPT], PROMPT),
    "bogus": ([MACHINE, r"^legion: mode bogus$",
               r"^legion: unknown mode 'bogus': the modes are %s" % MODES_LIST, PROMPT],
              PROMPT),
}
