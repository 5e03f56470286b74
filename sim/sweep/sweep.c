/* `exosim sweep SPEC.json`: the runs of the grid not yet in the CSV, in parallel worker
 * processes (fork), each sending finished rows down one pipe; the parent appends them to
 * the CSV as they come, so an interrupted sweep resumes where it stopped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sweep.h"

struct sw_opts {
	const char *spec, *out, *hw_dir, *script, *merge;
	unsigned jobs, shard, nshards, slurm_shards, cpus_per_task;
	bool slurm, progress;
};

static int
sw_bad(const char *opt, const char *what)
{
	fprintf(stderr, "exosim sweep: %s: %s\n", opt, what);
	return 2;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Reads the CSV already there: marks the runs it holds, drops a torn last line (a sweep
 * killed mid-write), checks the header.  Creates the file with the header if absent. */
static int
resume(const char *out, unsigned char *done, uint64_t runs, uint64_t *ndone)
{
	FILE *f = fopen(out, "r+");
	char line[4096];
	long good = 0;
	unsigned lineno = 0;

	*ndone = 0;
	if (f && fgetc(f) == EOF) {
		fclose(f);
		f = NULL;
	}
	if (f)
		rewind(f);
	if (!f) {
		f = fopen(out, "w");
		if (!f || fprintf(f, "%s\n", sweep_csv_header) < 0 || fclose(f) != 0)
			return sw_bad(out, "cannot write the CSV");
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);
		unsigned long long run;

		lineno++;
		if (n == 0 || line[n - 1] != '\n')
			break; /* torn: cut off below */
		line[n - 1] = 0;
		if (lineno == 1 && strcmp(line, sweep_csv_header)) {
			fprintf(stderr, "%s:1: not this sweep's CSV header (another version?)\n",
			        out);
			fclose(f);
			return 2;
		}
		if (lineno > 1 && (sscanf(line, "%llu,", &run) != 1 || run >= runs)) {
			fprintf(stderr, "%s:%u: no run number of this spec (0..%llu)\n", out,
			        lineno, (unsigned long long)runs - 1);
			fclose(f);
			return 2;
		}
		if (lineno > 1 && !done[run]) {
			done[run] = 1;
			(*ndone)++;
		}
		good = ftell(f);
	}
	if (fclose(f) != 0 || truncate(out, good) != 0)
		return sw_bad(out, "cannot truncate a torn last line");
	return good ? 0 : resume(out, done, runs, ndone); /* even the header was torn */
}

/* A worker: runs pending[k], pending[k + jobs], ...; each row goes down the pipe in one write
 * (rows are shorter than PIPE_BUF, so rows of different workers never interleave). */
static void
worker(const struct sweep_spec *s, const struct sw_opts *o, const uint64_t *pending, uint64_t n,
       unsigned k, int fd)
{
	char row[2048], err[1024];
	int rc = 0;

	for (uint64_t i = k; i < n; i += o->jobs) {
		struct sweep_point p;

		sweep_point(s, pending[i], &p);
		if (sweep_run_one(s, &p, o->hw_dir, row, sizeof(row), err, sizeof(err)) < 0) {
			fprintf(stderr, "\nexosim sweep: run %llu: %s\n",
			        (unsigned long long)pending[i], err);
			rc = 1;
			continue;
		}
		if (write(fd, row, strlen(row)) != (ssize_t)strlen(row))
			_exit(1);
	}
	_exit(rc);
}

static void
progress_bar(uint64_t done, uint64_t total, double t0, bool final)
{
	double el = now_s() - t0, eta = done ? el * (double)(total - done) / (double)done : 0;
	int w = 40, fill = total ? (int)(w * done / total) : w;

	fprintf(stderr, "\rsweep [%.*s%*s] %llu/%llu runs, %.1f s, eta %.0f s%s", fill,
	        "########################################", w - fill, "", (unsigned long long)done,
	        (unsigned long long)total, el, eta, final ? "\n" : "");
}

/* Fork the workers and append what they send to the CSV. */
static int
run_all(const struct sweep_spec *s, const struct sw_opts *o, const uint64_t *pending, uint64_t n)
{
	int fds[2], rc = 0, st;
	FILE *csv = fopen(o->out, "a"), *in;
	char row[4096];
	uint64_t got = 0;
	double t0 = now_s(), shown = 0;

	if (!csv || pipe(fds) < 0)
		return sw_bad(o->out, "cannot append to the CSV");
	fflush(NULL);
	for (unsigned k = 0; k < o->jobs; k++) {
		pid_t pid = fork();

		if (pid == 0) {
			close(fds[0]);
			worker(s, o, pending, n, k, fds[1]);
		}
		if (pid < 0)
			rc = 1;
	}
	close(fds[1]);
	in = fdopen(fds[0], "r");
	while (in && fgets(row, sizeof(row), in)) {
		fputs(row, csv);
		fflush(csv); /* a row on disk is a run that a resumed sweep skips */
		got++;
		if (o->progress && now_s() - shown >= 0.1) {
			progress_bar(got, n, t0, false);
			shown = now_s();
		}
	}
	while (wait(&st) > 0)
		rc |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	if (in)
		fclose(in);
	if (fclose(csv) != 0)
		rc = 1;
	if (o->progress)
		progress_bar(got, n, t0, true);
	fprintf(stderr, "exosim sweep: %llu runs in %.2f s host with %u workers -> %s\n",
	        (unsigned long long)got, now_s() - t0, o->jobs, o->out);
	return rc;
}

