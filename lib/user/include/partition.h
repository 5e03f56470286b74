/* LibOS partition helpers (issue 15, docs/partitions.md "Running a partition"): the x86 clock
 * lib/fastpath leaves to its caller, the pages a host env shares with a fast-path app, the
 * core capabilities an env holds, and starting an app on an owned core.  Used by the host
 * side (watchdog, blkclient, fpstat) and by the apps (fpspin, blkserve). */
#ifndef EXOLAB_PARTITION_H
#define EXOLAB_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "fp_log.h"
#include "fp_metrics.h"
#include "fp_poll.h"
#include "fp_time.h"

/* Where the shared area is mapped, at the same address in the host env and in the app. */
#define PART_VA        0x0000310000000000ull
#define PART_MAX_PAGES 32                    /* one share_pages call (ABI_SHARE_MAX) */
#define PART_MAGIC     0x7472617070617274ull /* "trappart" */
#define PART_APP_PAGES 256 /* quota pages an app gets (its code, stack, DMA memory) */
#define PART_APP_DEV   100 /* the app's slot of the device capability part_app_start gives */
#define PART_ARGS      8

/* The first page of the area, the control block.  The host writes it before the app starts
 * and clears `ready`; the app lays out its log, metrics and rings at the offsets named here,
 * then stores `ready` (release); the host attaches to them after an acquire load sees it. */
struct part_ctl {
	uint64_t magic;
	uint64_t tsc_hz;     /* the app's clock rate, for the host's log timestamps */
	uint64_t npages;     /* of the area */
	uint32_t cpu;        /* the owned core */
	uint32_t generation; /* 1 for the first start, +1 for each restart */
	uint64_t log_off, log_bytes, log_recs;
	uint64_t met_off, met_bytes, met_hists;
	uint64_t ring_off[2], ring_bytes[2]; /* an app's two rings (requests, replies), or 0 */
	uint64_t arg[PART_ARGS];             /* the app's own parameters */
	uint64_t ready;                      /* the generation the app has laid out */
	uint64_t started_tsc;                /* the app's TSC when its loop began */
	uint8_t pad[FP_CACHELINE - 16];
	struct fp_poll_shared poll; /* heartbeat and stop */
} __attribute__((aligned(FP_CACHELINE)));

/* The shared area as seen by one side: PART_VA .. PART_VA + npages pages. */
struct part_area {
	struct part_ctl *ctl;
	uint64_t npages;
	uint64_t slot[PART_MAX_PAGES]; /* the frames (host side), 0 in the app */
	size_t used;                   /* bytes handed out by part_carve */
	uint64_t region;               /* host, on the board: its pages' region capability */
	uint64_t bgen;                 /* host, on the board: the entry's gen (0: not on it) */
	unsigned entry;                /* host, on the board: the entry's index */
};

/* The partition board (docs/partitions.md "The board"): a region of PART_BOARD_PAGES the
 * shell allocates at start-up (part_board_create) and spawn hands to every child (slot
 * part_board_slot()).  Page 0 is the directory; entry i's area is the PART_BOARD_AREA pages
 * from 1 + i * PART_BOARD_AREA.  A host program that starts a partition takes an entry
 * (part_area_board): its area then lives in the board, where a shell-typed fpstat maps it. */
#define PART_BOARD_VA      0x0000318000000000ull
#define PART_BOARD_PAGES   64 /* one dma_alloc block (ABI_DMA_MAX_PAGES) */
#define PART_BOARD_ENTRIES 4
#define PART_BOARD_AREA    15
#define PART_BOARD_MAGIC   0x647261626f626170ull /* "paboard" */
#define PART_BOARD_NAME    16

enum part_board_state {
	PART_BOARD_FREE,  /* nobody's */
	PART_BOARD_TAKEN, /* a host is setting it up */
	PART_BOARD_LIVE,  /* its host is alive, as far as the shell knows */
	PART_BOARD_ENDED, /* its host died without clearing it (part_board_sweep) */
};

/* One entry.  state moves with compare-and-swap; the rest is written by the host while the
 * entry is TAKEN and read by others once they see LIVE (release/acquire).  gen names the
 * registration: a reader that sees it change knows the entry was reused under it. */
