/* The NVMe model's protocol checks: every rule the host breaks is reported as one line naming
 * the rule, the evidence and the section of the NVM Express Base Specification 1.4, with the
 * simulated cycle (docs/sim.md, "NVMe: the driver's mistakes").  The model still answers as
 * the specification says the controller does (ignoring a bad doorbell, a fatal status, a
 * command status); the line is for the person who wrote the driver. */
#include <stdarg.h>
#include <stdio.h>

#include "nvme_model.h"
#include "simhal.h"

void
nvmem_diag(struct nvme_model *m, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->protocol_errors++;
	snprintf(m->last_error, sizeof(m->last_error), "nvme: %s at cycle %llu", msg,
	         (unsigned long long)(m->clock ? *m->clock : 0));
	simhal_mmio_src_append(m->last_error, sizeof(m->last_error));
	if (m->on_error)
		m->on_error(m->hook_ctx, m->last_error);
}

/* §4.2: "The Command Identifier ... shall be unique for all outstanding commands on the
 * submission queue".  CIDs below 256 are tracked (the driver's are slot indexes < 64). */
void
nvmem_cid_busy(struct nvme_model *m, uint16_t sqid, uint16_t cid)
{
	uint64_t *w = &m->outstanding[sqid][(cid >> 6) & 3], bit = 1ull << (cid & 63);

	if (cid >= 256)
		return;
	if (*w & bit)
		nvmem_diag(m, "SQ%u command identifier %u reused while outstanding (NVMe 1.4 §4.2)",
		           sqid, cid);
	*w |= bit;
}

void
nvmem_cid_done(struct nvme_model *m, uint16_t sqid, uint16_t cid)
{
	if (cid < 256)
		m->outstanding[sqid][cid >> 6] &= ~(1ull << (cid & 63));
}
