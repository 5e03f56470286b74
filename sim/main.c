/* exosim's command line: `exosim run` (one simulation, its summary and output files) and
 * `exosim list` (machine profiles and scheduling policies).  Bad input exits 2. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "machine/run.h"
#include "sweep/sweep.h"
#include "net/netsim.h"
#include "nvme/nvsim.h"

#define EXIT_BADINPUT 2

struct cli {
	const char *machine, *sched, *workload, *hw_dir;
	const char *json, *csv, *trace, *duration;
	uint64_t seed;
	unsigned cpus;
	bool fingerprint, zero_costs, no_host, quiet, strict;
};

static void
usage(FILE *f)
{
	fputs(
	    "usage: exosim run --machine NAME --sched POLICY --workload FILE|gen:SPEC\n"
	    "                  [--seed N] [--duration D] [--json F] [--csv F] [--trace F]\n"
	    "                  [--fingerprint] [--cpus N] [--zero-costs] [--no-host]\n"
	    "                  [--quiet] [--hw-dir DIR]\n"
	    "       exosim run --machine NAME --workload NVME.json [--seed N] [--duration D]\n"
	    "                  [--strict] [--trace F] [--no-host] [--hw-dir DIR]  (the NVMe "
	    "driver)\n"
	    "       exosim list [--hw-dir DIR]\n"
	    "D is a number with a unit: s, ms, us, ns or cycles (e.g. 1s, 250ms, 1e6cycles).\n"
	    "The hw directory is --hw-dir, else $EXOSIM_HW_DIR, else ./hw, else the tree's hw/.\n",
	    f);
}

static int
bad(const char *opt, const char *what)
{
	fprintf(stderr, "exosim: %s: %s\n", opt, what);
	return EXIT_BADINPUT;
}

/* "1.5s", "250ms", "20us", "100ns", "5000cycles" -> cycles; -1 if malformed. */
static int
parse_duration(const char *s, uint64_t hz, uint64_t *out)
{
	static const struct {
		const char *unit;
		double per_s;
	} units[] = {
		{ "s", 1 }, { "ms", 1e3 }, { "us", 1e6 }, { "ns", 1e9 }, { "cycles", 0 },
	};
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || !(v >= 0) || v > 1e19)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		v = units[i].per_s ? v * (double)hz / units[i].per_s : v;
		if (v >= 18446744073709549568.0)
			return -1;
		*out = (uint64_t)(v + 0.5);
		return 0;
	}
	return -1;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return (errno || end == s || *end || s[0] == '-') ? -1 : 0;
}

/* Options taking a value, then flags. */
static int
parse_args(int argc, char **argv, struct cli *c)
{
	for (int i = 0; i < argc; i++) {
		const char *o = argv[i];
		const char **slot = !strcmp(o, "--machine")    ? &c->machine
		                    : !strcmp(o, "--sched")    ? &c->sched
		                    : !strcmp(o, "--workload") ? &c->workload
		                    : !strcmp(o, "--hw-dir")   ? &c->hw_dir
		                    : !strcmp(o, "--json")     ? &c->json
		                    : !strcmp(o, "--csv")      ? &c->csv
		                    : !strcmp(o, "--trace")    ? &c->trace
		                    : !strcmp(o, "--duration") ? &c->duration
		                                               : NULL;
		uint64_t v;

		if (slot || !strcmp(o, "--seed") || !strcmp(o, "--cpus")) {
			if (i + 1 >= argc)
				return bad(o, "needs a value");
			if (slot) {
				*slot = argv[++i];
			} else if (parse_u64(argv[++i], &v) < 0 ||
			           (o[2] == 'c' && (v == 0 || v > 64))) {
				return bad(o, o[2] == 'c' ? "must be an integer 1..64"
				                          : "must be a non-negative integer");
			} else if (o[2] == 'c') {
				c->cpus = (unsigned)v;
			} else {
				c->seed = v;
			}
		} else if (!strcmp(o, "--fingerprint")) {
			c->fingerprint = true;
		} else if (!strcmp(o, "--zero-costs")) {
			c->zero_costs = true;
		} else if (!strcmp(o, "--no-host")) {
			c->no_host = true;
		} else if (!strcmp(o, "--quiet")) {
			c->quiet = true;
		} else if (!strcmp(o, "--strict")) {
			c->strict = true;
		} else {
			fprintf(stderr, "exosim: %s: unknown option\n", o);
			usage(stderr);
			return EXIT_BADINPUT;
		}
	}
	return 0;
}