struct part_board_ent {
	uint32_t state;
	uint32_t cpu;    /* the owned core */
	uint64_t gen;    /* the board's registration number, > 0 */
	uint64_t host;   /* the env that took the entry and holds the area */
	uint64_t parent; /* its parent, the shell that sweeps the entry when the host dies */
	uint64_t runner; /* the env that runs the loop on the core (the host or its app) */
	uint32_t linger; /* the host waits in part_board_leave until an fpstat has seen it */
	uint32_t seen;   /* set by fpstat when it has shown the entry */
	char name[PART_BOARD_NAME];
};

struct part_board {
	uint64_t magic;
	uint64_t gen;    /* the last registration number */
	uint32_t linger; /* the next registration lingers (fpstat -l) */
	uint32_t nent;
	struct part_board_ent ent[PART_BOARD_ENTRIES];
};

/* The board's capability slot in this env (0: none), set by the shell or by spawn. */
uint64_t part_board_slot(void);
void part_board_received(uint64_t slot);
/* Shell: allocates and maps the board unless this env has one; the pages it cost (0 when it
 * had one already) or an E_* code. */
long part_board_create(void);
/* The board mapped at PART_BOARD_VA (mapped at the first call), or NULL without one. */
struct part_board *part_board_map(void);
/* Shell: marks ENDED every LIVE entry whose host this env started and `gone` says is dead. */
void part_board_sweep(int (*gone)(uint64_t envid));
/* Entry i's area in the board mapping. */
struct part_ctl *part_board_area(const struct part_board *b, unsigned i);
/* Whether `runner` owns `cpu` now (core_stat). */
int part_board_on_core(uint64_t runner, unsigned cpu);

/* An app the host started on an owned core. */
struct part_app {
	uint64_t eslot; /* the env capability (0: none) */
	uint64_t cslot; /* the capability the claim was made through, derived from the core's */
	uint64_t core;  /* the core capability it was derived from (revoked to stop the app) */
	uint64_t envid;
	unsigned cpu;
};

/* The clock lib/fastpath takes: rdtsc and the rate the kernel calibrated (abi_envinfo). */
uint64_t part_tsc_hz(void);
void part_clock(struct fp_clock *c);
uint64_t part_ms_to_tsc(uint64_t ms);

/* A decimal number of a command line, or -1 when s is not one. */
long part_number(const char *s);

/* Core capabilities this env holds: init's from the kernel, a spawned program's from its
 * parent (spawn.c copies them as it copies devices).  The slot of CPU `cpu`'s, or 0. */
uint64_t part_cores(uint64_t *first);
void part_cores_received(uint64_t first, uint64_t count);
uint64_t part_core_slot(unsigned cpu);

/* Host: npages zeroed frames mapped at PART_VA, the control block initialised. */
int part_area_alloc(struct part_area *a, uint64_t npages, unsigned cpu);
void part_area_free(struct part_area *a);
/* Host: as part_area_alloc, but in a free entry of the shell's board under `name`, so that
 * a shell-typed fpstat finds it; npages <= PART_BOARD_AREA.  Without a board or a free
 * entry, part_area_alloc's private area (a line says so).  part_area_free clears the entry. */
int part_area_board(struct part_area *a, uint64_t npages, unsigned cpu, const char *name);
/* Host, on the board: before the loop's core is released (an owner of 0 reads as ended):
 * waits, bounded, until an fpstat has shown the entry if it was made to linger (fpstat -l). */
void part_board_leave(struct part_area *a);
/* Host: the control block made ready for the app's generation `generation` (not ready, its
 * heartbeat 0, no stop), before part_app_start and after the last app is gone. */
void part_area_renew(struct part_area *a, uint32_t generation);
/* Host: maps the area into the env in eslot at PART_VA (share_pages, map only). */
int part_area_share(const struct part_area *a, uint64_t eslot);
/* App: waits until the host has mapped the area (bounded by yields); 0 or E_AGAIN. */
int part_area_wait(struct part_area *a);
/* Either side: the next `bytes` of the area, 64-byte aligned, or NULL when it is full.  Both
 * sides carve in the same order; the offset is stored in the control block by the caller. */
void *part_carve(struct part_area *a, size_t bytes, uint64_t *off);

