/* The NVMe model's commands: admin (Identify, Set Features Number of Queues, Create I/O
 * CQ/SQ, Abort) and NVM (Read, Write, Flush), with PRP and PRP-list walks (NVMe 1.4 §4.3,
 * §5, §6).  Every malformed command gets the status the specification defines. */
#include <string.h>

#include "nvme_model.h"

#define PAGE_SIZE 4096u

/* Status field values: SC | SCT << 8 (§4.6.1). */
#define ST_OK             0x000
#define ST_INVALID_OPCODE 0x001
#define ST_INVALID_FIELD  0x002
#define ST_DATA_XFER      0x004
#define ST_ABORT_REQ      0x007
#define ST_INVALID_NS     0x00b
#define ST_PRP_OFFSET     0x013
#define ST_LBA_RANGE      0x080
#define ST_CQ_INVALID     0x100
#define ST_INVALID_QID    0x101
#define ST_INVALID_QSIZE  0x102

static uint64_t
dw64(const uint32_t *sqe, unsigned i)
{
	return sqe[i] | (uint64_t)sqe[i + 1] << 32;
}

/* Copies one contiguous piece between the buffer and simulated memory. */
static uint16_t
xfer_piece(struct nvme_model *m, uint64_t pa, uint8_t *buf, uint64_t len, bool to_mem)
{
	if (!nvmem_range_ok(m, pa, len)) {
		nvmem_diag(m,
		           "SQ%u command %u data at 0x%llx (%llu bytes) outside memory "
		           "(NVMe 1.4 §4.3)",
		           m->cur_sqid, m->cur_cid, (unsigned long long)pa,
		           (unsigned long long)len);
		return ST_DATA_XFER;
	}
	if (to_mem)
		memcpy(m->mem + pa, buf, len);
	else
		memcpy(buf, m->mem + pa, len);
	return ST_OK;
}

/* §4.3: PRP1 may hold an offset (dword aligned); the other entries are page addresses.  A
 * transfer ending in the second page puts that page in PRP2; a longer one makes PRP2 a list
 * pointer (qword aligned), whose last entry in a page points at the next list page when more
 * entries remain. */
static uint16_t
prp_offset(struct nvme_model *m, const char *what, unsigned i, uint64_t v)
{
	nvmem_diag(m, "SQ%u command %u %s %u (0x%llx) has an offset (NVMe 1.4 §4.3)", m->cur_sqid,
	           m->cur_cid, what, i, (unsigned long long)v);
	return ST_PRP_OFFSET;
}

/* §4.3: PRP1 may hold an offset (dword aligned); the other entries are page addresses.  A
 * transfer ending in the second page puts that page in PRP2; a longer one makes PRP2 a list
 * pointer (qword aligned), whose last entry in a page points at the next list page when more
 * entries remain. */
static uint16_t
prp_xfer(struct nvme_model *m, uint64_t prp1, uint64_t prp2, uint8_t *buf, uint64_t len,
         bool to_mem)
{
	uint64_t first = PAGE_SIZE - (prp1 & (PAGE_SIZE - 1)), rest, entry;
	uint16_t st;
	unsigned idx = 0;

	if (prp1 & 3) {
		nvmem_diag(m, "SQ%u command %u PRP1 0x%llx not dword aligned (NVMe 1.4 §4.3)",
		           m->cur_sqid, m->cur_cid, (unsigned long long)prp1);
		return ST_PRP_OFFSET;
	}
	if (first > len)
		first = len;
	if ((st = xfer_piece(m, prp1, buf, first, to_mem)) != ST_OK)
		return st;
	rest = len - first;
	buf += first;
	if (rest == 0)
		return ST_OK;
	if (rest <= PAGE_SIZE) {
		if (prp2 & (PAGE_SIZE - 1)) {
			nvmem_diag(m,
			           "SQ%u command %u PRP2 0x%llx has an offset: the second page "
			           "starts at 0 (NVMe 1.4 §4.3)",
			           m->cur_sqid, m->cur_cid, (unsigned long long)prp2);
			return ST_PRP_OFFSET;
		}
		return xfer_piece(m, prp2, buf, rest, to_mem);
	}
	if (prp2 & 7) {
		nvmem_diag(
		    m, "SQ%u command %u PRP list pointer 0x%llx not qword aligned (NVMe 1.4 §4.3)",
		    m->cur_sqid, m->cur_cid, (unsigned long long)prp2);
		return ST_PRP_OFFSET;
	}
	entry = prp2;
	bool chained = false;
	while (rest > 0) {
		uint64_t page, n = rest < PAGE_SIZE ? rest : PAGE_SIZE;
		if (!nvmem_range_ok(m, entry, 8))
			return ST_DATA_XFER;
		memcpy(&page, m->mem + entry, 8);
		if ((entry & (PAGE_SIZE - 1)) == PAGE_SIZE - 8 && rest > PAGE_SIZE) {
			if (page & 7)
				return prp_offset(m, "PRP list chain entry", idx, page);
			/* A list page must hold an entry besides its chain pointer: a chain to
			 * another last slot (or to itself) would never end. */
			if (chained)
				return ST_INVALID_FIELD;
			entry = page; /* the last entry of a list page chains to the next */
			chained = true;
			continue;
		}
		chained = false;
		if (page & (PAGE_SIZE - 1))
			return prp_offset(m, "PRP list entry", idx, page);
		if ((st = xfer_piece(m, page, buf, n, to_mem)) != ST_OK)
			return st;
		buf += n;
		rest -= n;
		entry += 8;
		idx++;
	}
	return ST_OK;
}

