/* Network workloads ({"net": {...}}) and the NIC cost profile (hw/NAME/nic.json), read with the
 * task workloads' loader machinery (sim/workload/load.h): every error is one line
 * "FILE:LINE:COL: what" (docs/sim.md, "NICs: the real driver in exosim"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine/simmachine.h"
#include "netsim.h"
#include "workload/load.h"

static int
keys_ok(struct ld *ld, json_t *obj, const char *const *keys, const char *where)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ld_fail(ld, false, "%s must be an object, found %s", where,
		               ld_type_name(obj));
	json_object_foreach(obj, key, v)
	{
		if (!ld_in_list(key, keys)) {
			ld_push_key(ld, key);
			return ld_fail(ld, true, "unknown key in %s: \"%s\"", where, key);
		}
	}
	return 0;
}

#define FIELD(ld, obj, key, call)                                                                  \
	do {                                                                                       \
		json_t *v_ = json_object_get((obj), (key));                                        \
		if (v_) {                                                                          \
			ld_push_key((ld), (key));                                                  \
			int r_ = (call);                                                           \
			ld_pop(ld);                                                                \
			if (r_)                                                                    \
				return r_;                                                         \
		}                                                                                  \
	} while (0)

static int
uint_field(struct ld *ld, json_t *v, long long lo, long long hi, unsigned *out)
{
	long long x;
	int r = ld_int(ld, v, lo, hi, &x);

	if (!r)
		*out = (unsigned)x;
	return r;
}

static int
u64_field(struct ld *ld, json_t *v, long long lo, long long hi, uint64_t *out)
{
	long long x;
	int r = ld_int(ld, v, lo, hi, &x);

	if (!r)
		*out = (uint64_t)x;
	return r;
}

static int
choice(struct ld *ld, json_t *v, const char *const *names, unsigned *out)
{
	if (json_is_string(v)) {
		for (unsigned i = 0; names[i]; i++) {
			if (!strcmp(names[i], json_string_value(v))) {
				*out = i;
				return 0;
			}
		}
	}
	return ld_fail(ld, false, "expected one of %s%s%s%s%s", names[0], names[1] ? ", " : "",
	               names[1] ? names[1] : "", names[2] ? ", " : "", names[2] ? names[2] : "");
}

static int
arrival(struct ld *ld, json_t *v, struct netsim_cfg *c)
{
	static const char *const names[] = { "fixed", "poisson", NULL };
	static const char *const keys[] = { "on", "off", NULL };
	json_t *b = json_is_object(v) ? json_object_get(v, "bursty") : NULL;
	json_t *pc = json_is_object(v) ? json_object_get(v, "pcap") : NULL;
	unsigned k;

	if (pc) {
		ld_push_key(ld, "pcap");
		if (!json_is_string(pc) || json_string_length(pc) == 0 ||
		    json_string_length(pc) >= sizeof(c->pcap))
			return ld_fail(ld, false, "expected a file name of 1..%zu characters",
			               sizeof(c->pcap) - 1);
		snprintf(c->pcap, sizeof(c->pcap), "%s", json_string_value(pc));
		ld_pop(ld);
		c->arrival = NETSIM_PCAP;
		return 0;
	}

	if (!b) {
		if (choice(ld, v, names, &k))
			return ld_fail(ld, false,
			               "expected \"fixed\", \"poisson\", {\"bursty\": {\"on\": "
			               "time, \"off\": time}} or {\"pcap\": file}");
		c->arrival = (enum netsim_arrival)k;
		return 0;
	}
	ld_push_key(ld, "bursty");
	if (keys_ok(ld, b, keys, "bursty"))
		return WL_E_INVALID;
	FIELD(ld, b, "on", ld_time_pos(ld, v_, &c->on));
	FIELD(ld, b, "off", ld_time_pos(ld, v_, &c->off));
	if (!c->on || !c->off)
		return ld_fail(ld, false, "bursty needs \"on\" and \"off\"");
	ld_pop(ld);
	c->arrival = NETSIM_BURSTY;
	return 0;
}

static int
fault(struct ld *ld, json_t *v, struct netsim_fault *f)
{
	static const char *const keys[] = { "kind", "at", "for", "every", NULL };
	static const char *const kinds[] = { "link_down", "drop", "corrupt", "stall", NULL };
	unsigned k;

	if (keys_ok(ld, v, keys, "a fault"))
		return WL_E_INVALID;
	ld_push_key(ld, "kind");
	if (choice(ld, json_object_get(v, "kind"), kinds, &k))
		return ld_fail(ld, false,
		               "a fault needs \"kind\": link_down, drop, corrupt or stall");
	ld_pop(ld);
	f->kind = (enum netsim_fault_kind)k;
	FIELD(ld, v, "at", ld_time(ld, v_, &f->at));
	FIELD(ld, v, "for", ld_time_pos(ld, v_, &f->len));
	FIELD(ld, v, "every", u64_field(ld, v_, 1, 1ll << 40, &f->every));
	bool timed = f->kind == NSF_LINK || f->kind == NSF_STALL;
	if (timed ? !json_object_get(v, "at") || !f->len : !f->every)
		return ld_fail(ld, false, "a \"%s\" fault needs %s", kinds[k],
		               timed ? "\"at\" and \"for\"" : "\"every\"");
	return 0;
}

static int
faults(struct ld *ld, json_t *v, struct netsim_cfg *c)
{
	if (!json_is_array(v) || json_array_size(v) > NETSIM_MAX_FAULTS)
		return ld_fail(ld, false, "expected an array of at most %d faults",
		               NETSIM_MAX_FAULTS);
	for (size_t i = 0; i < json_array_size(v); i++) {
		ld_push_index(ld, i);
		int r = fault(ld, json_array_get(v, i), &c->fault[i]);
		ld_pop(ld);
		if (r)
			return r;
	}
	c->nfaults = (unsigned)json_array_size(v);
	return 0;
}

static int
bool_field(struct ld *ld, json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return ld_fail(ld, false, "expected true or false, found %s", ld_type_name(v));
	*out = json_is_true(v);
	return 0;
}

/* "cores": n, the owned cores of app l2fwd's scale-out layout (docs/sim.md). */
static int
cores_field(struct ld *ld, json_t *v, unsigned *out)
{
	char found[32];

	if (json_is_integer(v))
		snprintf(found, sizeof(found), "%lld", (long long)json_integer_value(v));
	else
		snprintf(found, sizeof(found), "%s", ld_type_name(v));
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > NETSIM_MAX_CORES)
		return ld_fail(ld, false,
		               "\"cores\" must be an integer 1..%d (owned cores, a NIC port pair "
		               "each), found %s",
		               NETSIM_MAX_CORES, found);
	*out = (unsigned)json_integer_value(v);
	return 0;
}

