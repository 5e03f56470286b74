/* NVMe workloads ({"nvme": {...}}) and SSD profiles (hw/NAME/nvme.json), read with the task
 * workloads' loader machinery (sim/workload/load.h), so every error is one line
 * "FILE:LINE:COL: what" (docs/sim.md, "NVMe workloads"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nvsim.h"
#include "workload/load.h"

struct nvld {
	struct ld ld;
	struct wl_error werr;
	struct wl_env env;
	struct nvsim_cfg *cfg;
	char ssd[32];
};

static int
fail_key(struct ld *ld, const char *key, const char *what)
{
	ld_push_key(ld, key);
	return ld_fail(ld, true, "%s \"%s\"", what, key);
}

/* A key of `obj` that must be in `keys` (NULL-terminated). */
static int
check_keys(struct ld *ld, json_t *obj, const char *const *keys, const char *where)
{
	const char *key;
	json_t *v;

	if (!json_is_object(obj))
		return ld_fail(ld, false, "%s must be an object, found %s", where,
		               ld_type_name(obj));
	json_object_foreach(obj, key, v)
	{
		if (!ld_in_list(key, keys)) {
			char what[96];
			snprintf(what, sizeof(what), "unknown key in %s:", where);
			return fail_key(ld, key, what);
		}
	}
	return 0;
}

/* Reads obj[key] (if present) with `fn` at its path. */
#define FIELD(ld, obj, key, call)                                                                  \
	do {                                                                                       \
		json_t *v_ = json_object_get((obj), (key));                                        \
		if (v_) {                                                                          \
			int r_;                                                                    \
			ld_push_key((ld), (key));                                                  \
			r_ = (call);                                                               \
			ld_pop(ld);                                                                \
			if (r_)                                                                    \
				return r_;                                                         \
		}                                                                                  \
	} while (0)

static int
int_field(struct ld *ld, json_t *v, long long lo, long long hi, unsigned *out)
{
	long long x;
	int r = ld_int(ld, v, lo, hi, &x);

	if (!r)
		*out = (unsigned)x;
	return r;
}

static int
bool_field(struct ld *ld, json_t *v, bool *out)
{
	if (!json_is_boolean(v))
		return ld_fail(ld, false, "expected true or false, found %s", ld_type_name(v));
	*out = json_is_true(v);
	return 0;
}

static int
str_field(struct ld *ld, json_t *v, char *out, size_t len)
{
	if (!json_is_string(v) || json_string_length(v) >= len || json_string_length(v) == 0)
		return ld_fail(ld, false, "expected a name of 1..%zu characters", len - 1);
	snprintf(out, len, "%s", json_string_value(v));
	return 0;
}

static int
arrival(struct nvld *p, json_t *v)
{
	static const char *const keys[] = { "poisson", "on", "off", NULL };

	if (json_is_string(v) && !strcmp(json_string_value(v), "closed")) {
		p->cfg->rate = 0;
		return 0;
	}
	if (!json_is_object(v) || !json_object_get(v, "poisson"))
		return ld_fail(
		    &p->ld, false,
		    "expected \"closed\" or {\"poisson\": rate[, \"on\": t, \"off\": t]}");
	if (check_keys(&p->ld, v, keys, "arrival"))
		return WL_E_INVALID;
	FIELD(&p->ld, v, "poisson", ld_positive(&p->ld, v_, &p->cfg->rate));
	FIELD(&p->ld, v, "on", ld_time_pos(&p->ld, v_, &p->cfg->on));
	FIELD(&p->ld, v, "off", ld_time_pos(&p->ld, v_, &p->cfg->off));
	if (!p->cfg->on != !p->cfg->off)
		return ld_fail(&p->ld, false, "a bursty arrival needs both \"on\" and \"off\"");
	return 0;
}

