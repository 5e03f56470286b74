/* The write-protection policy (nvme_wp.h): the nvme_write= window, the decision for one
 * command, and the partition-table scan that fills the protected ranges.  Portable and pure:
 * the LibOS (lib/user/nvme_ops.c) configures it, the driver (io.c, ctrl.c) asks it, the host
 * tests (grade/unit/nvmewp) drive it with sector buffers. */
#include "abi/error.h"
#include "nvme_wp.h"
#include "xstring.h"

/* Opcodes (NVMe 1.4 figure 346 for the NVM command set, figure 139 for admin commands). */
#define IO_FLUSH       0x00
#define IO_WRITE       0x01
#define IO_READ        0x02
#define IO_WRITE_UNCOR 0x04
#define IO_COMPARE     0x05
#define IO_WRITE_ZEROS 0x08
#define IO_VERIFY      0x0c

/* One number of nvme_write=: decimal, or hex after 0x.  Advances *sp past it. */
static int
parse_u64(const char **sp, uint64_t *out)
{
	const char *s = *sp;
	unsigned base = 10, digits = 0;
	uint64_t v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (;; s++, digits++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && (*s | 0x20) >= 'a' && (*s | 0x20) <= 'f')
			d = (unsigned)((*s | 0x20) - 'a' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return E_RANGE;
		v = v * base + d;
	}
	if (digits == 0)
		return E_INVAL;
	*sp = s;
	*out = v;
	return 0;
}

int
nvme_wp_parse_window(const char *s, uint64_t *start, uint64_t *count, const char **why)
{
	int r;

	if (s == NULL || *s == '\0') {
		*why = "nvme_write= has no value (want START+COUNT)";
		return E_INVAL;
	}
	if ((r = parse_u64(&s, start)) < 0) {
		*why = r == E_RANGE ? "START does not fit in 64 bits" : "START is not a number";
		return E_INVAL;
	}
	if (*s++ != '+') {
		*why = "no '+' after START (want START+COUNT)";
		return E_INVAL;
	}
	if ((r = parse_u64(&s, count)) < 0) {
		*why = r == E_RANGE ? "COUNT does not fit in 64 bits" : "COUNT is not a number";
		return E_INVAL;
	}
	if (*s != '\0') {
		*why = "junk after COUNT";
		return E_INVAL;
	}
	if (*count == 0) {
		*why = "COUNT is 0";
		return E_INVAL;
	}
	if (*count - 1 > UINT64_MAX - *start) {
		*why = "START+COUNT is past the last 64-bit LBA";
		return E_INVAL;
	}
	return 0;
}

void
nvme_wp_configure(struct nvme_wp *wp, bool protect, const char *write_arg)
{
	void (*report)(void *, const struct nvme_wp *, const struct nvme_wp_refusal *) = wp->report;
	void *ctx = wp->report_ctx;

	memset(wp, 0, sizeof(*wp));
	wp->report = report;
	wp->report_ctx = ctx;
	wp->table_note = "not read";
	if (!protect) {
		wp->mode = NVME_WP_OFF;
		return;
	}
	wp->mode = NVME_WP_READONLY;
	wp->note = "no nvme_write=START+COUNT on the command line";
	if (write_arg != NULL &&
	    nvme_wp_parse_window(write_arg, &wp->win_start, &wp->win_count, &wp->note) == 0) {
		wp->mode = NVME_WP_WINDOW;
		wp->note = "nvme_write= window";
	}
}

enum nvme_wp_why
nvme_wp_decide(const struct nvme_wp *wp, uint64_t lba, uint64_t count, struct nvme_wp_range *hit)
{
	if (wp == NULL || wp->mode == NVME_WP_OFF)
		return NVME_WP_ALLOWED;
	if (count == 0 || count - 1 > UINT64_MAX - lba)
		return NVME_WP_WHY_BAD_RANGE;
	if (wp->mode != NVME_WP_WINDOW)
		return NVME_WP_WHY_READONLY;
	uint64_t last = lba + (count - 1), wlast = wp->win_start + (wp->win_count - 1);
	if (lba < wp->win_start || last > wlast)
		return NVME_WP_WHY_OUTSIDE;
	if (!wp->table_read)
		return NVME_WP_WHY_NO_TABLE;
	for (unsigned i = 0; i < wp->nranges && i < NVME_WP_MAX_RANGES; i++) {
		const struct nvme_wp_range *g = &wp->ranges[i];
		if (lba <= g->last && g->first <= last) {
			if (hit != NULL)
				*hit = *g;
			return NVME_WP_WHY_PARTITION;
		}
	}
	return NVME_WP_ALLOWED;
}