static void
put_ascii(uint8_t *d, const char *s, unsigned n)
{
	size_t len = strlen(s);

	memset(d, ' ', n);
	memcpy(d, s, len < n ? len : n);
}

/* §5.15.2.1 Identify Controller and §5.15.2.2 Identify Namespace data structures. */
static uint16_t
identify(struct nvme_model *m, const uint32_t *sqe)
{
	uint8_t d[PAGE_SIZE] = { 0 };
	uint32_t cns = sqe[10] & 0xff, nsid = sqe[1];

	if (cns == 1) {
		d[0] = 0x0b, d[1] = 0xe1; /* VID */
		put_ascii(d + 4, "EXOSIM0001", 20);
		put_ascii(d + 24, "ExoLab NVMe model", 40);
		put_ascii(d + 64, "1.0", 8);
		d[77] = NVMEM_MDTS;
		d[78] = 1;                             /* CNTLID */
		memcpy(d + 80, "\x00\x04\x01\x00", 4); /* VER 1.4.0 */
		d[512] = 0x66, d[513] = 0x44;          /* SQES, CQES: 64 and 16 bytes */
		d[516] = 1;                            /* NN */
	} else if (cns == 0) {
		if (nsid != 1)
			return ST_INVALID_NS;
		for (unsigned i = 0; i < 8; i++)
			d[i] = d[8 + i] = d[16 + i] = (uint8_t)(m->nblocks >> (8 * i));
		d[130] = 9; /* LBAF0.LBADS: 512-byte blocks; NLBAF = FLBAS = 0 */
	} else {
		return ST_INVALID_FIELD;
	}
	return prp_xfer(m, dw64(sqe, 6), dw64(sqe, 8), d, sizeof(d), true);
}

/* §5.21.1.7: NSQR in CDW11 15:0, NCQR in 31:16 (0-based, FFFFh invalid); DW0 the grant. */
static uint16_t
set_features(struct nvme_model *m, const uint32_t *sqe, uint32_t *dw0)
{
	uint32_t nsq = sqe[11] & 0xffff, ncq = sqe[11] >> 16;

	if ((sqe[10] & 0xff) != 0x07 || nsq == 0xffff || ncq == 0xffff)
		return ST_INVALID_FIELD;
	m->nsq_granted = (uint16_t)(nsq < NVMEM_NQ - 2 ? nsq : NVMEM_NQ - 2);
	m->ncq_granted = (uint16_t)(ncq < NVMEM_NQ - 2 ? ncq : NVMEM_NQ - 2);
	*dw0 = (uint32_t)m->ncq_granted << 16 | m->nsq_granted;
	return ST_OK;
}

/* §5.3/§5.4: QID in CDW10 15:0, 0-based QSIZE in 31:16; PC must be set (CAP.CQR = 1); the
 * queue's memory is page aligned (CC.MPS) and must lie in memory. */