static int
cmd_list(int argc, char **argv)
{
	struct cli c = { 0 };
	char buf[4096], names[64][64], err[512];
	const char *dir;
	unsigned n;
	int r = parse_args(argc, argv, &c);

	if (r)
		return r;
	dir = sim_machine_hw_dir(c.hw_dir, buf, sizeof(buf));
	n = sim_machine_list(dir, names, 64);
	printf("machines (%s):\n", dir);
	for (unsigned i = 0; i < n; i++) {
		struct sim_machine m;

		if (sim_machine_load(dir, names[i], &m, err, sizeof(err)) < 0)
			printf("  %-10s (broken: %s)\n", names[i], err);
		else
			printf("  %-10s %u threads, %.3f GHz: %s\n", m.name, m.ncpus, m.hz / 1e9,
			       m.description);
	}
	printf("policies:\n");
	for (unsigned i = 0; sched_policy_at(i); i++)
		printf("  %-10s %s\n", sched_policy_at(i)->name, sched_policy_at(i)->summary);
	return 0;
}

static FILE *
open_out(const char *opt, const char *path, int *rc)
{
	FILE *f;

	if (!path)
		return NULL;
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "exosim: %s: cannot write '%s': %s\n", opt, path, strerror(errno));
		*rc = EXIT_BADINPUT;
	}
	return f;
}

static int
close_out(FILE *f, const char *opt, const char *path)
{
	if (f && fclose(f) != 0) {
		fprintf(stderr, "exosim: %s: write to '%s' failed\n", opt, path);
		return 1;
	}
	return 0;
}

