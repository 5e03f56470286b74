/* `exosim sweep`: a grid of simulation runs from a JSON spec (policies x utilisation x
 * task count x seeds x machine parameters x generator settings), run in parallel on the
 * local cores, one CSV row per run, resumable, shardable for a Slurm job array. */
#ifndef EXOSIM_SWEEP_H
#define EXOSIM_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_AXIS 256

/* One axis of the grid: its values as strings (numbers are kept as written). */
struct sweep_axis {
	const char *name;
	char *v[SWEEP_MAX_AXIS];
	unsigned n;
};

/* The axes, outermost first; a run's index is its mixed-radix number over them. */
enum {
	SW_MACHINE,
	SW_CPUS,
	SW_ZERO_COSTS,
	SW_PERIODS,
	SW_DISCARD,
	SW_TASKS,
	SW_UTIL,
	SW_SEED,
	SW_POLICY,
	SW_NAXES,
};

struct sweep_spec {
	const char *path;
	struct sweep_axis axis[SW_NAXES];
	char duration[32];     /* "hyperperiod" or a time */
	char max_duration[32]; /* cap on the hyperperiod */
	uint64_t runs;         /* product of the axis sizes */
};

/* One run's parameters: the axis values of run `index`. */
struct sweep_point {
	uint64_t index;
	const char *val[SW_NAXES];
	char seedbuf[24];
};

/* Load SPEC.json.  Returns 0, or -1 after printing "FILE:LINE:COL: what" on stderr. */
int sweep_spec_load(const char *path, struct sweep_spec *s);
void sweep_spec_free(struct sweep_spec *s);
void sweep_point(const struct sweep_spec *s, uint64_t index, struct sweep_point *p);

/* The CSV header (no newline) and one run's row (with newline) into buf.  Returns 0, or
 * -1 with a message in err when the run could not be set up or failed. */
extern const char sweep_csv_header[];
int sweep_run_one(const struct sweep_spec *s, const struct sweep_point *p, const char *hw_dir,
                  char *buf, size_t len, char *err, size_t errlen);

/* Join shard CSVs into `out`, rows sorted by run, duplicates checked equal. */
int sweep_merge(const char *out, char **in, unsigned nin);
/* Write the Slurm batch script. */
int sweep_slurm(const char *spec, const char *out, unsigned shards, unsigned cpus,
                const char *hw_dir, const char *script);

/* `exosim sweep ...`: argv after the subcommand. */
int sweep_cmd(int argc, char **argv);

#endif