/* "closed_loop": {"frames": n, "pace": time}: user/l2gen.c's generator (app l2fwd only). */
static int
closed_loop(struct ld *ld, json_t *v, struct netsim_cfg *c)
{
	static const char *const keys[] = { "frames", "pace", NULL };

	if (keys_ok(ld, v, keys, "closed_loop"))
		return WL_E_INVALID;
	c->frames = 0;
	FIELD(ld, v, "frames", uint_field(ld, v_, 1, 100000000, &c->frames));
	FIELD(ld, v, "pace", ld_time_pos(ld, v_, &c->pace));
	if (c->frames == 0)
		return ld_fail(ld, false, "closed_loop needs \"frames\"");
	c->arrival = NETSIM_CLOSED;
	return 0;
}

static int
net_obj(struct ld *ld, json_t *o, struct netsim_cfg *c)
{
	static const char *const keys[] = { "nic",         "duration",  "frame_bytes", "rate_pps",
		                            "arrival",     "link_gbps", "ring",        "batch",
		                            "interrupts",  "faults",    "pools",       "app",
		                            "closed_loop", "cores",     "layout",      "stage_ring",
		                            NULL };
	static const char *const apps[] = { "forward", "l2fwd", NULL };
	static const char *const layouts[] = { "scale_out", "pipeline", NULL };
	unsigned layout = 0;
	unsigned app = 0;
	static const char *const nics[] = { "e1000", "rtl8139", "rtl8168", NULL };
	static const char *const pools[] = { "per_nic", "shared", NULL };
	unsigned nic = 0, fb = 64, pool = 0;
	double gbps = 10, line;

	if (keys_ok(ld, o, keys, "\"net\""))
		return WL_E_INVALID;
	FIELD(ld, o, "nic", choice(ld, v_, nics, &nic));
	FIELD(ld, o, "duration", ld_time_pos(ld, v_, &c->duration));
	FIELD(ld, o, "frame_bytes", uint_field(ld, v_, 64, 1518, &fb));
	FIELD(ld, o, "link_gbps", ld_positive(ld, v_, &gbps));
	FIELD(ld, o, "ring", uint_field(ld, v_, 8, 4096, &c->ring));
	FIELD(ld, o, "batch", uint_field(ld, v_, 1, NET_POOL_MAX / 4, &c->batch));
	FIELD(ld, o, "interrupts", bool_field(ld, v_, &c->intr));
	FIELD(ld, o, "arrival", arrival(ld, v_, c));
	FIELD(ld, o, "faults", faults(ld, v_, c));
	FIELD(ld, o, "pools", choice(ld, v_, pools, &pool));
	FIELD(ld, o, "app", choice(ld, v_, apps, &app));
	c->app = (enum netsim_app)app;
	FIELD(ld, o, "closed_loop", closed_loop(ld, v_, c));
	if (c->app == NETSIM_APP_L2FWD && c->intr) {
		ld_push_key(ld, "interrupts");
		return ld_fail(ld, false, "app l2fwd polls (lib/fastpath's loop): no interrupts");
	}
	if (c->arrival == NETSIM_CLOSED &&
	    (c->app != NETSIM_APP_L2FWD || c->intr || json_object_get(o, "arrival"))) {
		ld_push_key(ld, "closed_loop");
		return ld_fail(ld, false,
		               "a closed loop is user/l2gen.c's generator: it needs \"app\": "
		               "\"l2fwd\", polling and no \"arrival\"");
	}
	FIELD(ld, o, "cores", cores_field(ld, v_, &c->cores));
	FIELD(ld, o, "layout", choice(ld, v_, layouts, &layout));
	FIELD(ld, o, "stage_ring", uint_field(ld, v_, 2, 65536, &c->stage_ring));
	c->pipeline = layout == 1;
	if (c->stage_ring & (c->stage_ring - 1)) {
		ld_push_key(ld, "stage_ring");
		return ld_fail(ld, false, "\"stage_ring\" must be a power of two, found %u",
		               c->stage_ring);
	}
	if (c->pipeline && c->cores != 2) {
		ld_push_key(ld, "layout");
		return ld_fail(ld, false,
		               "the pipeline layout is two cores, \"cores\": 2 (the receive "
		               "stage and the transmit stage), found %u",
		               c->cores);
	}
	if (c->cores > 1 && (c->app != NETSIM_APP_L2FWD || c->arrival == NETSIM_CLOSED ||
	                     c->arrival == NETSIM_PCAP || c->nfaults)) {
		ld_push_key(ld, "cores");
		return ld_fail(ld, false,
		               "more than one core needs \"app\": \"l2fwd\", a generated "
		               "arrival (fixed, poisson or bursty) and no faults");
	}
	c->shared_pool = pool == 1;
	c->nic = (enum netsim_nic)nic;
	c->frame = fb - 4; /* the FCS is the NIC's */
	c->link_bps = gbps * 1e9;
	line = c->link_bps / ((fb + 20) * 8.0); /* preamble+SFD 8, gap 12 (IEEE 802.3 §4.4.2) */
	c->rate = line;
	json_t *r = json_object_get(o, "rate_pps");
	if (r && !(json_is_string(r) && !strcmp(json_string_value(r), "line"))) {
		ld_push_key(ld, "rate_pps");
		if (ld_positive(ld, r, &c->rate))
			return WL_E_INVALID;
		if (c->rate > line * 1.000001)
			return ld_fail(ld, false,
			               "%.0f frames/s is over the line rate %.0f of %u-byte frames",
			               c->rate, line, fb);
		ld_pop(ld);
	}
	return 0;
}

