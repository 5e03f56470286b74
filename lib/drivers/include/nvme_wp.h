/* Write protection of an NVMe disk (issue 16 item 5: nothing on the laptop's disk is written
 * unless explicitly allowed).  A policy (struct nvme_wp) hangs off the driver's ops table
 * (nvme_ops.wp); the driver consults it before any command reaches a submission queue
 * (nvme_submit for I/O, nvme_admin_cmd for admin commands) and refuses with E_PERM.
 *
 *   NVME_WP_OFF       no protection (under a hypervisor without `nvme_ro`, exosim, tests);
 *   NVME_WP_READONLY  every data-modifying command refused (no `nvme_write=`, or a bad one);
 *   NVME_WP_WINDOW    `nvme_write=START+COUNT`: Write only inside [START, START+COUNT) and
 *                     never on a block of a partition (GPT or MBR) or of the partition
 *                     tables themselves; the tables are read by nvme_init (nvme_wp_load).
 *
 * Everything here but nvme_wp_load is pure (no device, no allocation) and host-tested
 * (grade/unit/nvmewp).  The GPT and MBR layouts are UEFI 2.x §5.2.1 (legacy MBR), §5.2.3
 * (protective MBR), §5.3.2 (GPT header) and §5.3.3 (GPT partition entry). */
#ifndef EXOLAB_NVME_WP_H
#define EXOLAB_NVME_WP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The partition entry array read, at most (256 entries of 128 bytes; the UEFI minimum is
 * 16 KiB).  A header announcing a larger array is rejected, which protects the whole disk
 * through its protective MBR (see nvme_wp_scan). */
#define GPT_ARRAY_MAX      (32u * 1024)
#define GPT_MAX_PARTS      128u /* used GPT entries kept; more rejects the table */
#define NVME_WP_MAX_RANGES (GPT_MAX_PARTS + 4 + 2) /* + MBR records + table blocks */
/* The scratch buffer nvme_wp_scan needs: LBA 0, one header block, the array. */
#define NVME_WP_SCAN_BYTES (2u * 4096 + GPT_ARRAY_MAX)

enum nvme_wp_mode { NVME_WP_OFF, NVME_WP_READONLY, NVME_WP_WINDOW };

/* Where a protected range comes from. */
enum nvme_wp_src {
	NVME_WP_SRC_GPT,   /* a used GPT partition entry (index: its entry number) */
	NVME_WP_SRC_MBR,   /* an MBR partition record (index 0-3) */
	NVME_WP_SRC_TABLE, /* the partition tables' own blocks (MBR, GPT headers and arrays) */
	NVME_WP_SRC_DISK,  /* the whole disk: a protective MBR record (LBA 1 on), a damaged GPT,
	                    * an unreadable table */
};

/* Blocks first..last, inclusive. */
struct nvme_wp_range {
	uint64_t first, last;
	uint8_t src;    /* enum nvme_wp_src */
	uint16_t index; /* entry or record number */
};

enum nvme_wp_why {
	NVME_WP_ALLOWED,
	NVME_WP_WHY_READONLY,  /* no (valid) nvme_write=: every write refused */
	NVME_WP_WHY_BAD_RANGE, /* 0 blocks, or lba + count past 2^64 */
	NVME_WP_WHY_OUTSIDE,   /* a block outside the nvme_write= window */
	NVME_WP_WHY_NO_TABLE,  /* the partition tables have not been read */
	NVME_WP_WHY_PARTITION, /* a block inside a protected range */
	NVME_WP_WHY_COMMAND,   /* a data-modifying command that is never allowed */
};

/* One refusal, as given to the report callback. */
struct nvme_wp_refusal {
	uint8_t opcode;
	bool admin;
	uint64_t lba, count; /* for a range-checked command */
	enum nvme_wp_why why;
	struct nvme_wp_range hit; /* the protected range touched (NVME_WP_WHY_PARTITION) */
};

struct nvme_wp {
	enum nvme_wp_mode mode;
	const char *note; /* READONLY: why (a static string) */
	uint64_t win_start, win_count;
	bool table_read;             /* the ranges below are the disk's */
	const char *table_note;      /* what the scan found, or why it failed (static) */
	int gpt_primary, gpt_backup; /* each header's gpt_err (backup: when it was read) */
	unsigned nranges;
	struct nvme_wp_range ranges[NVME_WP_MAX_RANGES];
	uint64_t refused; /* commands refused so far */
	/* Called for each refusal, and once with r == NULL when nvme_wp_load has finished
	 * (table_read and table_note then say how).  Optional. */
	void (*report)(void *ctx, const struct nvme_wp *wp, const struct nvme_wp_refusal *r);
	void *report_ctx;
};

/* `nvme_write=` value "START+COUNT", each decimal or 0x-prefixed hex, COUNT >= 1 and
 * START + COUNT <= 2^64.  0, or E_INVAL with *why saying what is wrong. */
int nvme_wp_parse_window(const char *s, uint64_t *start, uint64_t *count, const char **why);
/* Sets the policy (report and report_ctx are kept): OFF when !protect, else WINDOW when
 * `write_arg` (the nvme_write= value, NULL when absent) parses, else READONLY. */
