/* What legion's selftest mode runs (user/legion.c), in order.  Every program here is
 * safe on the real laptop: hwinfo first (the bring-up report, docs/legion.md: NVMe Identify
 * and NIC register reads only), none writes a disk (no nvmetest, blktest, blkserve), none touches
 * the NIC legion drives (no irqtest, nettest), none ends in a deliberate fault (pcitest), and each
 * runs as a LibOS child, not only as init (smptest and schedtest take their mode from init's
 * tests=, waittest waits for typed input, ipctest's helper does not answer when ipctest is not
 * init's child, lifetest's spin check failed once in two runs on 4 CPUs, and sleeptest's
 * lateness bounds are for icount: under a loaded TCG host they fail: not here).  The bounds
 * (seconds) only catch a hang: a loaded emulator may be ten times slower than the laptop.
 * grade/legion_expect.py lists the same names for the graders. */
#ifndef EXOLAB_USER_LEGION_TESTS_H
#define EXOLAB_USER_LEGION_TESTS_H

#define LEGION_MAX_ARGS 4

/* A selftest passes when it exits 0 within `seconds`, prints no line with a FAIL word, and
 * either prints `done` (when set) or ends with its own summary saying 0 checks failed
 * ("N checks failed", "N of M checks failed", "N checks, M failed"). */
struct legion_test {
	const char *argv[LEGION_MAX_ARGS + 1];
	unsigned seconds;
	const char *done;
};

/* clang-format off: one program a line */
static const struct legion_test legion_selftests[] = {
	{ { "hwinfo" }, 60, "hwinfo: end" },
	{ { "captest" }, 60, NULL },
	{ { "memtest" }, 60, NULL },
	{ { "cowtest" }, 60, NULL },
	{ { "forktree" }, 60, "forktree: the whole tree is done" },
	{ { "pipetest" }, 60, NULL },
	{ { "fputest" }, 60, NULL },
	{ { "malloctest" }, 60, NULL },
	{ { "regiontest" }, 60, "regiontest: all OK" },
};
/* clang-format on */

#endif
