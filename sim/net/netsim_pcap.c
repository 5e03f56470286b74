/* Replay of a capture file: the classic pcap format (the libpcap file format as documented
 * in pcap-savefile(5) / draft-ietf-opsawg-pcap: a 24-byte file header with the magic
 * 0xa1b2c3d4 (microsecond) or 0xa1b23c4d (nanosecond) timestamps, in either byte order, and
 * link type 1 (Ethernet); then records of a 16-byte header and the captured bytes), read here
 * directly rather than through libpcap so that exosim needs no extra library.  pcapng is not
 * read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netsim_int.h"

static uint32_t
get32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static int
fail(char *err, size_t errlen, const char *path, const char *what, unsigned long rec)
{
	if (rec)
		snprintf(err, errlen, "%s: record %lu: %s", path, rec, what);
	else
		snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

/* The file's header: byte order and timestamp unit (1000 ns or 1 ns). */
static int
header(const uint8_t *h, bool *swap, uint64_t *unit_ns)
{
	uint32_t magic;

	memcpy(&magic, h, 4);
	*swap = magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u;
	magic = get32(h, *swap);
	if (magic != 0xa1b2c3d4u && magic != 0xa1b23c4du)
		return -1;
	*unit_ns = magic == 0xa1b2c3d4u ? 1000 : 1;
	return get32(h + 20, *swap) == 1 ? 0 : -2;
}

int
ns_pcap_load(const char *path, uint64_t hz, struct ns_pcap *pc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[24], r[16];
	uint64_t unit_ns, t0 = 0;
	bool swap;
	int hr;

	memset(pc, 0, sizeof(*pc));
	if (!f)
		return fail(err, errlen, path, strerror(errno), 0);
	if (fread(h, 1, 24, f) != 24 || (hr = header(h, &swap, &unit_ns)) == -1) {
		fclose(f);
		return fail(err, errlen, path, "not a pcap file (pcapng is not read)", 0);
	}
	if (hr < 0) {
		fclose(f);
		return fail(err, errlen, path, "link type is not Ethernet (1)", 0);
	}
	while (fread(r, 1, 16, f) == 16) {
		unsigned long rec = (unsigned long)pc->n + 1;
		uint32_t len = get32(r + 8, swap);
		uint64_t t = (uint64_t)get32(r, swap) * 1000000000u + get32(r + 4, swap) * unit_ns;
		if (len < 14 || len > NET_ETH_MAX) {
			fclose(f);
			return fail(err, errlen, path, "captured length not 14..1514 bytes", rec);
		}
		if (pc->n == 0)
			t0 = t;
		if (t < t0) {
			fclose(f);
			return fail(err, errlen, path, "timestamp before the first record's", rec);
		}
		if (pc->n == pc->cap) {
			size_t cap = pc->cap ? 2 * pc->cap : 1024;
			struct ns_pkt *p = realloc(pc->pkt, cap * sizeof(*p));
			if (!p) {
				fclose(f);
				return fail(err, errlen, path, "out of memory", rec);
			}
			pc->pkt = p;
			pc->cap = cap;
		}
		struct ns_pkt *p = &pc->pkt[pc->n];
		p->t = (uint64_t)((unsigned __int128)(t - t0) * hz / 1000000000u);
		p->len = (uint16_t)(len < 60 ? 60 : len);
		memset(p->data, 0, sizeof(p->data));
		if (fread(p->data, 1, len, f) != len) {
			fclose(f);
			return fail(err, errlen, path, "truncated", rec);
		}
		pc->n++;
	}
	fclose(f);
	return pc->n ? 0 : fail(err, errlen, path, "no records", 0);
}

void
ns_pcap_free(struct ns_pcap *pc)
{
	free(pc->pkt);
	memset(pc, 0, sizeof(*pc));
}
