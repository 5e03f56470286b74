/* Workload loader: reading the file, the top-level object, "global", task instances, and
 * the error context that turns a JSON path into FILE:LINE:COL. */
#include "load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WL_MAX_FILE (16u << 20)

void
ld_push_key(struct ld *ld, const char *key)
{
	if (ld->depth < LD_MAX_DEPTH)
		ld->path[ld->depth] = (struct jpos_seg){ key, 0 };
	ld->depth++;
}

void
ld_push_index(struct ld *ld, size_t index)
{
	if (ld->depth < LD_MAX_DEPTH)
		ld->path[ld->depth] = (struct jpos_seg){ NULL, index };
	ld->depth++;
}

void
ld_pop(struct ld *ld)
{
	ld->depth--;
}

static void
vformat(struct wl_error *err, const char *prefix, const char *fmt, va_list ap)
{
	int n;

	if (err->msg[0])
		return; /* keep the first error: later ones are consequences */
	n = snprintf(err->msg, WL_ERR_MAX, "%s", prefix);
	if (n >= 0 && n < WL_ERR_MAX)
		vsnprintf(err->msg + n, WL_ERR_MAX - (size_t)n, fmt, ap);
}

int
ld_fail(struct ld *ld, bool at_key, const char *fmt, ...)
{
	unsigned depth = ld->depth < LD_MAX_DEPTH ? ld->depth : LD_MAX_DEPTH;
	char prefix[WL_ERR_MAX];
	unsigned line, col;
	size_t off;
	va_list ap;

	jpos_find(ld->text, ld->len, ld->path, depth, at_key, &off);
	jpos_linecol(ld->text, ld->len, off, &line, &col);
	if (!ld->err->msg[0]) {
		ld->err->line = line;
		ld->err->col = col;
	}
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", ld->name, line, col);
	va_start(ap, fmt);
	vformat(ld->err, prefix, fmt, ap);
	va_end(ap);
	return WL_E_INVALID;
}

int
ld_fail_file(struct wl_error *err, const char *name, int code, const char *fmt, ...)
{
	char prefix[WL_ERR_MAX];
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s: ", name);
	va_start(ap, fmt);
	vformat(err, prefix, fmt, ap);
	va_end(ap);
	return code;
}

static int
policy_from_string(const char *s, enum wl_rtapp_policy *out)
{
	static const char *const names[] = { "SCHED_OTHER", "SCHED_IDLE", "SCHED_RR", "SCHED_FIFO",
		                             "SCHED_DEADLINE" };

	for (int i = 0; i < 5; i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum wl_rtapp_policy)i;
			return 0;
		}
	}
	return -1;
}

int
ld_policy(struct ld *ld, json_t *v, enum wl_rtapp_policy *out)
{
	if (!json_is_string(v) || policy_from_string(json_string_value(v), out) < 0)
		return ld_fail(ld, false,
		               "policy must be one of SCHED_OTHER, SCHED_IDLE, "
		               "SCHED_RR, SCHED_FIFO, SCHED_DEADLINE");
	return 0;
}

/* rt-app "global" keys that only concern a real Linux run; accepted and ignored. */
static const char *const global_ignored[] = {
	"calibration",  "pi_enabled",      "lock_pages",       "logdir",
	"log_basename", "log_size",        "ftrace",           "gnuplot",
	"io_device",    "mem_buffer_size", "cumulative_slack", NULL,
};

bool
ld_in_list(const char *key, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(key, *list) == 0)
			return true;
	return false;
}

/* rt-app's duration is whole seconds, -1 meaning "until the tasks end"; ExoLab also takes
 * a time string ("500ms"). */
static int
global_duration(struct ld *ld, json_t *v, struct workload *w)
{
	if (json_is_integer(v) && json_integer_value(v) == -1) {
		w->duration = 0;
		return 0;
	}
	if (json_is_number(v)) {
		double s = json_number_value(v);
		if (s < 0)
			return ld_fail(ld, false, "duration must be -1 or >= 0 seconds");
		if (s * (double)ld->env->hz > (double)WL_MAX_CYCLES)
			return ld_fail(ld, false, "duration is too large");
		w->duration = (uint64_t)(s * (double)ld->env->hz + 0.5);
		return 0;
	}
	return ld_time(ld, v, &w->duration);
}

