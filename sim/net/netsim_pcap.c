/* Replay of a capture file.  With libpcap (Debian's libpcap-dev; sim/Makefrag defines
 * EXOSIM_LIBPCAP when its header is installed) a capture is read through
 * pcap_open_offline_with_tstamp_precision, so both the classic pcap format and pcapng
 * (draft-ietf-opsawg-pcapng) are replayed.  Without it, and always as ns_pcap_load_classic,
 * exosim reads the classic format itself (pcap-savefile(5) / draft-ietf-opsawg-pcap: a
 * 24-byte file header with the magic 0xa1b2c3d4 (microsecond) or 0xa1b23c4d (nanosecond)
 * timestamps, in either byte order, and link type 1 (Ethernet); then records of a 16-byte
 * header and the captured bytes).  Both readers give the same frames and times for a classic
 * file; the link type must be Ethernet, each captured frame 14..1514 bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef EXOSIM_LIBPCAP
#include <pcap/pcap.h>
#endif

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

/* Room for one more record: a NULL return is "out of memory". */
static struct ns_pkt *
grow(struct ns_pcap *pc)
{
	if (pc->n == pc->cap) {
		size_t cap = pc->cap ? 2 * pc->cap : 1024;
		struct ns_pkt *p = realloc(pc->pkt, cap * sizeof(*p));
		if (!p)
			return NULL;
		pc->pkt = p;
		pc->cap = cap;
	}
	return &pc->pkt[pc->n];
}

/* Checks a record of `len` captured bytes at `t` ns (t0: the first record's) and makes room
 * for it: NULL with the reason in *why. */
static struct ns_pkt *
record(struct ns_pcap *pc, uint32_t len, uint64_t t, uint64_t *t0, const char **why)
{
	struct ns_pkt *p;

	*why = NULL;
	if (len < 14 || len > NET_ETH_MAX)
		*why = "captured length not 14..1514 bytes";
	else if (pc->n == 0)
		*t0 = t;
	else if (t < *t0)
		*why = "timestamp before the first record's";
	if (*why != NULL)
		return NULL;
	if ((p = grow(pc)) == NULL)
		*why = "out of memory";
	return p;
}

/* The record's time from the first one in cycles of `hz`; short frames padded to 60 bytes. */
static void
place(struct ns_pkt *p, uint64_t dt_ns, uint64_t hz, uint32_t len)
{
	p->t = (uint64_t)((unsigned __int128)dt_ns * hz / 1000000000u);
	p->len = (uint16_t)(len < 60 ? 60 : len);
	memset(p->data, 0, sizeof(p->data));
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

static int
classic_records(FILE *f, const char *path, bool swap, uint64_t unit_ns, uint64_t hz,
                struct ns_pcap *pc, char *err, size_t errlen)
{
	uint8_t r[16];
	uint64_t t0 = 0;
	const char *why;

	while (fread(r, 1, 16, f) == 16) {
		unsigned long rec = (unsigned long)pc->n + 1;
		uint32_t len = get32(r + 8, swap);
		uint64_t t = (uint64_t)get32(r, swap) * 1000000000u + get32(r + 4, swap) * unit_ns;
		struct ns_pkt *p = record(pc, len, t, &t0, &why);
		if (p == NULL)
			return fail(err, errlen, path, why, rec);
		place(p, t - t0, hz, len);
		if (fread(p->data, 1, len, f) != len)
			return fail(err, errlen, path, "truncated", rec);
		pc->n++;
	}
	return pc->n ? 0 : fail(err, errlen, path, "no records", 0);
}

int
ns_pcap_load_classic(const char *path, uint64_t hz, struct ns_pcap *pc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t h[24];
	uint64_t unit_ns;
	bool swap;
	int hr, r;

	memset(pc, 0, sizeof(*pc));
	if (!f)
		return fail(err, errlen, path, strerror(errno), 0);
	if (fread(h, 1, 24, f) != 24 || (hr = header(h, &swap, &unit_ns)) == -1)
		r = fail(err, errlen, path, "not a pcap file (pcapng is read only through libpcap)",
		         0);
	else if (hr < 0)
		r = fail(err, errlen, path, "link type is not Ethernet (1)", 0);
	else
		r = classic_records(f, path, swap, unit_ns, hz, pc, err, errlen);
	fclose(f);
	return r;
}

#ifdef EXOSIM_LIBPCAP
/* Every record through libpcap, timestamps in nanoseconds (ts.tv_usec holds them). */
static int
libpcap_records(pcap_t *cap, const char *path, uint64_t hz, struct ns_pcap *pc, char *err,
                size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	uint64_t t0 = 0;
	const char *why;
	int got;

	while ((got = pcap_next_ex(cap, &hdr, &bytes)) == 1) {
		unsigned long rec = (unsigned long)pc->n + 1;
		uint64_t t = (uint64_t)hdr->ts.tv_sec * 1000000000u + (uint64_t)hdr->ts.tv_usec;
		struct ns_pkt *p = record(pc, hdr->caplen, t, &t0, &why);
		if (p == NULL)
			return fail(err, errlen, path, why, rec);
		place(p, t - t0, hz, hdr->caplen);
		memcpy(p->data, bytes, hdr->caplen);
		pc->n++;
	}
	if (got == PCAP_ERROR)
		return fail(err, errlen, path, pcap_geterr(cap), (unsigned long)pc->n + 1);
	return pc->n ? 0 : fail(err, errlen, path, "no records", 0);
}
#endif

const char *
ns_pcap_reader(void)
{
#ifdef EXOSIM_LIBPCAP
	return "libpcap";
#else
	return "built-in";
#endif
}

int
ns_pcap_load(const char *path, uint64_t hz, struct ns_pcap *pc, char *err, size_t errlen)
{
#ifdef EXOSIM_LIBPCAP
	char ebuf[PCAP_ERRBUF_SIZE] = "", what[PCAP_ERRBUF_SIZE + 64];
	pcap_t *cap;
	int r;

	memset(pc, 0, sizeof(*pc));
	cap = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (cap == NULL) {
		snprintf(what, sizeof(what), "not a pcap or pcapng file (libpcap: %s)", ebuf);
		return fail(err, errlen, path, what, 0);
	}
	if (pcap_datalink(cap) != DLT_EN10MB)
		r = fail(err, errlen, path, "link type is not Ethernet (1)", 0);
	else
		r = libpcap_records(cap, path, hz, pc, err, errlen);
	pcap_close(cap);
	return r;
#else
	return ns_pcap_load_classic(path, hz, pc, err, errlen);
#endif
}

void
ns_pcap_free(struct ns_pcap *pc)
{
	free(pc->pkt);
	memset(pc, 0, sizeof(*pc));
}