/* An allowlist: what is not known to leave the data as it is counts as modifying. */
bool
nvme_wp_io_modifies(uint8_t opcode)
{
	return !(opcode == IO_FLUSH || opcode == IO_READ || opcode == IO_COMPARE ||
	         opcode == IO_VERIFY);
}

/* Admin commands that never change stored data: Delete/Create I/O SQ and CQ (00h, 01h, 04h,
 * 05h), Get Log Page (02h), Identify (06h), Abort (08h), Set/Get Features (09h, 0Ah),
 * Asynchronous Event Request (0Ch), Keep Alive (18h), Security Receive (82h).  Refused among
 * the rest: Namespace Management (0Dh), Firmware Commit (10h) and Image Download (11h),
 * Device Self-test (14h), Namespace Attachment (15h), Format NVM (80h), Security Send (81h),
 * Sanitize (84h) and every vendor-specific opcode. */
bool
nvme_wp_admin_modifies(uint8_t opcode)
{
	static const uint8_t safe[] = { 0x00, 0x01, 0x02, 0x04, 0x05, 0x06,
		                        0x08, 0x09, 0x0a, 0x0c, 0x18, 0x82 };

	for (unsigned i = 0; i < sizeof(safe); i++)
		if (safe[i] == opcode)
			return false;
	return true;
}

static int
refuse(struct nvme_wp *wp, const struct nvme_wp_refusal *r)
{
	wp->refused++;
	if (wp->report != NULL)
		wp->report(wp->report_ctx, wp, r);
	return E_PERM;
}

int
nvme_wp_check_io(struct nvme_wp *wp, uint8_t opcode, uint64_t lba, uint64_t count)
{
	struct nvme_wp_refusal r = { .opcode = opcode, .lba = lba, .count = count };

	if (wp == NULL || wp->mode == NVME_WP_OFF || !nvme_wp_io_modifies(opcode))
		return 0;
	/* Write, Write Uncorrectable and Write Zeroes name their blocks as SLBA and NLB
	 * (§6.15, §6.16, §6.17); anything else (Dataset Management, Copy, reservations...) is
	 * never allowed. */
	if (opcode == IO_WRITE || opcode == IO_WRITE_UNCOR || opcode == IO_WRITE_ZEROS)
		r.why = nvme_wp_decide(wp, lba, count, &r.hit);
	else
		r.why = NVME_WP_WHY_COMMAND;
	return r.why == NVME_WP_ALLOWED ? 0 : refuse(wp, &r);
}

int
nvme_wp_check_admin(struct nvme_wp *wp, uint8_t opcode)
{
	struct nvme_wp_refusal r = { .opcode = opcode, .admin = true, .why = NVME_WP_WHY_COMMAND };

	if (wp == NULL || wp->mode == NVME_WP_OFF || !nvme_wp_admin_modifies(opcode))
		return 0;
	return refuse(wp, &r);
}

const char *
nvme_wp_why_name(enum nvme_wp_why why)
{
	switch (why) {
	case NVME_WP_ALLOWED:
		return "allowed";
	case NVME_WP_WHY_READONLY:
		return "the disk is read-only";
	case NVME_WP_WHY_BAD_RANGE:
		return "bad block range";
	case NVME_WP_WHY_OUTSIDE:
		return "outside the nvme_write= window";
	case NVME_WP_WHY_NO_TABLE:
		return "the partition table was not read";
	case NVME_WP_WHY_PARTITION:
		return "inside a protected range";
	case NVME_WP_WHY_COMMAND:
		return "a data-modifying command that is never allowed";
	}
	return "?";
}

const char *
nvme_wp_src_name(enum nvme_wp_src src)
{
	switch (src) {
	case NVME_WP_SRC_GPT:
		return "GPT partition";
	case NVME_WP_SRC_MBR:
		return "MBR partition";
	case NVME_WP_SRC_TABLE:
		return "partition table blocks";
	case NVME_WP_SRC_DISK:
		return "whole disk";
	}
	return "?";
}

/* ---- the scan ---- */

static void
add(struct nvme_wp *wp, uint64_t first, uint64_t last, enum nvme_wp_src src, unsigned index)
{
	if (wp->nranges < NVME_WP_MAX_RANGES)
		wp->ranges[wp->nranges++] =
		    (struct nvme_wp_range){ first, last, (uint8_t)src, (uint16_t)index };
}

