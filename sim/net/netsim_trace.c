/* The network run's Chrome trace (Trace Event Format, which https://ui.perfetto.dev opens),
 * beside the NVMe run's (sim/nvme/nvsim_trace.c): a thread track for the simulated core with
 * a slice per driver call that took frames (net_rx, then net_tx or the l2fwd step), and an
 * async track for the device queues a frame crosses (NIC A's RX ring 0 to NIC B's TX ring 0)
 * with one slice per frame sunk, from its arrival on A's wire to its last bit leaving B's.
 * Times in microseconds; the run must have been made with cfg.trace. */
#include "netsim.h"

static const char *const nic_name[] = { "e1000", "rtl8139", "rtl8168" };

int
netsim_trace(const struct netsim_cfg *c, const struct netsim_result *r, FILE *f)
{
	double us = 1e6 / (double)c->hz;

	fputs("{\"displayTimeUnit\": \"ns\", \"traceEvents\": [\n", f);
	fprintf(f,
	        "{\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 3, \"args\": {\"name\": "
	        "\"net %s\"}},\n"
	        "{\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 3, \"tid\": 0, \"args\": "
	        "{\"name\": \"cpu0\"}}",
	        nic_name[c->nic]);
	for (size_t i = 0; i < r->ncalls; i++) {
		const struct netsim_call *k = &r->calls[i];
		fprintf(f,
		        ",\n{\"name\": \"%s\", \"cat\": \"cpu0\", \"ph\": \"X\", \"pid\": 3, "
		        "\"tid\": 0, \"ts\": %.3f, \"dur\": %.3f, \"args\": {\"frames\": %u}}",
		        c->app == NETSIM_APP_L2FWD ? "l2fwd step" : "net_rx + net_tx",
		        (double)k->t * us, (double)k->len * us, (unsigned)k->frames);
	}
	for (size_t i = 0; r->arrive != NULL && i < r->nlat; i++) {
		fprintf(f,
		        ",\n{\"name\": \"frame\", \"cat\": \"A rx0 > B tx0\", \"ph\": \"b\", "
		        "\"id\": %zu, \"pid\": 3, \"ts\": %.3f}",
		        i, (double)r->arrive[i] * us);
		fprintf(f,
		        ",\n{\"name\": \"frame\", \"cat\": \"A rx0 > B tx0\", \"ph\": \"e\", "
		        "\"id\": %zu, \"pid\": 3, \"ts\": %.3f}",
		        i, (double)(r->arrive[i] + r->lat[i]) * us);
	}
	fputs("\n]}\n", f);
	return ferror(f) ? -1 : 0;
}