void nvme_wp_configure(struct nvme_wp *wp, bool protect, const char *write_arg);
/* Whether a Write of `count` blocks at `lba` may go; *hit is the range touched for
 * NVME_WP_WHY_PARTITION.  Pure: no report, no count. */
enum nvme_wp_why nvme_wp_decide(const struct nvme_wp *wp, uint64_t lba, uint64_t count,
                                struct nvme_wp_range *hit);
/* NVM command set opcodes (NVMe 1.4 §6) and admin opcodes (§5) that may change stored data. */
bool nvme_wp_io_modifies(uint8_t opcode);
bool nvme_wp_admin_modifies(uint8_t opcode);
/* The driver's checks: 0, or E_PERM after counting the refusal and reporting it.  A NULL wp
 * allows everything. */
int nvme_wp_check_io(struct nvme_wp *wp, uint8_t opcode, uint64_t lba, uint64_t count);
int nvme_wp_check_admin(struct nvme_wp *wp, uint8_t opcode);
const char *nvme_wp_why_name(enum nvme_wp_why why);
const char *nvme_wp_src_name(enum nvme_wp_src src);

/* ---- partition tables (gpt.c): pure parsers over block buffers, for device input ---- */

/* A GPT header's fields that matter here (UEFI §5.3.2, table 5-5). */
struct gpt_header {
	uint64_t my_lba, alt_lba, first_usable, last_usable, entries_lba;
	uint32_t nentries, entry_size, entries_crc;
};

enum gpt_err {
	GPT_OK,
	GPT_E_SIGNATURE,   /* not "EFI PART" */
	GPT_E_HEADER_SIZE, /* HeaderSize below 92 or above the block */
	GPT_E_HEADER_CRC,
	GPT_E_MY_LBA,      /* MyLBA is not the block it was read from */
	GPT_E_USABLE,      /* the usable range is empty, reversed or off the disk */
	GPT_E_ENTRY_SIZE,  /* SizeOfPartitionEntry not 128 * 2^n */
	GPT_E_ARRAY_SIZE,  /* the array is larger than GPT_ARRAY_MAX */
	GPT_E_ARRAY_PLACE, /* the array is off the disk or overlaps the usable range */
	GPT_E_ARRAY_CRC,
	GPT_E_ENTRY,    /* a used entry outside the usable range or reversed */
	GPT_E_TOO_MANY, /* more than GPT_MAX_PARTS used entries */
	GPT_NERR
};

uint32_t gpt_crc32(const uint8_t *p, size_t n);
/* Checks the header in `blk` (one block of `bs` bytes, 512..4096, read from `lba` of a disk
 * of `nblocks` blocks) and fills *h.  A gpt_err. */
int gpt_header_parse(const uint8_t *blk, uint32_t bs, uint64_t lba, uint64_t nblocks,
                     struct gpt_header *h);
/* The array's size in bytes and in blocks (after a successful gpt_header_parse). */
uint32_t gpt_array_bytes(const struct gpt_header *h);
uint64_t gpt_array_blocks(const struct gpt_header *h, uint32_t bs);
/* Checks the array (`len` bytes at `arr`, at least gpt_array_bytes) against the header's
 * CRC and appends each used entry to out[*n] (up to `max` in all).  A gpt_err. */
int gpt_entries_parse(const struct gpt_header *h, const uint8_t *arr, size_t len,
                      struct nvme_wp_range *out, unsigned max, unsigned *n);
/* The MBR in `blk` (`len` >= 512 bytes of LBA 0): false without the 0x55AA signature.
 * Appends every used record (type != 0, size != 0) clamped to the disk; a protective record
 * (type 0xEE) is LBA 1 to the disk's end whatever its size says, with src NVME_WP_SRC_DISK;
 * *protective says one was seen.
 * Records that do not fit in `max` are merged into the last one kept. */
bool mbr_parse(const uint8_t *blk, size_t len, uint64_t nblocks, struct nvme_wp_range *out,
               unsigned max, unsigned *n, bool *protective);
const char *gpt_err_name(int err);

/* Reads the partition tables of a disk of `nblocks` blocks of `bs` bytes through `rd` (reads
 * `nblocks` blocks at `lba` into buf + off; 0 or an error) with `buf` as scratch (`len` >=
 * NVME_WP_SCAN_BYTES) and fills wp's ranges:
 *  - a valid GPT (primary at LBA 1, else the backup at the last LBA): its used entries, the
 *    blocks outside its usable range (MBR, headers, arrays), and the MBR's non-protective
 *    records (a hybrid MBR);
 *  - no valid GPT but an MBR: every MBR record, a protective one covering the whole disk,
 *    and LBA 0; if either GPT header had the signature, the whole disk (a damaged GPT);
 *  - neither: LBA 0 (a blank disk).
 * 0 (table_read set), or the read's error (the ranges then protect the whole disk). */
int nvme_wp_scan(struct nvme_wp *wp, uint32_t bs, uint64_t nblocks,
                 int (*rd)(void *ctx, uint64_t lba, uint32_t n, size_t off), void *ctx,
                 uint8_t *buf, size_t len);

struct nvme_ctrl;
/* nvme_init's last step when ops.wp is in WINDOW mode: nvme_wp_scan through I/O queue 1
 * (the queue must be idle), then the report callback with r == NULL.  0 or an error (the
 * policy then refuses every write). */
int nvme_wp_load(struct nvme_ctrl *c);

#endif
