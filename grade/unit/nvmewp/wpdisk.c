/* The in-memory disk of the write-protection tests (wpdisk.h). */
#include "wpdisk.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "abi/error.h"

struct wpdisk wpdisk;

void
wpdisk_put32(uint64_t byte, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		wpdisk.data[byte + i] = (uint8_t)(v >> (8 * i));
}

void
wpdisk_put64(uint64_t byte, uint64_t v)
{
	wpdisk_put32(byte, (uint32_t)v);
	wpdisk_put32(byte + 4, (uint32_t)(v >> 32));
}

void
wpdisk_rehash(uint64_t lba)
{
	uint8_t *h = wpdisk.data + lba * wpdisk.bs;
	uint32_t size = (uint32_t)h[12] | (uint32_t)h[13] << 8;

	wpdisk_put32(lba * wpdisk.bs + 16, 0);
	wpdisk_put32(lba * wpdisk.bs + 16, gpt_crc32(h, size));
}

void
wpdisk_mbr(unsigned i, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *r = wpdisk.data + 446 + 16 * i;

	memset(r, 0, 16);
	r[4] = type;
	wpdisk_put32(446 + 16 * i + 8, start);
	wpdisk_put32(446 + 16 * i + 12, size);
	wpdisk.data[510] = 0x55;
	wpdisk.data[511] = 0xAA;
}

/* §5.3.2 table 5-5: the 92-byte header at `lba`. */
static void
header(uint64_t lba, uint64_t alt, uint64_t entries, uint64_t first, uint64_t last,
       unsigned nentries, uint32_t array_crc)
{
	uint64_t b = lba * wpdisk.bs;

	memcpy(wpdisk.data + b, "EFI PART", 8);
	wpdisk_put32(b + 8, 0x00010000);
	wpdisk_put32(b + 12, 92);
	wpdisk_put64(b + 24, lba);
	wpdisk_put64(b + 32, alt);
	wpdisk_put64(b + 40, first);
	wpdisk_put64(b + 48, last);
	memset(wpdisk.data + b + 56, 0x5e, 16); /* DiskGUID */
	wpdisk_put64(b + 72, entries);
	wpdisk_put32(b + 80, nentries);
	wpdisk_put32(b + 84, 128);
	wpdisk_put32(b + 88, array_crc);
	wpdisk_rehash(lba);
}

void
wpdisk_build(uint32_t bs, uint64_t nblocks, const struct wpdisk_part *p, unsigned n,
             unsigned nentries)
{
	size_t abytes = (size_t)nentries * 128;
	uint64_t ablocks = (abytes + bs - 1) / bs, first = 2 + ablocks,
	         last = nblocks - 2 - ablocks;
	uint8_t *arr = calloc(1, ablocks * bs);

	free(wpdisk.data);
	wpdisk = (struct wpdisk){ calloc(nblocks, bs), bs, nblocks, UINT64_MAX, 0 };
	cr_assert(wpdisk.data != NULL && arr != NULL);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *e = arr + 128 * i;
		memset(e, 0xaf, 16);       /* a type GUID (any non-zero) */
		memset(e + 16, i + 1, 16); /* unique GUID */
		for (unsigned k = 0; k < 8; k++) {
			e[32 + k] = (uint8_t)(p[i].first >> (8 * k));
			e[40 + k] = (uint8_t)(p[i].last >> (8 * k));
		}
	}
	uint32_t crc = gpt_crc32(arr, abytes);
	memcpy(wpdisk.data + 2 * bs, arr, ablocks * bs);
	memcpy(wpdisk.data + (last + 1) * bs, arr, ablocks * bs);
	free(arr);
	header(1, nblocks - 1, 2, first, last, nentries, crc);
	header(nblocks - 1, 1, last + 1, first, last, nentries, crc);
	/* §5.2.3: the protective MBR, one record of type 0xEE over LBA 1 on. */
	wpdisk_mbr(0, 0xEE, 1, nblocks - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(nblocks - 1));
}

static uint8_t *scan_buf;

static int
disk_read(void *ctx, uint64_t lba, uint32_t n, size_t off)
{
	(void)ctx;
	cr_assert(n > 0 && lba < wpdisk.nblocks && n <= wpdisk.nblocks - lba,
	          "read of %u blocks at %lu off the disk", n, (unsigned long)lba);
	cr_assert(off + (size_t)n * wpdisk.bs <= NVME_WP_SCAN_BYTES,
	          "read into the scratch buffer at %zu for %u blocks: past its end", off, n);
	wpdisk.reads++;
	if (wpdisk.fail_lba >= lba && wpdisk.fail_lba - lba < n)
		return E_AGAIN;
	memcpy(scan_buf + off, wpdisk.data + lba * wpdisk.bs, (size_t)n * wpdisk.bs);
	return 0;
}

int
wpdisk_scan(struct nvme_wp *wp)
{
	scan_buf = malloc(NVME_WP_SCAN_BYTES);
	cr_assert(scan_buf != NULL);
	int r = nvme_wp_scan(wp, wpdisk.bs, wpdisk.nblocks, disk_read, NULL, scan_buf,
	                     NVME_WP_SCAN_BYTES);
	free(scan_buf);
	return r;
}
