/* Loading machine profiles (hw/<name>/machine.json) with jansson, and finding them. */
#include "simmachine.h"

#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sim_cost_names[SIM_COST_N] = {
	[SIM_COST_SYSCALL] = "syscall",
	[SIM_COST_SWITCH] = "context_switch",
	[SIM_COST_MIGRATION] = "migration",
	[SIM_COST_TICK] = "timer_interrupt",
	[SIM_COST_IPI] = "ipi",
	[SIM_COST_CACHE_LINE] = "cache_line_transfer",
};

/* Does `dir` hold at least one machine profile (dir/NAME/machine.json)? */
static bool
has_profiles(const char *dir)
{
	char one[1][64];

	return sim_machine_list(dir, one, 1) > 0;
}

/* hw/ of the nearest directory above the executable that has one with profiles: exosim
 * built at any OBJ= depth (obj/sim/exosim, obj/clang/sim/exosim) finds its own tree. */
static bool
hw_above_exe(char *buf, size_t len)
{
	char dir[4096];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	char *slash;

	if (n <= 0)
		return false;
	dir[n] = '\0';
	while ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		snprintf(buf, len, "%s/hw", dir);
		if (has_profiles(buf))
			return true;
	}
	return false;
}

const char *
sim_machine_hw_dir(const char *opt, char *buf, size_t len)
{
	const char *env = getenv("EXOSIM_HW_DIR");

	if (opt)
		return opt;
	if (env && *env)
		return env;
	if (has_profiles("hw"))
		return "hw";
	if (hw_above_exe(buf, len))
		return buf;
	return "hw";
}

static int
fail(char *err, size_t errlen, const char *path, const char *what)
{
	snprintf(err, errlen, "%s: %s", path, what);
	return -1;
}

/* A positive integer member, or a whole-valued real (JSON has one number type). */
static int
get_u64(json_t *obj, const char *key, uint64_t *out, int required)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return required ? -1 : 0;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	return -1;
}

static int
load_costs(json_t *costs, struct sim_machine *m, const char *path, char *err, size_t errlen)
{
	char msg[160];

	if (!json_is_object(costs))
		return fail(err, errlen, path, "\"costs\" must be an object");
	for (int i = 0; i < SIM_COST_N; i++) {
		json_t *c = json_object_get(costs, sim_cost_names[i]);

		snprintf(msg, sizeof(msg),
		         "costs.%s must be {\"cycles\": N, \"measured\" or \"estimate\": source}",
		         sim_cost_names[i]);
		if (!json_is_object(c) || get_u64(c, "cycles", &m->cost[i], 1) < 0)
			return fail(err, errlen, path, msg);
		if (!json_is_string(json_object_get(c, "measured")) &&
		    !json_is_string(json_object_get(c, "estimate")))
			return fail(err, errlen, path, msg);
	}
	return 0;
}

static int
load_tickless(json_t *arr, struct sim_machine *m, const char *path, char *err, size_t errlen)
{
	size_t i;
	json_t *v;

	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return fail(err, errlen, path, "\"tickless\" must be an array of thread ids");
	json_array_foreach(arr, i, v)
	{
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) >= (json_int_t)m->ncpus)
			return fail(err, errlen, path, "\"tickless\": thread id out of range");
		m->tickless |= 1ULL << json_integer_value(v);
	}
	return 0;
}

static int
load_fields(json_t *root, struct sim_machine *m, const char *path, char *err, size_t errlen)
{
	uint64_t cores = 0, tpc = 1, tick_hz = 0;
	json_t *desc = json_object_get(root, "description");

	if (!json_is_object(root))
		return fail(err, errlen, path, "the profile must be a JSON object");
	if (get_u64(root, "hz", &m->hz, 1) < 0 || m->hz < 1000)
		return fail(err, errlen, path, "\"hz\" must be an integer >= 1000");
	if (get_u64(root, "cores", &cores, 1) < 0 || cores == 0)
		return fail(err, errlen, path, "\"cores\" must be a positive integer");
	if (get_u64(root, "threads_per_core", &tpc, 0) < 0 || tpc == 0 ||
	    cores * tpc > SIM_MAX_CPUS)
		return fail(err, errlen, path, "\"threads_per_core\": at most 64 threads in all");
	if (get_u64(root, "tick_hz", &tick_hz, 0) < 0 || tick_hz > m->hz)
		return fail(err, errlen, path, "\"tick_hz\" must be an integer <= hz");
	m->cores = (unsigned)cores;
	m->threads_per_core = (unsigned)tpc;
	m->ncpus = (unsigned)(cores * tpc);
	m->tick_period = tick_hz ? m->hz / tick_hz : 0;
	if (json_is_string(desc))
		snprintf(m->description, sizeof(m->description), "%s", json_string_value(desc));
	if (load_tickless(json_object_get(root, "tickless"), m, path, err, errlen) < 0)
		return -1;
	return load_costs(json_object_get(root, "costs"), m, path, err, errlen);
}

int
sim_machine_load(const char *hw_dir, const char *name, struct sim_machine *m, char *err,
                 size_t errlen)
{
	char path[4096];
	json_error_t jerr;
	json_t *root;
	int r;

	*m = (struct sim_machine){ 0 };
	if (!*name || strchr(name, '/') || strlen(name) >= sizeof(m->name)) {
		snprintf(err, errlen, "--machine: bad machine name '%s'", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s/machine.json", hw_dir, name);
	if (access(path, R_OK) != 0) {
		snprintf(err, errlen, "--machine: unknown machine '%s' (no %s; see exosim list)",
		         name, path);
		return -1;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
		return -1;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	r = load_fields(root, m, path, err, errlen);
	json_decref(root);
	return r;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

unsigned
sim_machine_list(const char *hw_dir, char names[][64], unsigned max)
{
	DIR *d = opendir(hw_dir);
	struct dirent *ent;
	unsigned n = 0;
	char path[4096];

	if (!d)
		return 0;
	while ((ent = readdir(d)) && n < max) {
		size_t len = strlen(ent->d_name);

		if (ent->d_name[0] == '.' || len >= 64)
			continue;
		snprintf(path, sizeof(path), "%s/%s/machine.json", hw_dir, ent->d_name);
		if (access(path, R_OK) == 0)
			memcpy(names[n++], ent->d_name, len + 1);
	}
	closedir(d);
	qsort(names, n, 64, cmp_name);
	return n;
}

int
sim_machine_limit_cpus(struct sim_machine *m, unsigned ncpus)
{
	if (ncpus == 0 || ncpus > m->ncpus)
		return -1;
	m->ncpus = ncpus;
	m->tickless &= ncpus == 64 ? ~0ULL : (1ULL << ncpus) - 1;
	return 0;
}