/* Host: spawns `cmd` (a ramdisk program and its words) with PART_APP_PAGES of quota, claims
 * CPU `cpu` for it through a capability derived from this env's, copies the device
 * capability `dev` (0: none) to its slot PART_APP_DEV, then maps the area: the app's
 * part_area_wait returns and its next yield moves it to the core.  0 or an E_* code
 * (nothing is left then). */
int part_app_start(struct part_app *app, struct part_area *a, unsigned cpu, const char *cmd,
                   uint64_t dev);
/* Host: revokes the core capability (the kernel stops the app at once), waits until the core
 * has no owner; 0 or E_AGAIN. */
int part_app_revoke(struct part_app *app);
/* Host: destroys the app, waits for it to die, deletes its capabilities. */
void part_app_destroy(struct part_app *app);

/* Host: attaches to the app's log and metrics once ctl->ready shows `generation`; 1 when
 * attached, 0 when the app is not ready yet, or an E_* code. */
int part_attach(struct part_area *a, uint32_t generation, struct fp_log *log,
                struct fp_metrics *met);
/* Host: the area's bytes [*off, *off + bytes) if they lie in the area past the control block
 * and 64-byte aligned, else NULL.  *off is the app's word, read once. */
void *part_span(const struct part_area *a, const uint64_t *off, uint64_t bytes);
/* App: ring i (0 or 1) of the control block, carved and laid out (this side's role); host:
 * its handle on it, the app's offset and size checked.  0 or an E_* code. */
int part_ring_init(struct part_area *a, unsigned i, enum fp_ring_role role, uint32_t nslots,
                   uint32_t slot_size, struct fp_ring *r);
int part_ring_attach(struct part_area *a, unsigned i, enum fp_ring_role role, uint32_t slot_size,
                     struct fp_ring *r);
/* App: lays out the log (nrecs records) and metrics (nhists histograms) and records them in
 * the control block; 0 or an E_* code.  The app stores ready itself when all is laid out. */
int part_app_layout(struct part_area *a, const struct fp_clock *clk, uint32_t nrecs,
                    uint32_t nhists, struct fp_log *log, struct fp_metrics *met);
void part_app_ready(struct part_area *a);
/* Host: runs `fpstat -p` with the area mapped (it reads the metrics and shows the log records
 * waiting without taking them) and waits until it ends; 0 or an E_* code. */
int part_run_fpstat(struct part_area *a);
/* Host: prints every log record waiting, "<prefix>: [s.ns] LEVEL msg" with the app's TSC. */
uint32_t part_log_drain(struct fp_log *log, uint64_t hz, const char *prefix);

/* blkserve's rings (user/blkserve.c, user/blkclient.c): a request names a block and one
 * of PART_BLK_BUFS block buffers in the area (ctl->arg[PART_BLK_BUF_OFF]); the reply says
 * how it went once the data is in that buffer.  Both are 32-byte ring slots. */
#define PART_BLK_SLOTS   64
#define PART_BLK_BUFS    16
#define PART_BLK_BLOCK   512
#define PART_BLK_BUF_OFF 0 /* ctl->arg[]: the buffers' offset in the area */
#define PART_BLK_FIRST   1 /* ctl->arg[]: the first block served, and how many */
#define PART_BLK_COUNT   2
#define PART_BLK_FILL    3 /* ctl->arg[]: nonzero: write the pattern first (part_blk_word) */
/* ctl->arg[]: nonzero: the benchmark (blkclient tests=bench-*): 4 KiB requests
 * (PART_BLK_BENCH_BYTES, the buffers that size), the service's own instructions per request
 * measured */
#define PART_BLK_BENCH       4
#define PART_BLK_BENCH_BYTES 4096
struct part_blk_req {
	uint64_t tag;
	uint64_t lba;
	uint32_t buf;
	uint32_t pad;
	uint64_t post_tsc; /* the client's TSC when it posted it */
};
struct part_blk_reply {
	uint64_t tag;
	int32_t err;
	uint16_t status;
	uint16_t pad;
	uint64_t post_tsc, done_tsc;
};

/* Word j of block b in the test pattern, as grade/nvmetests.py pre-fills its images. */
static inline uint32_t
part_blk_word(uint64_t b, uint32_t j)
{
	return (uint32_t)(b * 0x9e3779b1u) + j;
}

#endif