static void
whole_disk(struct nvme_wp *wp, const char *note)
{
	wp->nranges = 0;
	add(wp, 0, UINT64_MAX, NVME_WP_SRC_DISK, 0);
	wp->table_note = note;
}

struct scan {
	uint32_t bs;
	uint64_t nblocks;
	int (*rd)(void *ctx, uint64_t lba, uint32_t n, size_t off);
	void *ctx;
	uint8_t *buf;
	bool signature; /* a header with "EFI PART" was seen */
	struct gpt_header h;
};

/* The header at `lba` and its array into wp->ranges: a gpt_err, or a negative read error. */
static int
read_gpt(struct nvme_wp *wp, struct scan *s, uint64_t lba)
{
	int r;

	wp->nranges = 0;
	if ((r = s->rd(s->ctx, lba, 1, s->bs)) < 0)
		return r;
	s->signature |= memcmp(s->buf + s->bs, "EFI PART", 8) == 0;
	if ((r = gpt_header_parse(s->buf + s->bs, s->bs, lba, s->nblocks, &s->h)) != GPT_OK)
		return r;
	uint64_t n = gpt_array_blocks(&s->h, s->bs);
	if (n > 0 && (r = s->rd(s->ctx, s->h.entries_lba, (uint32_t)n, 2 * s->bs)) < 0)
		return r;
	return gpt_entries_parse(&s->h, s->buf + 2 * s->bs, n * s->bs, wp->ranges, GPT_MAX_PARTS,
	                         &wp->nranges);
}

/* A valid GPT: its entries are in; add the blocks outside the usable range and the hybrid
 * MBR's own partitions. */
static void
gpt_found(struct nvme_wp *wp, struct scan *s, const struct nvme_wp_range *mbr, unsigned nmbr)
{
	add(wp, 0, s->h.first_usable - 1, NVME_WP_SRC_TABLE, 0);
	add(wp, s->h.last_usable + 1, s->nblocks - 1, NVME_WP_SRC_TABLE, 1);
	for (unsigned i = 0; i < nmbr; i++)
		if (mbr[i].src != NVME_WP_SRC_DISK) /* not the protective record */
			add(wp, mbr[i].first, mbr[i].last, NVME_WP_SRC_MBR, mbr[i].index);
}

int
nvme_wp_scan(struct nvme_wp *wp, uint32_t bs, uint64_t nblocks,
             int (*rd)(void *ctx, uint64_t lba, uint32_t n, size_t off), void *ctx, uint8_t *buf,
             size_t len)
{
	struct scan s = { bs, nblocks, rd, ctx, buf, false, { 0 } };
	struct nvme_wp_range mbr[4];
	unsigned nmbr = 0;
	bool protective, has_mbr;
	int r;

	wp->table_read = false;
	wp->gpt_primary = wp->gpt_backup = GPT_NERR;
	if (bs < 512 || bs > 4096 || (bs & (bs - 1)) != 0 || nblocks < 3 ||
	    len < NVME_WP_SCAN_BYTES) {
		whole_disk(wp, "unsupported geometry: the whole disk is protected");
		return E_INVAL;
	}
	if ((r = rd(ctx, 0, 1, 0)) < 0) {
		whole_disk(wp, "LBA 0 unreadable: the whole disk is protected");
		return r;
	}
	has_mbr = mbr_parse(buf, bs, nblocks, mbr, 4, &nmbr, &protective);
	if ((r = wp->gpt_primary = read_gpt(wp, &s, 1)) == GPT_OK) {
		wp->table_note = "GPT (primary header)";
	} else if (r > 0 && (r = wp->gpt_backup = read_gpt(wp, &s, nblocks - 1)) == GPT_OK) {
		wp->table_note = "GPT (backup header; the primary is damaged)";
	}
	if (r < 0) {
		whole_disk(wp, "the partition table is unreadable: the whole disk is protected");
		return r;
	}
	if (r == GPT_OK) {
		gpt_found(wp, &s, mbr, nmbr);
	} else if (s.signature) {
		whole_disk(wp, "damaged GPT (both headers): the whole disk is protected");
	} else {
		wp->nranges = 0;
		add(wp, 0, 0, NVME_WP_SRC_TABLE, 0);
		for (unsigned i = 0; i < nmbr; i++)
			add(wp, mbr[i].first, mbr[i].last, mbr[i].src, mbr[i].index);
		wp->table_note = !has_mbr ? "no partition table (blank disk): LBA 0 protected"
		                 : protective
		                     ? "protective MBR without a GPT: the disk is protected"
		                     : "MBR partitions (no GPT)";
	}
	wp->table_read = true;
	return 0;
}