static uint16_t
check_new_queue(struct nvme_model *m, const uint32_t *sqe, bool live, unsigned granted,
                unsigned esize)
{
	uint32_t qid = sqe[10] & 0xffff, qsize = sqe[10] >> 16;
	uint64_t base = dw64(sqe, 6);
	char k = esize == 64 ? 'S' : 'C';
	const char *sec = esize == 64 ? "§5.4" : "§5.3";

	if (qid == 0 || qid >= NVMEM_NQ || qid > granted + 1) {
		nvmem_diag(m,
		           "Create I/O %cQ %u beyond the %u granted by Number of Queues "
		           "(NVMe 1.4 §5.21.1.7)",
		           k, qid, granted + 1);
		return ST_INVALID_QID;
	}
	if (live) {
		nvmem_diag(m, "Create I/O %cQ %u, which already exists (NVMe 1.4 %s)", k, qid, sec);
		return ST_INVALID_QID;
	}
	if (qsize == 0 || qsize > NVMEM_MQES) {
		nvmem_diag(m,
		           "Create I/O %cQ %u of %u entries outside 2..%u (CAP.MQES) (NVMe 1.4 %s)",
		           k, qid, qsize + 1, NVMEM_MQES + 1, sec);
		return ST_INVALID_QSIZE;
	}
	if (!(sqe[11] & 1)) {
		nvmem_diag(m, "Create I/O %cQ %u without PC although CAP.CQR = 1 (NVMe 1.4 %s)", k,
		           qid, sec);
		return ST_INVALID_FIELD;
	}
	if (base & (PAGE_SIZE - 1)) {
		nvmem_diag(m, "Create I/O %cQ %u base 0x%llx not page aligned (NVMe 1.4 %s)", k,
		           qid, (unsigned long long)base, sec);
		return ST_INVALID_FIELD;
	}
	unsigned es = esize == 64 ? (m->cc >> 16) & 0xf : (m->cc >> 20) & 0xf;
	if ((1u << es) != esize) {
		nvmem_diag(m, "Create I/O %cQ %u while CC.IO%cQES = %u, not %u (NVMe 1.4 §3.1.5)",
		           k, qid, k, es, esize == 64 ? 6 : 4);
		return ST_INVALID_FIELD;
	}
	if (!nvmem_range_ok(m, base, (qsize + 1ull) * esize))
		return ST_DATA_XFER;
	return ST_OK;
}

static uint16_t
create_cq(struct nvme_model *m, const uint32_t *sqe)
{
	uint32_t qid = sqe[10] & 0xffff, iv = sqe[11] >> 16;
	uint16_t st =
	    check_new_queue(m, sqe, qid < NVMEM_NQ && m->cq[qid].live, m->ncq_granted, 16);

	if (st != ST_OK)
		return st;
	if ((sqe[11] & 2) && iv >= NVMEM_NQ) {
		nvmem_diag(m,
		           "Create I/O CQ %u with interrupt vector %u, the controller has %u "
		           "(NVMe 1.4 §5.3)",
		           qid, iv, NVMEM_NQ);
		return 0x108; /* Invalid Interrupt Vector */
	}
	m->cq[qid] = (struct nvmem_cq){
		true, dw64(sqe, 6), (uint16_t)((sqe[10] >> 16) + 1), 0, 0, 1, (sqe[11] & 2) != 0, 0
	};
	return ST_OK;
}

static uint16_t
create_sq(struct nvme_model *m, const uint32_t *sqe)
{
	uint32_t qid = sqe[10] & 0xffff, cqid = sqe[11] >> 16;
	uint16_t st =
	    check_new_queue(m, sqe, qid < NVMEM_NQ && m->sq[qid].live, m->nsq_granted, 64);

	if (st != ST_OK)
		return st;
	if (cqid == 0 || cqid >= NVMEM_NQ || !m->cq[cqid].live) {
		nvmem_diag(m, "Create I/O SQ %u names CQ %u, which does not exist (NVMe 1.4 §5.4)",
		           qid, cqid);
		return ST_CQ_INVALID;
	}
	m->sq[qid] = (struct nvmem_sq){ true, dw64(sqe, 6),  (uint16_t)((sqe[10] >> 16) + 1), 0,
		                        0,    (uint16_t)cqid };
	return ST_OK;
}

