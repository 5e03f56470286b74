/* SSD profiles: hw/NAME/nvme.json gives each SSD's service model and the driver's cost table
 * (docs/sim.md, "NVMe: the real driver in exosim").  Every figure carries "source" or
 * "estimate"; a figure without either is an error, so no number enters unexplained. */
#include <string.h>

#include "nvsim.h"
#include "workload/load.h"

static int
need_provenance(struct ld *ld, json_t *o)
{
	if (!json_object_get(o, "source") && !json_object_get(o, "estimate"))
		return ld_fail(ld, false,
		               "needs \"source\" or \"estimate\" (where the figure is from)");
	return 0;
}

static int
op_model(struct ld *ld, json_t *o, struct nvsim_op_model *m)
{
	static const char *const keys[] = { "unit", "fixed", "source", "estimate", NULL };
	const char *key;
	json_t *v;
	int r = 0;

	if (!json_is_object(o))
		return ld_fail(ld, false, "expected an object with \"unit\" and \"fixed\"");
	json_object_foreach(o, key, v)
	{
		ld_push_key(ld, key);
		if (!ld_in_list(key, keys))
			r = ld_fail(ld, true, "unknown key \"%s\"", key);
		else if (!strcmp(key, "unit") && json_object_get(v, "empirical"))
			r = ld_fail(ld, false, "empirical distributions are not supported here");
		else if (!strcmp(key, "unit"))
			r = ld_dist(ld, v, &m->unit);
		else if (!strcmp(key, "fixed"))
			r = ld_time(ld, v, &m->fixed);
		ld_pop(ld);
		if (r)
			return r;
	}
	if (!json_object_get(o, "unit") || !json_object_get(o, "fixed"))
		return ld_fail(ld, false, "needs \"unit\" and \"fixed\"");
	return need_provenance(ld, o);
}

static int
ssd(struct ld *ld, json_t *o, struct nvsim_ssd *d, uint64_t hz)
{
	static const char *const keys[] = { "description", "units",  "link_mb_s", "read",
		                            "write",       "source", "estimate",  NULL };
	const char *key;
	json_t *v;
	long long x;
	double mbs = 0;
	int r = 0;

	if (!json_is_object(o))
		return ld_fail(ld, false, "expected an SSD object");
	json_object_foreach(o, key, v)
	{
		ld_push_key(ld, key);
		if (!ld_in_list(key, keys))
			r = ld_fail(ld, true, "unknown key \"%s\"", key);
		else if (!strcmp(key, "units") && !(r = ld_int(ld, v, 1, 256, &x)))
			d->units = (unsigned)x;
		else if (!strcmp(key, "link_mb_s"))
			r = ld_positive(ld, v, &mbs);
		else if (!strcmp(key, "read"))
			r = op_model(ld, v, &d->read);
		else if (!strcmp(key, "write"))
			r = op_model(ld, v, &d->write);
		ld_pop(ld);
		if (r)
			return r;
	}
	if (!d->units || mbs <= 0 || !json_object_get(o, "read") || !json_object_get(o, "write"))
		return ld_fail(ld, false,
		               "an SSD needs \"units\", \"link_mb_s\", \"read\", \"write\"");
	d->link_bytes_per_cycle = mbs * 1e6 / (double)hz;
	return need_provenance(ld, o);
}

static int
costs(struct ld *ld, json_t *o, struct nvsim_cost *c)
{
	static const char *const names[] = { "mmio_read", "mmio_write", "submit_call", "submit_req",
		                             "poll_call", "poll_cqe",   "irq",         NULL };
	uint64_t *slot[] = { &c->mmio_read, &c->mmio_write, &c->submit_call, &c->submit_req,
		             &c->poll_call, &c->poll_cqe,   &c->irq };

	if (!json_is_object(o))
		return ld_fail(ld, false, "expected an object of costs");
	for (unsigned i = 0; names[i]; i++) {
		json_t *e = json_object_get(o, names[i]), *cy;
		long long x;
		ld_push_key(ld, names[i]);
		if (!e || !json_is_object(e) || !(cy = json_object_get(e, "cycles")))
			return ld_fail(ld, false, "\"%s\" needs {\"cycles\": n, ...}", names[i]);
		ld_push_key(ld, "cycles");
		if (ld_int(ld, cy, 0, 100000000, &x))
			return WL_E_INVALID;
		ld_pop(ld);
		if (need_provenance(ld, e))
			return WL_E_INVALID;
		ld_pop(ld);
		*slot[i] = (uint64_t)x;
	}
	return 0;
}

int
nvsim_profile(const char *text, size_t len, const char *name, struct nvsim_cfg *cfg,
              const char *want, char *err, size_t errlen)
{
	struct wl_error werr = { 0 };
	struct wl_env env = { .hz = cfg->hz, .ncpus = 1 };
	struct ld ld = { .name = name, .text = text, .len = len, .env = &env, .err = &werr };
	char wname[32];
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je), *ssds, *d, *dc;
	int r = WL_E_INVALID;

	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		return -1;
	}
	ssds = json_object_get(root, "ssds");
	if (!want && json_is_string(json_object_get(root, "default_ssd")))
		want = json_string_value(json_object_get(root, "default_ssd"));
	if (want) {
		snprintf(wname, sizeof(wname), "%s", want);
		want = wname;
	}
	if (!json_is_object(ssds)) {
		ld_fail(&ld, false, "no \"ssds\" object");
	} else if (!want || !(d = json_object_get(ssds, want))) {
		ld_push_key(&ld, "ssds");
		ld_fail(&ld, false, "no SSD \"%s\" in this profile", want ? want : "(default_ssd)");
	} else if (!(dc = json_object_get(root, "driver_costs"))) {
		ld_fail(&ld, false, "no \"driver_costs\" object");
	} else {
		ld_push_key(&ld, "ssds");
		ld_push_key(&ld, want);
		r = ssd(&ld, d, &cfg->ssd, cfg->hz);
		ld.depth = 0;
		if (!r) {
			ld_push_key(&ld, "driver_costs");
			r = costs(&ld, dc, &cfg->cost);
		}
		snprintf(cfg->ssd.name, sizeof(cfg->ssd.name), "%s", want);
	}
	json_decref(root);
	if (r) {
		snprintf(err, errlen, "%s", werr.msg);
		return -1;
	}
	return 0;
}