static int
sweep_local(const struct sw_opts *o)
{
	struct sweep_spec s;
	unsigned char *done;
	uint64_t *pending, n = 0, ndone;
	int rc;

	if (sweep_spec_load(o->spec, &s) < 0)
		return 2;
	done = calloc(s.runs, 1);
	pending = calloc(s.runs, sizeof(*pending));
	rc = done && pending ? resume(o->out, done, s.runs, &ndone)
	                     : sw_bad(o->spec, "too many runs");
	for (uint64_t i = 0; rc == 0 && i < s.runs; i++)
		if (!done[i] && i % o->nshards == o->shard)
			pending[n++] = i;
	if (rc == 0 && ndone)
		fprintf(stderr, "exosim sweep: %llu runs already in %s, skipped\n",
		        (unsigned long long)ndone, o->out);
	if (rc == 0 && n)
		rc = run_all(&s, o, pending, n);
	free(done);
	free(pending);
	sweep_spec_free(&s);
	return rc;
}

static void
sw_usage(FILE *f)
{
	fputs("usage: exosim sweep SPEC.json [--out F.csv] [--jobs N] [--shard I/N] [--progress]\n"
	      "                   [--hw-dir D]\n"
	      "       exosim sweep SPEC.json --slurm [--shards N] [--cpus-per-task C]\n"
	      "                   [--script F] [--out PREFIX.csv]\n"
	      "       exosim sweep --merge OUT.csv SHARD.csv...\n",
	      f);
}

static int
sw_count(const char *opt, const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || s[0] == '-' || v < lo || v > hi) {
		fprintf(stderr, "exosim sweep: %s: \"%s\" is not an integer %u..%u\n", opt, s, lo,
		        hi);
		return 2;
	}
	*out = (unsigned)v;
	return 0;
}

static int
sw_shard(const char *s, struct sw_opts *o)
{
	unsigned i, n;
	char tail;

	if (sscanf(s, "%u/%u%c", &i, &n, &tail) != 2 || n == 0 || n > 100000 || i >= n)
		return sw_bad("--shard", "needs I/N with 0 <= I < N <= 100000");
	o->shard = i;
	o->nshards = n;
	return 0;
}

static int
sw_value(const char *o, const char *v, struct sw_opts *x)
{
	if (!strcmp(o, "--out"))
		x->out = v;
	else if (!strcmp(o, "--hw-dir"))
		x->hw_dir = v;
	else if (!strcmp(o, "--script"))
		x->script = v;
	else if (!strcmp(o, "--jobs"))
		return sw_count(o, v, 1, 1024, &x->jobs);
	else if (!strcmp(o, "--shards"))
		return sw_count(o, v, 1, 100000, &x->slurm_shards);
	else if (!strcmp(o, "--cpus-per-task"))
		return sw_count(o, v, 1, 1024, &x->cpus_per_task);
	else if (!strcmp(o, "--shard"))
		return sw_shard(v, x);
	else
		return -1;
	return 0;
}

static int
sw_parse(int argc, char **argv, struct sw_opts *o)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			sw_usage(stdout);
			return -1;
		} else if (!strcmp(a, "--slurm") || !strcmp(a, "--progress")) {
			*(a[2] == 's' ? &o->slurm : &o->progress) = true;
		} else if (!strcmp(a, "--merge")) {
			return i + 2 < argc ? (o->merge = argv[i + 1], 0)
			                    : sw_bad(a, "needs OUT.csv and at least one shard CSV");
		} else if (a[0] != '-' && !o->spec) {
			o->spec = a;
		} else if (a[0] != '-' || i + 1 >= argc) {
			fprintf(stderr, "exosim sweep: %s: %s\n", a,
			        a[0] == '-' ? "needs a value" : "one spec only");
			return 2;
		} else if ((r = sw_value(a, argv[++i], o)) != 0) {
			if (r < 0) {
				fprintf(stderr, "exosim sweep: %s: unknown option\n", a);
				sw_usage(stderr);
			}
			return 2;
		}
	}
	return 0;
}

/* The default CSV: the spec's base name with .csv, in the current directory. */
static const char *
default_out(const char *spec, char *buf, size_t len)
{
	const char *base = strrchr(spec, '/') ? strrchr(spec, '/') + 1 : spec;
	size_t n = strlen(base);

	if (n > 5 && !strcmp(base + n - 5, ".json"))
		n -= 5;
	snprintf(buf, len, "%.*s.csv", (int)n, base);
	return buf;
}

int
sweep_cmd(int argc, char **argv)
{
	struct sw_opts o = { .nshards = 1 };
	char buf[1024];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = sw_parse(argc, argv, &o);

	if (rc)
		return rc < 0 ? 0 : rc; /* -1: --help printed */
	if (o.merge) {
		for (int i = 0; i < argc; i++)
			if (!strcmp(argv[i], "--merge"))
				return sweep_merge(argv[i + 1], argv + i + 2,
				                   (unsigned)(argc - i - 2));
	}
	if (!o.spec) {
		sw_usage(stderr);
		return 2;
	}
	if (!o.out)
		o.out = default_out(o.spec, buf, sizeof(buf));
	if (o.slurm) {
		struct sweep_spec s;

		if (sweep_spec_load(o.spec, &s) < 0) /* check it before submitting */
			return 2;
		sweep_spec_free(&s);
		return sweep_slurm(o.spec, o.out, o.slurm_shards ? o.slurm_shards : 1,
		                   o.cpus_per_task ? o.cpus_per_task : 1, o.hw_dir, o.script);
	}
	if (o.slurm_shards || o.cpus_per_task || o.script)
		return sw_bad("--shards, --cpus-per-task, --script", "only with --slurm");
	if (!o.jobs)
		o.jobs = ncpu > 0 ? (unsigned)ncpu : 1;
	o.progress = o.progress || isatty(2);
	return sweep_local(&o);
}
