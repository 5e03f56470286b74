/* Partition tables as the write protection reads them (nvme_wp.h): the GPT header and its
 * partition entry array (UEFI 2.x §5.3.2 and §5.3.3) and the legacy or protective MBR
 * (§5.2.1, §5.2.3).  Pure functions over block buffers: every field is device input, so
 * every size and offset is checked against the buffer and the disk before it is used. */
#include "nvme_wp.h"
#include "xstring.h"

/* MBR (§5.2.1, table 5-1): four 16-byte partition records at byte 446, 0x55 0xAA at 510. */
#define MBR_RECORDS    446
#define MBR_SIG        510
#define MBR_TYPE       4  /* OSType */
#define MBR_START      8  /* StartingLBA, 32 bits */
#define MBR_SIZE       12 /* SizeInLBA, 32 bits */
#define MBR_PROTECTIVE 0xEE
/* GPT header (§5.3.2, table 5-5): byte offsets. */
#define GH_SIZE         12
#define GH_CRC          16
#define GH_MY_LBA       24
#define GH_ALT_LBA      32
#define GH_FIRST_USABLE 40
#define GH_LAST_USABLE  48
#define GH_ENTRIES_LBA  72
#define GH_NENTRIES     80
#define GH_ENTRY_SIZE   84
#define GH_ENTRIES_CRC  88
#define GH_MIN_SIZE     92
/* GPT partition entry (§5.3.3, table 5-6): type GUID (zero: unused), first and last LBA. */
#define GE_FIRST 32
#define GE_LAST  40

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* CRC-32 as UEFI uses it (Appendix F: ISO 3309 / IEEE 802.3, reflected polynomial
 * 0xEDB88320, initial value and final XOR all ones), one bit at a time: the tables are
 * small and read once. */
static uint32_t
crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (unsigned b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return crc;
}

uint32_t
gpt_crc32(const uint8_t *p, size_t n)
{
	return ~crc_update(~0u, p, n);
}

/* §5.3.2: HeaderCRC32 is computed over HeaderSize bytes with the CRC field itself zero. */
static uint32_t
header_crc(const uint8_t *blk, uint32_t size)
{
	static const uint8_t zero[4];
	uint32_t crc = crc_update(~0u, blk, GH_CRC);

	crc = crc_update(crc, zero, 4);
	return ~crc_update(crc, blk + GH_CRC + 4, size - GH_CRC - 4);
}

uint32_t
gpt_array_bytes(const struct gpt_header *h)
{
	return h->nentries * h->entry_size; /* bounded by gpt_header_parse */
}

uint64_t
gpt_array_blocks(const struct gpt_header *h, uint32_t bs)
{
	return (gpt_array_bytes(h) + bs - 1) / bs;
}

/* The array must lie on the disk, outside the usable range and away from the header. */
static bool
array_placed(const struct gpt_header *h, uint32_t bs, uint64_t lba, uint64_t nblocks)
{
	uint64_t n = gpt_array_blocks(h, bs), a = h->entries_lba;

	if (a < 2 || a >= nblocks || n > nblocks - a)
		return false;
	if (n > 0 && !(a + n <= h->first_usable || a > h->last_usable))
		return false;
	return n == 0 || lba < a || lba >= a + n;
}

int
gpt_header_parse(const uint8_t *blk, uint32_t bs, uint64_t lba, uint64_t nblocks,
                 struct gpt_header *h)
{
	uint32_t size = le32(blk + GH_SIZE);

	if (memcmp(blk, "EFI PART", 8) != 0)
		return GPT_E_SIGNATURE;
	if (size < GH_MIN_SIZE || size > bs)
		return GPT_E_HEADER_SIZE;
	if (le32(blk + GH_CRC) != header_crc(blk, size))
		return GPT_E_HEADER_CRC;
	h->my_lba = le64(blk + GH_MY_LBA);
	h->alt_lba = le64(blk + GH_ALT_LBA);
	h->first_usable = le64(blk + GH_FIRST_USABLE);
	h->last_usable = le64(blk + GH_LAST_USABLE);
	h->entries_lba = le64(blk + GH_ENTRIES_LBA);
	h->nentries = le32(blk + GH_NENTRIES);
	h->entry_size = le32(blk + GH_ENTRY_SIZE);
	h->entries_crc = le32(blk + GH_ENTRIES_CRC);
	if (h->my_lba != lba)
		return GPT_E_MY_LBA;
	/* LBA 0 (MBR), 1 (primary header) and the last (backup header) are never usable. */
	if (h->first_usable < 2 || h->first_usable > h->last_usable || nblocks < 3 ||
	    h->last_usable > nblocks - 2)
		return GPT_E_USABLE;
	/* §5.3.2: SizeOfPartitionEntry is 128 * 2^n. */
	uint32_t units = h->entry_size / 128;
	if (h->entry_size < 128 || h->entry_size % 128 != 0 || (units & (units - 1)) != 0 ||
	    h->entry_size > GPT_ARRAY_MAX)
		return GPT_E_ENTRY_SIZE;
	if (h->nentries > GPT_ARRAY_MAX / h->entry_size)
		return GPT_E_ARRAY_SIZE;
	if (!array_placed(h, bs, lba, nblocks))
		return GPT_E_ARRAY_PLACE;
	return GPT_OK;
}