static int
ld_global(struct ld *ld, json_t *g, struct workload *w)
{
	const char *key;
	json_t *v;
	int rc = 0;

	if (!json_is_object(g))
		return ld_fail(ld, false, "\"global\" must be an object, found %s",
		               ld_type_name(g));
	json_object_foreach(g, key, v)
	{
		ld_push_key(ld, key);
		if (strcmp(key, "duration") == 0)
			rc = global_duration(ld, v, w);
		else if (strcmp(key, "default_policy") == 0)
			rc = ld_policy(ld, v, &ld->default_policy);
		else if (!ld_in_list(key, global_ignored))
			rc = ld_fail(ld, true, "unknown key \"%s\" in \"global\"", key);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	return 0;
}

static int
add_task(struct workload *w, struct wl_task *t)
{
	struct wl_task *grown;

	if (w->ntasks >= WL_MAX_TASKS)
		return WL_E_INVALID;
	grown = realloc(w->tasks, (w->ntasks + 1) * sizeof(*grown));
	if (!grown)
		return WL_E_NOMEM;
	w->tasks = grown;
	w->tasks[w->ntasks++] = *t;
	memset(t, 0, sizeof(*t));
	return 0;
}

/* rt-app "instance": n threads from one description; instance k of "t" is "t-k". */
static int
add_instances(struct ld *ld, struct wl_task *t, long long n, struct workload *w)
{
	uint64_t size = t->nphases;
	int rc = 0;

	for (uint32_t i = 0; i < t->nphases; i++)
		size += t->phases[i].dist.nvalues;
	size += t->arrival.on.nvalues + t->arrival.off.nvalues;
	if (w->ntasks + n > WL_MAX_TASKS)
		return ld_fail(ld, true, "more than %d tasks", WL_MAX_TASKS);
	/* Instances copy everything: bound the total so no input can exhaust memory. */
	if (ld->footprint + size * (uint64_t)n > WL_MAX_FOOTPRINT)
		return ld_fail(ld, true,
		               "the workload has more than %u events and distribution "
		               "values in all",
		               WL_MAX_FOOTPRINT);
	ld->footprint += size * (uint64_t)n;
	if (n == 1)
		return add_task(w, t);
	for (long long k = 0; k < n && rc == 0; k++) {
		struct wl_task copy;
		char name[256];

		snprintf(name, sizeof(name), "%s-%lld", t->name, k);
		rc = wl_task_clone(&copy, t, name);
		if (rc == 0 && (rc = add_task(w, &copy)) != 0)
			wl_task_release(&copy);
	}
	wl_task_release(t);
	return rc;
}

static int
instance_count(struct ld *ld, json_t *task, long long *n)
{
	json_t *v = json_is_object(task) ? json_object_get(task, "instance") : NULL;
	int rc;

	*n = 1;
	if (!v)
		return 0;
	ld_push_key(ld, "instance");
	rc = ld_int(ld, v, 0, WL_MAX_TASKS, n);
	ld_pop(ld);
	return rc;
}

static int
check_unique_names(struct ld *ld, const struct workload *w)
{
	for (uint32_t i = 1; i < w->ntasks; i++)
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(w->tasks[i].name, w->tasks[j].name) == 0)
				return ld_fail(ld, true,
				               "two tasks are named \"%s\" (after "
				               "instance expansion)",
				               w->tasks[i].name);
	return 0;
}