/* §5.1: SQID in CDW10 15:0, CID in 31:16.  DW0 bit 0 is 0 when the command was aborted, which
 * then completes with Command Abort Requested. */
static uint16_t
abort_cmd(struct nvme_model *m, const uint32_t *sqe, uint32_t *dw0)
{
	uint16_t sqid = (uint16_t)(sqe[10] & 0xffff), cid = (uint16_t)(sqe[10] >> 16);

	*dw0 = 1;
	for (unsigned i = 0; i < m->nheld && !m->abort_ignored; i++) {
		if (m->held[i].sqid != sqid || m->held[i].cid != cid)
			continue;
		m->held[i] = m->held[--m->nheld];
		nvmem_post(m, m->sq[sqid].cqid, 0, sqid, cid, ST_ABORT_REQ);
		m->aborts_done++;
		*dw0 = 0;
		break;
	}
	return ST_OK;
}

static uint16_t
admin(struct nvme_model *m, const uint32_t *sqe, uint32_t *dw0)
{
	switch (sqe[0] & 0xff) {
	case 0x01:
		return create_sq(m, sqe);
	case 0x05:
		return create_cq(m, sqe);
	case 0x06:
		return identify(m, sqe);
	case 0x08:
		return abort_cmd(m, sqe, dw0);
	case 0x09:
		return set_features(m, sqe, dw0);
	default:
		return ST_INVALID_OPCODE;
	}
}

/* §6.9 Read and §6.15 Write: SLBA in CDW10-11, 0-based NLB in CDW12 15:0; §6.8 Flush. */
static uint16_t
nvm(struct nvme_model *m, uint16_t sqid, const uint32_t *sqe)
{
	uint32_t op = sqe[0] & 0xff, nlb = (sqe[12] & 0xffff) + 1;
	uint64_t slba = dw64(sqe, 10), len = (uint64_t)nlb * NVMEM_LBA_SIZE;
	uint16_t inj;

	if (op != 0x00 && op != 0x01 && op != 0x02)
		return ST_INVALID_OPCODE;
	if (sqe[1] != 1) {
		nvmem_diag(m,
		           "SQ%u command %u NSID %u is not an active namespace (NN = 1) "
		           "(NVMe 1.4 §6.1)",
		           sqid, m->cur_cid, sqe[1]);
		return ST_INVALID_NS;
	}
	if (op == 0x00)
		return ST_OK;
	if (slba >= m->nblocks || nlb > m->nblocks - slba)
		return ST_LBA_RANGE;
	if (len > (uint64_t)PAGE_SIZE << NVMEM_MDTS) {
		nvmem_diag(m,
		           "SQ%u command %u transfers %llu bytes > MDTS %u bytes "
		           "(NVMe 1.4 §5.15.2.1)",
		           sqid, m->cur_cid, (unsigned long long)len, PAGE_SIZE << NVMEM_MDTS);
		return ST_INVALID_FIELD;
	}
	if (m->withhold_count > 0 && slba >= m->withhold_lo && slba < m->withhold_hi &&
	    m->nheld < NVMEM_MAX_HELD) {
		m->withhold_count--;
		m->held[m->nheld++] = (struct nvmem_held){ sqid, (uint16_t)(sqe[0] >> 16) };
		return NVMEM_HELD;
	}
	if (m->inject != NULL && (inj = m->inject(m->hook_ctx, sqid, sqe)) != ST_OK) {
		if (inj == NVMEM_HELD && m->nheld < NVMEM_MAX_HELD)
			m->held[m->nheld++] = (struct nvmem_held){ sqid, (uint16_t)(sqe[0] >> 16) };
		else if (inj == NVMEM_HELD)
			inj = ST_ABORT_REQ;
		return inj;
	}
	return prp_xfer(m, dw64(sqe, 6), dw64(sqe, 8), m->disk + slba * NVMEM_LBA_SIZE, len,
	                op == 0x02);
}

uint16_t
nvmem_execute(struct nvme_model *m, uint16_t sqid, const uint32_t *sqe, uint32_t *dw0)
{
	return sqid == 0 ? admin(m, sqe, dw0) : nvm(m, sqid, sqe);
}