static bool
guid_zero(const uint8_t *g)
{
	for (unsigned i = 0; i < 16; i++)
		if (g[i] != 0)
			return false;
	return true;
}

int
gpt_entries_parse(const struct gpt_header *h, const uint8_t *arr, size_t len,
                  struct nvme_wp_range *out, unsigned max, unsigned *n)
{
	uint32_t bytes = gpt_array_bytes(h);
	unsigned start = *n, used = 0;

	if (bytes > len || bytes > GPT_ARRAY_MAX)
		return GPT_E_ARRAY_SIZE;
	if (gpt_crc32(arr, bytes) != h->entries_crc)
		return GPT_E_ARRAY_CRC;
	for (uint32_t i = 0; i < h->nentries; i++) {
		const uint8_t *e = arr + (size_t)i * h->entry_size;
		if (guid_zero(e)) /* §5.3.3: a zero type GUID marks an unused entry */
			continue;
		uint64_t first = le64(e + GE_FIRST), last = le64(e + GE_LAST);
		if (first > last || first < h->first_usable || last > h->last_usable) {
			*n = start;
			return GPT_E_ENTRY;
		}
		if (*n >= max || ++used > GPT_MAX_PARTS) {
			*n = start;
			return GPT_E_TOO_MANY;
		}
		out[(*n)++] = (struct nvme_wp_range){ first, last, NVME_WP_SRC_GPT, (uint16_t)i };
	}
	return GPT_OK;
}

bool
mbr_parse(const uint8_t *blk, size_t len, uint64_t nblocks, struct nvme_wp_range *out, unsigned max,
          unsigned *n, bool *protective)
{
	*protective = false;
	if (len < 512 || nblocks == 0 || blk[MBR_SIG] != 0x55 || blk[MBR_SIG + 1] != 0xAA)
		return false;
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *r = blk + MBR_RECORDS + 16 * i;
		uint64_t start = le32(r + MBR_START), size = le32(r + MBR_SIZE);
		struct nvme_wp_range g = { start, start + size - 1, NVME_WP_SRC_MBR, (uint16_t)i };

		if (r[MBR_TYPE] == MBR_PROTECTIVE) {
			/* §5.2.3: SizeInLBA is the disk's size less one, or 0xFFFFFFFF when that
			 * does not fit: either way the record means "everything after LBA 0". */
			*protective = true;
			g.src = NVME_WP_SRC_DISK;
			g.first = 1;
			g.last = nblocks - 1;
		} else if (r[MBR_TYPE] == 0 || size == 0 || start >= nblocks) {
			continue; /* unused, or nothing of it on this disk */
		}
		if (g.last > nblocks - 1)
			g.last = nblocks - 1;
		if (*n < max) {
			out[(*n)++] = g;
		} else if (max > 0) { /* no room: widen the last range kept to cover this one too */
			struct nvme_wp_range *l = &out[max - 1];
			l->first = l->first < g.first ? l->first : g.first;
			l->last = l->last > g.last ? l->last : g.last;
		}
	}
	return true;
}

const char *
gpt_err_name(int err)
{
	static const char *const names[GPT_NERR] = {
		"valid",
		"no \"EFI PART\" signature",
		"bad HeaderSize",
		"bad header CRC32",
		"MyLBA is not where the header is",
		"bad usable LBA range",
		"bad SizeOfPartitionEntry",
		"partition entry array too large",
		"partition entry array misplaced",
		"bad partition entry array CRC32",
		"a partition entry outside the usable range",
		"too many partitions",
	};

	return err >= 0 && err < GPT_NERR ? names[err] : "I/O error";
}