static int
fault(struct nvld *p, json_t *v, struct nvsim_fault *f)
{
	static const char *const keys[] = { "kind", "cmd", "status", "at", "delay", NULL };
	static const char *const kinds[] = { "error", "lost", "cfs", "slow", NULL };
	json_t *k = json_object_get(v, "kind");
	unsigned st = 0x006, cmd = 0;

	if (check_keys(&p->ld, v, keys, "a fault"))
		return WL_E_INVALID;
	if (!json_is_string(k) || !ld_in_list(json_string_value(k), kinds))
		return ld_fail(&p->ld, false, "a fault needs \"kind\": error, lost, cfs or slow");
	for (f->kind = 0; strcmp(kinds[f->kind], json_string_value(k)); f->kind++)
		;
	FIELD(&p->ld, v, "cmd", int_field(&p->ld, v_, 1, 1ll << 40, &cmd));
	FIELD(&p->ld, v, "status", int_field(&p->ld, v_, 1, 0x7ff, &st));
	FIELD(&p->ld, v, "at", ld_time(&p->ld, v_, &f->at));
	FIELD(&p->ld, v, "delay", ld_time_pos(&p->ld, v_, &f->delay));
	f->cmd = cmd;
	f->status = (uint16_t)st;
	if (f->kind == NVF_CFS ? !json_object_get(v, "at") : cmd == 0)
		return ld_fail(&p->ld, false, "a \"%s\" fault needs \"%s\"", kinds[f->kind],
		               f->kind == NVF_CFS ? "at" : "cmd");
	if (f->kind == NVF_SLOW && !json_object_get(v, "delay"))
		return ld_fail(&p->ld, false, "a \"slow\" fault needs \"delay\"");
	return 0;
}

static int
faults(struct nvld *p, json_t *v)
{
	if (!json_is_array(v))
		return ld_fail(&p->ld, false, "expected an array of faults, found %s",
		               ld_type_name(v));
	if (json_array_size(v) > NVSIM_MAX_FAULTS)
		return ld_fail(&p->ld, false, "at most %d faults", NVSIM_MAX_FAULTS);
	for (size_t i = 0; i < json_array_size(v); i++) {
		ld_push_index(&p->ld, i);
		int r = fault(p, json_array_get(v, i), &p->cfg->fault[i]);
		ld_pop(&p->ld);
		if (r)
			return r;
	}
	p->cfg->nfaults = (unsigned)json_array_size(v);
	return 0;
}

static int
nvme_obj(struct nvld *p, json_t *o)
{
	static const char *const keys[] = { "ssd",        "duration", "queues",   "qd",
		                            "bs",         "read",     "span_mib", "arrival",
		                            "interrupts", "timeout",  "verify",   "faults",
		                            NULL };
	struct nvsim_cfg *c = p->cfg;
	struct ld *ld = &p->ld;
	unsigned span_mib = 64;

	if (check_keys(ld, o, keys, "\"nvme\""))
		return WL_E_INVALID;
	FIELD(ld, o, "ssd", str_field(ld, v_, p->ssd, sizeof(p->ssd)));
	FIELD(ld, o, "duration", ld_time_pos(ld, v_, &c->duration));
	FIELD(ld, o, "queues", int_field(ld, v_, 1, NVME_MAX_IOQ, &c->nq));
	FIELD(ld, o, "qd", int_field(ld, v_, 1, NVME_MAX_DEPTH - 1, &c->qd));
	FIELD(ld, o, "bs", int_field(ld, v_, 4096, 128 * 1024, &c->bs));
	FIELD(ld, o, "read", int_field(ld, v_, 0, 100, &c->read_pct));
	FIELD(ld, o, "span_mib", int_field(ld, v_, 1, 4096, &span_mib));
	FIELD(ld, o, "arrival", arrival(p, v_));
	FIELD(ld, o, "interrupts", bool_field(ld, v_, &c->intr));
	FIELD(ld, o, "timeout", ld_time_pos(ld, v_, &c->timeout_ns));
	FIELD(ld, o, "verify", bool_field(ld, v_, &c->verify));
	FIELD(ld, o, "faults", faults(p, v_));
	if (c->bs % 4096) {
		ld_push_key(ld, "bs");
		return ld_fail(ld, false, "%u is not a multiple of 4096", c->bs);
	}
	c->span = (uint64_t)span_mib << 20;
	if (c->span < (uint64_t)c->bs * c->qd * c->nq * 2) {
		ld_push_key(ld, "span_mib");
		return ld_fail(ld, false, "%u MiB is too small for %u queues of %u x %u bytes",
		               span_mib, c->nq, c->qd, c->bs);
	}
	/* ld_time converts to cycles; the driver's timeout is in nanoseconds. */
	c->timeout_ns = (uint64_t)((double)c->timeout_ns * 1e9 / (double)c->hz);
	return 0;
}

