/* exosim's command line: `exosim run` (one simulation, its summary and output files) and
 * `exosim list` (machine profiles and scheduling policies), dispatched from the table
 * `commands` at the end.  Bad input exits 2 with one message naming the option and what it
 * accepts; --help prints the usage on stdout and exits 0. */
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
	const char *json, *csv, *trace, *duration, *trace_window;
	uint64_t seed, cpus;
	bool cpus_set, fingerprint, zero_costs, no_host, quiet, strict, help;
};

static void usage(FILE *f);

static void
usage_run(FILE *f)
{
	fputs(
	    "usage: exosim run --machine NAME --sched POLICY --workload FILE|gen:SPEC [options]\n"
	    "       exosim run --machine NAME --workload NVME-OR-NET.json [--seed N]\n"
	    "                  [--duration D] [--strict] [--trace F] [--no-host] [--hw-dir DIR]\n"
	    "Runs one simulation: the policy (exosim list) on the machine profile against the\n"
	    "workload (a JSON file, or gen:periodic|poisson|bursty:key=value,...; docs/sim.md).\n"
	    "  --seed N             run seed, 0..2^64-1 (default 0)\n"
	    "  --duration D         simulated time, the horizon [0, D] (default: the workload's\n"
	    "                       global.duration, else 1s)\n"
	    "  --cpus N             only the first N hardware threads, 1..the machine's\n"
	    "  --zero-costs         every cost of the machine's cost table 0\n"
	    "  --json F / --csv F   statistics as JSON / one row per job\n"
	    "  --trace F            Perfetto/Chrome trace JSON, gzip-compressed when F ends .gz\n"
	    "  --trace-window A:B   only [A, B] in the trace, e.g. 10ms:20ms (0 <= A < B)\n"
	    "  --fingerprint        print a hash of the run\n"
	    "  --no-host            leave host-dependent numbers out (byte-identical output)\n"
	    "  --quiet              no summary on stdout\n"
	    "  --strict             (NVMe, network) stop at the first protocol error\n"
	    "  --hw-dir DIR         machine profiles (else $EXOSIM_HW_DIR, ./hw, the tree's hw/)\n"
	    "  --help               this text\n"
	    "Times D, A, B: a number and a unit: s, ms, us, ns or cycles (1s, 250ms, 1e6cycles).\n"
	    "Exit status: 0 done, 2 bad input, 1 the run failed.\n",
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
bad_duration(const char *s)
{
	fprintf(stderr,
	        "exosim: --duration: '%s' is not a time > 0 with a unit: s, ms, us, ns or cycles "
	        "(e.g. 250ms), at most 2^64-1 cycles\n",
	        s ? s : "");
	return EXIT_BADINPUT;
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

		bool seed = !strcmp(o, "--seed"), cpus = !strcmp(o, "--cpus");

		if (!slot && !strcmp(o, "--trace-window"))
			slot = &c->trace_window;
		if (slot || seed || cpus) {
			if (i + 1 >= argc)
				return bad(o, "needs a value");
			if (slot) {
				*slot = argv[++i];
			} else if (sim_parse_u64(argv[++i], &v) < 0) {
				fprintf(stderr, "exosim: %s: '%s' is not an integer in %s\n", o,
				        argv[i],
				        seed ? "[0, 18446744073709551615]"
				             : "[1, the machine's hardware threads]");
				return EXIT_BADINPUT;
			} else if (cpus) {
				c->cpus = v;
				c->cpus_set = true;
			} else {
				c->seed = v;
			}
		} else if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			c->help = true;
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
			fprintf(stderr,
			        "exosim: %s: unknown option (exosim run --help lists them)\n", o);
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
	if (c.help) {
		printf("usage: exosim list [--hw-dir DIR]\n"
		       "Prints the machine profiles and the scheduling policies.\n");
		return 0;
	}
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

	size_t n = path ? strlen(path) : 0;

	if (!path)
		return NULL;
	if (!strcmp(opt, "--trace") && n > 3 && !strcmp(path + n - 3, ".gz"))
		f = met_gzip_open(path);
	else
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
	if (c->cpus_set && (c->cpus == 0 || c->cpus > m->ncpus ||
	                    sim_machine_limit_cpus(m, (unsigned)c->cpus) < 0)) {
		fprintf(stderr,
		        "exosim: --cpus: %" PRIu64 " is out of range [1, %u] (machine %s has %u "
		        "hardware threads)\n",
		        c->cpus, m->ncpus, m->name, m->ncpus);
		return EXIT_BADINPUT;
	}
	if (c->zero_costs)
		memset(m->cost, 0, sizeof(m->cost));
	*pol = sched_policy_find(c->sched);
	if (!*pol) {
		fprintf(stderr, "exosim: --sched: unknown policy '%s' (see exosim list)\n",
		        c->sched);
		return EXIT_BADINPUT;
	}
	if (c->duration && parse_duration(c->duration, m->hz, duration) < 0)
		return bad_duration(c->duration);
	env = (struct wl_env){ .hz = m->hz, .ncpus = m->ncpus };
	if (wl_open(c->workload, &env, c->seed, w, &werr) < 0) {
		fprintf(stderr, "exosim: %s\n", werr.msg);
		return EXIT_BADINPUT;
	}
	if (!c->duration)
		*duration = (*w)->duration ? (*w)->duration : m->hz;
	if (*duration == 0) {
		wl_free(*w);
		return bad_duration(c->duration);
	}
	return 0;
}

/* --trace-window FROM:TO in cycles; TO is kept within the run. */
static int
trace_window(const struct cli *c, uint64_t hz, uint64_t duration, uint64_t *from, uint64_t *to)
{
	const char *colon = c->trace_window ? strchr(c->trace_window, ':') : NULL;
	char a[64];

	*from = *to = 0;
	if (!c->trace_window)
		return 0;
	if (!c->trace)
		return bad("--trace-window", "needs --trace F");
	if (colon && (size_t)(colon - c->trace_window) < sizeof(a)) {
		memcpy(a, c->trace_window, (size_t)(colon - c->trace_window));
		a[colon - c->trace_window] = '\0';
		if (parse_duration(a, hz, from) == 0 && parse_duration(colon + 1, hz, to) == 0 &&
		    *from < *to && *from <= duration)
			return 0;
	}
	fprintf(stderr,
	        "exosim: --trace-window: '%s' is not FROM:TO, two times with units (s, ms, us, "
	        "ns, cycles) with 0 <= FROM < TO and FROM <= the duration, e.g. 10ms:20ms\n",
	        c->trace_window);
	return EXIT_BADINPUT;
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
		return bad_duration(c->duration);
	cfg.seed = c->seed;
	cfg.strict = c->strict;
	cfg.trace = c->trace != NULL;
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

static int
net_trace(const char *path, const struct netsim_cfg *cfg, const struct netsim_result *res)
{
	FILE *f = fopen(path, "w");

	if (!f || netsim_trace(cfg, res, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "exosim: --trace: cannot write '%s'\n", path);
		return -1;
	}
	return 0;
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
		return bad_duration(c->duration);
	cfg.seed = c->seed;
	cfg.strict = c->strict;
	cfg.trace = c->trace != NULL;
	if (netsim_run(&cfg, &res, err, sizeof(err)) < 0) {
		fprintf(stderr, "exosim: %s\n", err);
		rc = 1;
	} else if (res.strict_stop) {
		fprintf(stderr, "%s\n", res.first_diag);
		rc = 1;
	} else if (c->trace && net_trace(c->trace, &cfg, &res) < 0) {
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
	uint64_t duration = 0, win_from, win_to;
	struct met *met = NULL;
	struct sim_result res;
	FILE *csv = NULL, *trace = NULL;
	char err[1024];
	const char **names;
	int rc = parse_args(argc, argv, &c);

	if (!rc && c.help) {
		usage_run(stdout);
		return 0;
	}
	if (!rc && c.workload && strncmp(c.workload, "gen:", 4) && nvsim_is_workload(c.workload))
		return cmd_nvme(&c);
	if (!rc && c.workload && strncmp(c.workload, "gen:", 4) && netsim_is_workload(c.workload))
		return cmd_net(&c);
	if (rc || (rc = setup(&c, &m, &pol, &w, &duration)))
		return rc;
	if ((rc = trace_window(&c, m.hz, duration, &win_from, &win_to))) {
		wl_free(w);
		return rc;
	}
	csv = open_out("--csv", c.csv, &rc);
	trace = open_out("--trace", c.trace, &rc);
	names = calloc(w->ntasks, sizeof(*names));
	if (!rc && names) {
		for (uint32_t i = 0; i < w->ntasks; i++)
			names[i] = w->tasks[i].name;
		struct met_config mc = {
			.hz = m.hz,
			.ncpus = m.ncpus,
			.ntasks = w->ntasks,
			.task_names = names,
			.machine = m.name,
			.policy = pol->name,
			.workload = w->name,
			.seed = c.seed,
			.csv = csv,
			.trace = trace,
			.window_from = win_from,
			.window_to = win_to,
		};

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

static int
cmd_help(int argc, char **argv)
{
	usage(stdout);
	return 0;
}

/* The subcommands: one line each. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "run one simulation (exosim run --help)" },
	{ "analyze", an_cmd_analyze,
	  "schedulability analysis of a workload (docs/sim-research.md)" },
	{ "sweep", sweep_cmd,
	  "a grid of runs to one CSV, local or on Slurm (docs/sim-research.md)" },
	{ "list", cmd_list, "list machine profiles and scheduling policies" },
	{ "help", cmd_help, "this text" },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: exosim COMMAND [options]   (exosim COMMAND --help for its options)\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "docs/sim.md describes the model, the workloads and every output.\n");
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cmd_help(argc - 2, argv + 2);
	for (size_t i = 0; argc >= 2 && i < NCOMMANDS; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 2, argv + 2);
	if (argc >= 2)
		fprintf(stderr, "exosim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_BADINPUT;
}
