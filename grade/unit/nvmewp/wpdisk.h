/* An in-memory disk for the write-protection tests (grade/unit/nvmewp): a GPT written as
 * UEFI 2.x §5.3 lays it out (protective MBR, primary header and array at LBAs 1 and 2, backup
 * array and header at the end), MBR records, and nvme_wp_scan over it with a scratch buffer
 * of exactly NVME_WP_SCAN_BYTES (so ASan catches any read or write past it). */
#ifndef EXOLAB_WPDISK_H
#define EXOLAB_WPDISK_H

#include <stdint.h>

#include "nvme_wp.h"

struct wpdisk_part {
	uint64_t first, last;
};

struct wpdisk {
	uint8_t *data;
	uint32_t bs;
	uint64_t nblocks;
	uint64_t fail_lba; /* a read touching this LBA fails with E_AGAIN (UINT64_MAX: none) */
	unsigned reads;
};

extern struct wpdisk wpdisk;

/* A fresh disk with a protective MBR and both GPT copies holding `n` partitions in an array
 * of `nentries` entries of 128 bytes. */
void wpdisk_build(uint32_t bs, uint64_t nblocks, const struct wpdisk_part *p, unsigned n,
                  unsigned nentries);
/* MBR record `i` (0-3) set to `type` at `start` for `size` blocks (the signature set). */
void wpdisk_mbr(unsigned i, uint8_t type, uint32_t start, uint32_t size);
/* Recomputes the CRC32 of the header at `lba` (after a test changed a field). */
void wpdisk_rehash(uint64_t lba);
/* Little-endian field writes into the disk. */
void wpdisk_put32(uint64_t byte, uint32_t v);
void wpdisk_put64(uint64_t byte, uint64_t v);
/* nvme_wp_scan of the disk into *wp. */
int wpdisk_scan(struct nvme_wp *wp);

#endif