static int
parse(struct nvld *p, const char *text, size_t len, const char *name, json_t **root)
{
	json_error_t je;

	memset(&p->werr, 0, sizeof(p->werr));
	p->ld =
	    (struct ld){ .name = name, .text = text, .len = len, .env = &p->env, .err = &p->werr };
	*root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root) {
		snprintf(p->werr.msg, WL_ERR_MAX, "%s:%d:%d: %s", name, je.line > 0 ? je.line : 1,
		         je.column > 0 ? je.column : 1, je.text);
		return WL_E_SYNTAX;
	}
	return 0;
}

static void
defaults(struct nvsim_cfg *c, uint64_t hz)
{
	memset(c, 0, sizeof(*c));
	c->hz = hz;
	c->duration = hz / 10;
	c->nq = 1;
	c->qd = 32;
	c->bs = 4096;
	c->read_pct = 100;
	c->intr = true;
	c->timeout_ns = hz / 100; /* 10 ms, in cycles until converted */
}

static int
load_wl(struct nvld *p, const char *text, size_t len, const char *name)
{
	json_t *root, *o;
	int r = parse(p, text, len, name, &root);

	if (r)
		return r;
	static const char *const top[] = { "nvme", "global", NULL };
	if ((r = check_keys(&p->ld, root, top, "an NVMe workload")) == 0) {
		if (!(o = json_object_get(root, "nvme"))) {
			r = ld_fail(&p->ld, false, "no \"nvme\" object");
		} else {
			ld_push_key(&p->ld, "nvme");
			r = nvme_obj(p, o);
			ld_pop(&p->ld);
		}
	}
	json_decref(root);
	return r;
}

int
nvsim_load_buffer(const char *text, size_t len, const char *name, uint64_t hz,
                  struct nvsim_cfg *cfg, char *err, size_t errlen)
{
	struct nvld p = { .env = { .hz = hz, .ncpus = 1 }, .cfg = cfg };

	defaults(cfg, hz);
	if (load_wl(&p, text, len, name)) {
		snprintf(err, errlen, "%s", p.werr.msg);
		return -1;
	}
	snprintf(cfg->ssd.name, sizeof(cfg->ssd.name), "%s", p.ssd);
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
nvsim_is_workload(const char *path)
{
	return ld_file_has_key(path, "nvme");
}

int
nvsim_load(const char *path, const char *hw_dir, const char *machine, uint64_t hz,
           struct nvsim_cfg *cfg, char *err, size_t errlen)
{
	char prof[4096];
	size_t len;
	char *t = slurp(path, &len, err, errlen);
	int r;

	if (!t)
		return -1;
	r = nvsim_load_buffer(t, len, path, hz, cfg, err, errlen);
	free(t);
	if (r)
		return r;
	snprintf(prof, sizeof(prof), "%s/%s/nvme.json", hw_dir, machine);
	if (!(t = slurp(prof, &len, err, errlen)))
		return -1;
	r = nvsim_profile(t, len, prof, cfg, cfg->ssd.name[0] ? cfg->ssd.name : NULL, err, errlen);
	free(t);
	return r;
}