/* Check the options and load the machine, policy and workload. */
static int
setup(struct cli *c, struct sim_machine *m, const struct sched_policy **pol, struct workload **w,
      uint64_t *duration)
{
	char buf[4096], err[1024];
	struct wl_error werr;
	struct wl_env env;

	if (!c->machine)
		return bad("--machine", "missing (see exosim list)");
	if (!c->sched)
		return bad("--sched", "missing (see exosim list)");
	if (!c->workload)
		return bad("--workload", "missing");
	if (sim_machine_load(sim_machine_hw_dir(c->hw_dir, buf, sizeof(buf)), c->machine, m, err,
	                     sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		return EXIT_BADINPUT;
	}
	if (c->cpus && sim_machine_limit_cpus(m, c->cpus) < 0)
		return bad("--cpus", "more hardware threads than the machine has");
	if (c->zero_costs)
		memset(m->cost, 0, sizeof(m->cost));
	*pol = sched_policy_find(c->sched);
	if (!*pol) {
		fprintf(stderr, "exosim: --sched: unknown policy '%s' (see exosim list)\n",
		        c->sched);
		return EXIT_BADINPUT;
	}
	if (c->duration && parse_duration(c->duration, m->hz, duration) < 0)
		return bad("--duration", "needs a number and a unit: s, ms, us, ns or cycles");
	env = (struct wl_env){ .hz = m->hz, .ncpus = m->ncpus };
	if (wl_open(c->workload, &env, c->seed, w, &werr) < 0) {
		fprintf(stderr, "exosim: %s\n", werr.msg);
		return EXIT_BADINPUT;
	}
	if (!c->duration)
		*duration = (*w)->duration ? (*w)->duration : m->hz;
	if (*duration == 0) {
		wl_free(*w);
		return bad("--duration", "must be positive");
	}
	return 0;
}

static int
report(struct cli *c, struct met *met, const struct sim_result *res)
{
	struct met_end end = { res->cycles, res->events, res->host_seconds };
	FILE *jf;
	int rc = 0;

	if (met_finish(met, &end) < 0)
		rc = 1;
	if (!c->quiet)
		met_print_summary(met, stdout, !c->no_host);
	if (c->fingerprint)
		printf("fingerprint %016" PRIx64 "\n", met_fingerprint(met));
	if (c->json) {
		jf = fopen(c->json, "w");
		if (!jf || met_write_json(met, jf, !c->no_host) < 0) {
			fprintf(stderr, "exosim: --json: cannot write '%s'\n", c->json);
			rc = 1;
		}
		if (jf && fclose(jf) != 0)
			rc = 1;
	}
	return rc;
}

static int
nvme_trace(const char *path, const struct nvsim_cfg *cfg, const struct nvsim_result *res)
{
	FILE *f = fopen(path, "w");

	if (!f || nvsim_trace(cfg, res, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "exosim: --trace: cannot write '%s'\n", path);
		return -1;
	}
	return 0;
}

/* An NVMe workload: the real driver against the controller model (sim/nvme).  Exit 0, or 1
 * when the run failed, the model reported a protocol error under --strict, or (verify mode)
 * acknowledged data was not read back. */
static int
cmd_nvme(struct cli *c)
{
	char buf[4096], err[1024];
	const char *dir = sim_machine_hw_dir(c->hw_dir, buf, sizeof(buf));
	struct sim_machine m;
	struct nvsim_cfg cfg;
	struct nvsim_result res;
	int rc;

	if (!c->machine)
		return bad("--machine", "missing (see exosim list)");
	if (sim_machine_load(dir, c->machine, &m, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		return EXIT_BADINPUT;
	}
	if (nvsim_load(c->workload, dir, c->machine, m.hz, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		return EXIT_BADINPUT;
	}
	if (c->duration && parse_duration(c->duration, m.hz, &cfg.duration) < 0)
		return bad("--duration", "needs a number and a unit: s, ms, us, ns or cycles");
	cfg.seed = c->seed;
	cfg.strict = c->strict;
	if (nvsim_run(&cfg, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		nvsim_result_free(&res);
		return 1;
	}
	if (res.strict_stop) {
		fprintf(stderr, "%s\n", res.first_diag);
		rc = 1;
	} else if (c->trace && nvme_trace(c->trace, &cfg, &res) < 0) {
		rc = 1;
	} else {
		printf("exosim: machine %s, workload %s, seed %llu\n", m.name, c->workload,
		       (unsigned long long)c->seed);
		if (!c->quiet)
			nvsim_print(&cfg, &res, stdout, !c->no_host);
		rc = cfg.verify && (res.verify_bad || res.submitted != res.reaped) ? 1 : 0;
	}
	nvsim_result_free(&res);
	return rc;
}

/* A network workload: the real NIC driver forwarding between two NIC models (sim/net).  Exit
 * 0, or 1 when the run failed or the model reported a protocol error under --strict. */
static int
cmd_net(struct cli *c)
{
	char buf[4096], err[1024];
	const char *dir = sim_machine_hw_dir(c->hw_dir, buf, sizeof(buf));
	struct sim_machine m;
	struct netsim_cfg cfg;
	struct netsim_result res;
	int rc = 0;

	if (!c->machine)
		return bad("--machine", "missing (see exosim list)");
	if (sim_machine_load(dir, c->machine, &m, err, sizeof(err)) < 0 ||
	    netsim_load(c->workload, dir, c->machine, m.hz, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		return EXIT_BADINPUT;
	}
	if (c->duration && parse_duration(c->duration, m.hz, &cfg.duration) < 0)
		return bad("--duration", "needs a number and a unit: s, ms, us, ns or cycles");
	cfg.seed = c->seed;
	cfg.strict = c->strict;
	if (netsim_run(&cfg, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		rc = 1;
	} else if (res.strict_stop) {
		fprintf(stderr, "%s\n", res.first_diag);
		rc = 1;
	} else {
		printf("exosim: machine %s, workload %s, seed %llu\n", m.name, c->workload,
		       (unsigned long long)c->seed);
		if (!c->quiet)
			netsim_print(&cfg, &res, stdout, !c->no_host);
	}
	netsim_result_free(&res);
	return rc;
}

static int
cmd_run(int argc, char **argv)
{
	struct cli c = { 0 };
	struct sim_machine m;
	const struct sched_policy *pol;
	struct workload *w = NULL;
	uint64_t duration = 0;
	struct met *met = NULL;
	struct sim_result res;
	FILE *csv = NULL, *trace = NULL;
	char err[1024];
	const char **names;
	int rc = parse_args(argc, argv, &c);

	if (!rc && c.workload && strncmp(c.workload, "gen:", 4) && nvsim_is_workload(c.workload))
		return cmd_nvme(&c);
	if (!rc && c.workload && strncmp(c.workload, "gen:", 4) && netsim_is_workload(c.workload))
		return cmd_net(&c);
	if (rc || (rc = setup(&c, &m, &pol, &w, &duration)))
		return rc;
	csv = open_out("--csv", c.csv, &rc);
	trace = open_out("--trace", c.trace, &rc);
	names = calloc(w->ntasks, sizeof(*names));
	if (!rc && names) {
		for (uint32_t i = 0; i < w->ntasks; i++)
			names[i] = w->tasks[i].name;
		struct met_config mc = { m.hz,      m.ncpus, w->ntasks, names, m.name,
			                 pol->name, w->name, c.seed,    csv,   trace };

		if (met_init(&met, &mc) < 0)
			rc = 1;
	} else if (!rc) {
		rc = 1;
	}
	if (!rc) {
		struct sim_options o = { &m, pol, w, c.seed, duration, met, true };
		int r = sim_run(&o, &res, err, sizeof(err));

		if (r < 0) {
			fprintf(stderr, "exosim: %s\n", err);
			rc = r == E_INVAL ? EXIT_BADINPUT : 1; /* E_NOMEM, E_BUSY: the run failed */
		} else {
			rc = report(&c, met, &res);
		}
	}
	met_free(met);
	free(names);
	if ((close_out(csv, "--csv", c.csv) | close_out(trace, "--trace", c.trace)) && !rc)
		rc = 1;
	wl_free(w);
	return rc;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "analyze"))
		return an_cmd_analyze(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "sweep"))
		return sweep_cmd(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return cmd_list(argc - 2, argv + 2);
	if (argc >= 2 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "exosim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_BADINPUT;
}