int
netsim_load_buffer(const char *text, size_t len, const char *name, uint64_t hz,
                   struct netsim_cfg *c, char *err, size_t errlen)
{
	static const char *const top[] = { "net", "global", NULL };
	struct wl_error werr = { 0 };
	struct wl_env env = { .hz = hz, .ncpus = 1 };
	struct ld ld = { .name = name, .text = text, .len = len, .env = &env, .err = &werr };
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	int r;

	memset(c, 0, sizeof(*c));
	c->hz = hz;
	c->duration = hz / 100;
	c->ring = 256;
	c->batch = NET_BATCH;
	c->cores = 1;
	c->stage_ring = 1024;
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line > 0 ? je.line : 1,
		         je.column > 0 ? je.column : 1, je.text);
		return -1;
	}
	if (!(r = keys_ok(&ld, root, top, "a network workload"))) {
		json_t *o = json_object_get(root, "net");
		if (!o) {
			r = ld_fail(&ld, false, "no \"net\" object");
		} else {
			ld_push_key(&ld, "net");
			r = net_obj(&ld, o, c);
		}
	}
	json_decref(root);
	if (r) {
		snprintf(err, errlen, "%s", werr.msg);
		return -1;
	}
	return 0;
}

int
netsim_profile(const char *text, size_t len, const char *name, struct netsim_cfg *cfg, char *err,
               size_t errlen)
{
	/* The first NREQUIRED are required; the app l2fwd ones are optional (0). */
	enum { NREQUIRED = 8 };
	static const char *const names[] = { "mmio_read", "mmio_write",  "rx_call",     "rx_pkt",
		                             "tx_call",   "tx_pkt",      "fwd_pkt",     "irq",
		                             "l2fwd_pkt", "l2fwd_batch", "l2gen_stamp", "l2gen_gap",
		                             NULL };
	struct netsim_cost *c = &cfg->cost;
	uint64_t *slot[] = { &c->mmio_read, &c->mmio_write,  &c->rx_call,   &c->rx_pkt,
		             &c->tx_call,   &c->tx_pkt,      &c->fwd_pkt,   &c->irq,
		             &c->l2fwd_pkt, &c->l2fwd_batch, &c->gen_stamp, &c->gen_gap };
	struct wl_error werr = { 0 };
	struct wl_env env = { .hz = cfg->hz, .ncpus = 1 };
	struct ld ld = { .name = name, .text = text, .len = len, .env = &env, .err = &werr };
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *dc;
	int r = 0;

	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		return -1;
	}
	if (!(dc = json_object_get(root, "driver_costs")) || !json_is_object(dc))
		r = ld_fail(&ld, false, "no \"driver_costs\" object");
	else
		ld_push_key(&ld, "driver_costs");
	for (unsigned i = 0; !r && names[i]; i++) {
		json_t *e = json_object_get(dc, names[i]), *cy;
		long long x;
		if (!e && i >= NREQUIRED)
			continue;
		ld_push_key(&ld, names[i]);
		if (!e || !json_is_object(e) || !(cy = json_object_get(e, "cycles")))
			r = ld_fail(&ld, false, "\"%s\" needs {\"cycles\": n, ...}", names[i]);
		else if (!json_object_get(e, "source") && !json_object_get(e, "estimate"))
			r = ld_fail(&ld, false,
			            "needs \"source\" or \"estimate\" (where the figure is from)");
		else if (!(r = ld_int(&ld, cy, 0, 100000000, &x)))
			*slot[i] = (uint64_t)x;
		ld_pop(&ld);
	}
	if (!r && dc)
		ld_pop(&ld);
	/* "serial_cpus": {"value": true, "source": ...}: QEMU -icount's one instruction clock. */
	json_t *se = json_object_get(root, "serial_cpus");
	if (!r && se) {
		json_t *v = json_is_object(se) ? json_object_get(se, "value") : NULL;
		ld_push_key(&ld, "serial_cpus");
		if (!v || !json_is_boolean(v) || !json_object_get(se, "source"))
			r = ld_fail(&ld, false,
			            "expected {\"value\": true|false, \"source\": ...}");
		else
			cfg->cost.serial = json_is_true(v);
	}
	json_decref(root);
	if (r) {
		snprintf(err, errlen, "%s", werr.msg);
		return -1;
	}
	return 0;
}