static int
ld_tasks(struct ld *ld, json_t *tasks, struct workload *w)
{
	const char *name;
	json_t *v;
	int rc = 0;

	if (!json_is_object(tasks) || json_object_size(tasks) == 0)
		return ld_fail(ld, false, "\"tasks\" must be an object with at least one task");
	json_object_foreach(tasks, name, v)
	{
		struct wl_task t = { 0 };
		unsigned col;
		long long n;
		size_t off;

		ld_push_key(ld, name);
		if ((rc = instance_count(ld, v, &n)) == 0 && (rc = ld_task(ld, name, v, &t)) == 0) {
			jpos_find(ld->text, ld->len, ld->path, ld->depth, true, &off);
			jpos_linecol(ld->text, ld->len, off, &t.line, &col);
			rc = add_instances(ld, &t, n, w);
			if (rc == 0)
				rc = check_unique_names(ld, w);
		}
		wl_task_release(&t);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	if (w->ntasks == 0)
		return ld_fail(ld, false, "every task has \"instance\": 0; nothing to simulate");
	return 0;
}

static int
ld_root(struct ld *ld, json_t *root, struct workload *w)
{
	const char *key;
	json_t *v;
	int rc = 0;

	if (!json_is_object(root))
		return ld_fail(ld, false, "the top level must be an object with \"tasks\"");
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "tasks") != 0 && strcmp(key, "global") != 0 &&
		    strcmp(key, "resources") != 0) {
			ld_push_key(ld, key);
			return ld_fail(ld, true,
			               "unknown top-level key \"%s\" (expected \"tasks\", "
			               "\"global\" or \"resources\")",
			               key);
		}
	}
	/* "global" first: its default_policy applies to the tasks. */
	if ((v = json_object_get(root, "global")) != NULL) {
		ld_push_key(ld, "global");
		rc = ld_global(ld, v, w);
		ld_pop(ld);
		if (rc)
			return rc;
	}
	if ((v = json_object_get(root, "tasks")) == NULL)
		return ld_fail(ld, false, "no \"tasks\" object");
	ld_push_key(ld, "tasks");
	rc = ld_tasks(ld, v, w);
	ld_pop(ld);
	return rc;
}

int
wl_load_buffer(const char *buf, size_t len, const char *name, const struct wl_env *env,
               struct workload **out, struct wl_error *err)
{
	struct ld ld = { .name = name, .text = buf, .len = len, .env = env, .err = err };
	struct workload *w;
	json_error_t je;
	json_t *root;
	int rc;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		err->line = je.line > 0 ? (unsigned)je.line : 1;
		err->col = je.column > 0 ? (unsigned)je.column : 1;
		snprintf(err->msg, WL_ERR_MAX, "%s:%u:%u: %s", name, err->line, err->col, je.text);
		return WL_E_SYNTAX;
	}
	w = calloc(1, sizeof(*w));
	if (!w || !(w->name = strdup(name))) {
		free(w);
		json_decref(root);
		return ld_fail_file(err, name, WL_E_NOMEM, "out of memory");
	}
	rc = ld_root(&ld, root, w);
	json_decref(root);
	if (rc) {
		if (rc == WL_E_NOMEM)
			ld_fail_file(err, name, rc, "out of memory");
		wl_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

char *
ld_read_file(const char *path, size_t *len, int *code, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(WL_MAX_FILE + 1) : NULL;
	bool bad;

	*code = f == NULL ? WL_E_IO : buf == NULL ? WL_E_NOMEM : 0;
	if (*code != 0) {
		if (f)
			snprintf(msg, msglen, "out of memory");
		else
			snprintf(msg, msglen, "cannot open: %s", strerror(errno));
		if (f)
			fclose(f);
		return NULL;
	}
	*len = fread(buf, 1, WL_MAX_FILE + 1, f);
	bad = ferror(f) || *len > WL_MAX_FILE;
	if (ferror(f))
		snprintf(msg, msglen, "cannot read: %s", strerror(errno));
	else if (*len > WL_MAX_FILE)
		snprintf(msg, msglen, "larger than %u MiB", WL_MAX_FILE >> 20);
	fclose(f);
	if (bad) {
		*code = WL_E_IO;
		free(buf);
		return NULL;
	}
	buf[*len] = 0;
	return buf;
}

bool
ld_file_has_key(const char *path, const char *key)
{
	char msg[64];
	size_t len;
	int code;
	char *t = ld_read_file(path, &len, &code, msg, sizeof(msg));
	json_t *root = t ? json_loadb(t, len, 0, NULL) : NULL;
	bool yes = root && json_is_object(root) && json_object_get(root, key);

	json_decref(root);
	free(t);
	return yes;
}

int
wl_load_file(const char *path, const struct wl_env *env, struct workload **out,
             struct wl_error *err)
{
	char msg[128];
	size_t n;
	int rc;
	char *buf;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if ((buf = ld_read_file(path, &n, &rc, msg, sizeof(msg))) == NULL)
		return ld_fail_file(err, path, rc, "%s", msg);
	rc = wl_load_buffer(buf, n, path, env, out, err);
	free(buf);
	return rc;
}
