/* Sweeps beyond one machine: the Slurm job-array script whose array task i runs shard
 * i/n of the grid, and the merge of the shard CSVs into one, sorted by run. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"

/* A path as one single-quoted shell word. */
static void
shell_word(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++)
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	fputc('\'', f);
}

int
sweep_slurm(const char *spec, const char *out, unsigned shards, unsigned cpus, const char *hw_dir,
            const char *script)
{
	char exe[PATH_MAX], spec_abs[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	FILE *f = script ? fopen(script, "w") : stdout;

	if (n < 0 || !realpath(spec, spec_abs) || !f) {
		fprintf(stderr, "exosim sweep: --slurm: cannot resolve %s or write %s\n", spec,
		        script ? script : "stdout");
		return 2;
	}
	exe[n] = 0;
	fprintf(f,
	        "#!/bin/bash\n# exosim sweep of %s as a Slurm job array: %u shards of %u "
	        "cores.\n",
	        spec_abs, shards, cpus);
	fprintf(f,
	        "# Submit with sbatch; when every task is done, join the shards:\n#   %s sweep "
	        "--merge %s %s.shard-*-of-%u.csv\n",
	        exe, out, out, shards);
	fprintf(f, "#SBATCH --job-name=exosim-sweep\n#SBATCH --array=0-%u\n", shards - 1);
	fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=%u\n", cpus);
	fprintf(f, "#SBATCH --output=%s.shard-%%a-of-%u.log\nset -eu\n", out, shards);
	fputs("exec ", f);
	shell_word(f, exe);
	fputs(" sweep ", f);
	shell_word(f, spec_abs);
	fprintf(f, " --shard \"$SLURM_ARRAY_TASK_ID/%u\" --jobs %u --out ", shards, cpus);
	shell_word(f, out);
	fprintf(f, "\".shard-$SLURM_ARRAY_TASK_ID-of-%u.csv\"", shards);
	if (hw_dir) {
		fputs(" --hw-dir ", f);
		shell_word(f, hw_dir);
	}
	fputc('\n', f);
	if (script && fclose(f) != 0)
		return 2;
	return 0;
}

struct mrow {
	unsigned long long run;
	char *text;
	const char *file;
	unsigned line;
};

static int
by_run(const void *a, const void *b)
{
	const struct mrow *x = a, *y = b;

	return (x->run > y->run) - (x->run < y->run);
}

static int
read_shard(const char *path, struct mrow **rows, size_t *n, size_t *cap)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned no = 0;

	if (!f) {
		fprintf(stderr, "%s:0: cannot open\n", path);
		return 2;
	}
	while (fgets(line, sizeof(line), f)) {
		struct mrow r = { .file = path, .line = ++no };

		if (no == 1) {
			line[strcspn(line, "\n")] = 0;
			if (strcmp(line, sweep_csv_header) == 0)
				continue;
			fprintf(stderr, "%s:1: not this exosim's sweep CSV header\n", path);
			fclose(f);
			return 2;
		}
		if (sscanf(line, "%llu,", &r.run) != 1 || line[strlen(line) - 1] != '\n') {
			fprintf(stderr, "%s:%u: not a complete sweep row\n", path, no);
			fclose(f);
			return 2;
		}
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 1024;
			*rows = realloc(*rows, *cap * sizeof(**rows));
		}
		r.text = strdup(line);
		if (!*rows || !r.text) {
			fclose(f);
			return 1;
		}
		(*rows)[(*n)++] = r;
	}
	fclose(f);
	return 0;
}

int
sweep_merge(const char *out, char **in, unsigned nin)
{
	struct mrow *rows = NULL;
	size_t n = 0, cap = 0, kept = 0;
	int rc = 0;
	FILE *f;

	for (unsigned i = 0; i < nin && rc == 0; i++)
		rc = read_shard(in[i], &rows, &n, &cap);
	if (rc == 0 && n)
		qsort(rows, n, sizeof(*rows), by_run);
	for (size_t i = 1; rc == 0 && i < n; i++)
		if (rows[i].run == rows[i - 1].run && strcmp(rows[i].text, rows[i - 1].text)) {
			fprintf(stderr, "%s:%u: run %llu differs from %s:%u\n", rows[i].file,
			        rows[i].line, rows[i].run, rows[i - 1].file, rows[i - 1].line);
			rc = 2;
		}
	f = rc == 0 ? fopen(out, "w") : NULL;
	if (rc == 0 && f) {
		fprintf(f, "%s\n", sweep_csv_header);
		for (size_t i = 0; i < n; i++)
			if (i == 0 || rows[i].run != rows[i - 1].run) {
				fputs(rows[i].text, f);
				kept++;
			}
		rc = fclose(f) != 0;
		fprintf(stderr, "exosim sweep: merged %zu runs from %u files -> %s\n", kept, nin,
		        out);
	} else if (rc == 0) {
		fprintf(stderr, "exosim sweep: --merge: cannot write %s\n", out);
		rc = 2;
	}
	for (size_t i = 0; i < n; i++)
		free(rows[i].text);
	free(rows);
	return rc;
}