/* The whole file, or NULL with "PATH: what" in err. */
static char *
slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	char msg[128];
	int code;
	char *t = ld_read_file(path, len, &code, msg, sizeof(msg));

	if (t == NULL)
		snprintf(err, errlen, "%s: %s", path, msg);
	return t;
}

bool
netsim_is_workload(const char *path)
{
	return ld_file_has_key(path, "net");
}

int
netsim_load(const char *path, const char *hw_dir, const char *machine, uint64_t hz,
            struct netsim_cfg *cfg, char *err, size_t errlen)
{
	char prof[4096];
	size_t len;
	char *t = slurp(path, &len, err, errlen);
	int r;

	if (!t)
		return -1;
	r = netsim_load_buffer(t, len, path, hz, cfg, err, errlen);
	free(t);
	if (r)
		return r;
	snprintf(prof, sizeof(prof), "%s/%s/nic.json", hw_dir, machine);
	if (!(t = slurp(prof, &len, err, errlen)))
		return -1;
	r = netsim_profile(t, len, prof, cfg, err, errlen);
	free(t);
	if (r == 0 && cfg->pipeline) {
		/* The pipeline's ring index handoff: the machine's core-to-core line transfer. */
		struct sim_machine m;
		if ((r = sim_machine_load(hw_dir, machine, &m, err, errlen)) == 0)
			cfg->xfer = m.cost[SIM_COST_CACHE_LINE];
	}
	return r;
}
