/* exosim's NVMe run (sim/nvme) with the real driver: a QD32 random-read run, faults declared
 * in the workload after which every acknowledged write reads back with its data and every
 * request came back (done, or reported failed), --strict on a driver broken on purpose, and
 * the NVMe workload parser's bad-input messages. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvsim.h"
#include "../srcline.h" /* src_line: "driver pc FILE:N" */

#define HZ 2592000000ull

static struct nvsim_cfg cfg;
static struct nvsim_result res;

static void
load(const char *json)
{
	char err[512], *prof = malloc(1 << 16);
	FILE *f = fopen("hw/legion/nvme.json", "rb");
	size_t n;

	cr_assert(f && prof, "hw/legion/nvme.json (run from the tree's root)");
	n = fread(prof, 1, 1 << 16, f);
	fclose(f);
	cr_assert_eq(nvsim_load_buffer(json, strlen(json), "w.json", HZ, &cfg, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(nvsim_profile(prof, n, "nvme.json", &cfg, NULL, err, sizeof(err)), 0, "%s",
	             err);
	free(prof);
}

static void
run(void)
{
	char err[512] = "";

	cr_assert_eq(nvsim_run(&cfg, &res, err, sizeof(err)), 0, "%s", err);
}

static void
fini(void)
{
	nvsim_result_free(&res);
}

TestSuite(nvsim, .fini = fini);

Test(nvsim, qd32_random_reads_on_the_pm981)
{
	load("{\"nvme\": {\"duration\": \"5ms\", \"qd\": 32, \"span_mib\": 256}}");
	run();
	cr_assert_eq(res.diags, 0, "%s", res.first_diag);
	cr_assert_eq(res.submitted, res.reaped);
	cr_assert_eq(res.failed, 0);
	/* 32 in flight over 32 flash units of ~55 us plus 10 us: 200K..600K IOPS. */
	double iops = (double)res.q[0].done / ((double)res.measured / HZ);
	cr_assert(iops > 200000 && iops < 600000, "%.0f IOPS", iops);
	cr_assert_eq(res.interrupts, res.reaped, "one MSI-X message per completion");
	cr_assert_eq(res.drv.completed, res.reaped);
}

/* --trace: the core's track holds every nvme_submit and nvme_poll call that moved requests
 * (their counts add up to the run's), beside the queue's track with a slice per request. */
Test(nvsim, the_trace_has_the_core_beside_the_queue_track)
{
	char *text = NULL;
	size_t len = 0, idx, x = 0, b = 0, e = 0;
	uint64_t sub = 0, reaped = 0;
	json_error_t jerr;
	json_t *root, *v;
	FILE *f;

	load("{\"nvme\": {\"duration\": \"200us\", \"qd\": 32}}");
	run();
	cr_assert(res.calls == NULL && res.ncalls == 0, "nothing kept without trace");
	nvsim_result_free(&res);
	cfg.trace = true;
	run();
	f = open_memstream(&text, &len);
	cr_assert_eq(nvsim_trace(&cfg, &res, f), 0);
	cr_assert_eq(fclose(f), 0);
	root = json_loads(text, 0, &jerr);
	cr_assert_not_null(root, "line %d: %s", jerr.line, jerr.text);
	json_array_foreach(json_object_get(root, "traceEvents"), idx, v)
	{
		const char *ph = json_string_value(json_object_get(v, "ph"));
		json_t *args = json_object_get(v, "args");
		uint64_t n = (uint64_t)json_integer_value(json_object_get(args, "requests"));
		if (!strcmp(ph, "X")) {
			const char *name = json_string_value(json_object_get(v, "name"));
			*(!strcmp(name, "nvme_submit") ? &sub : &reaped) += n;
			x++;
		}
		b += !strcmp(ph, "b");
		e += !strcmp(ph, "e");
	}
	cr_assert_eq(x, res.ncalls);
	cr_assert_eq(sub, res.submitted);
	cr_assert_eq(reaped, res.reaped);
	cr_assert(b == res.q[0].nlat && e == b, "%zu %zu of %zu", b, e, res.q[0].nlat);
	json_decref(root);
	free(text);
}

Test(nvsim, a_run_is_a_function_of_its_seed)
{
	uint64_t a, b, c;

	load("{\"nvme\": {\"duration\": \"2ms\", \"read\": 70, \"queues\": 2, \"qd\": 8}}");
	run();
	a = res.cycles ^ res.q[1].lat[res.q[1].nlat / 2];
	fini();
	run();
	b = res.cycles ^ res.q[1].lat[res.q[1].nlat / 2];
	fini();
	cfg.seed = 7;
	run();
	c = res.cycles ^ res.q[1].lat[res.q[1].nlat / 2];
	cr_assert_eq(a, b);
	cr_assert_neq(a, c);
}

Test(nvsim, open_loop_poisson_below_saturation)
{
	load("{\"nvme\": {\"duration\": \"20ms\", \"qd\": 32, \"arrival\": {\"poisson\": 50000}}}");
	run();
	double iops = (double)res.q[0].done / ((double)res.measured / HZ);
	cr_assert(iops > 40000 && iops < 60000, "%.0f IOPS for 50000 offered", iops);
}

/* Bursty: Poisson arrivals at the rate while on (100 us of every 500 us), none while off, so
 * every request arrives in an on period and a fifth of the rate's arrivals come. */
Test(nvsim, bursty_arrivals_come_only_while_on)
{
	uint64_t on = 100 * HZ / 1000000, period = 500 * HZ / 1000000, t0;

	load("{\"nvme\": {\"duration\": \"10ms\", \"qd\": 32, \"arrival\": {\"poisson\": "
	     "200000, \"on\": \"100us\", \"off\": \"400us\"}}}");
	run();
	cr_assert_eq(res.submitted, res.reaped);
	/* 200000/s for 20 periods of 100 us: 400 expected. */
	cr_assert(res.q[0].nlat > 340 && res.q[0].nlat < 460, "%zu arrivals", res.q[0].nlat);
	t0 = res.q[0].start[0]; /* recorded in reaping order: the first arrival is the earliest */
	for (size_t i = 1; i < res.q[0].nlat; i++)
		t0 = res.q[0].start[i] < t0 ? res.q[0].start[i] : t0;
	for (size_t i = 0; i < res.q[0].nlat; i++) {
		cr_assert_lt((res.q[0].start[i] - t0) % period, on, "request %zu at %llu", i,
		             (unsigned long long)res.q[0].start[i]);
	}
}

/* After the run: nothing lost, every acknowledged write read back intact. */
static void
no_loss(void)
{
	cr_assert_eq(res.submitted, res.reaped, "%llu requests never came back",
	             (unsigned long long)(res.submitted - res.reaped));
	cr_assert_gt(res.acked_writes, 100);
	cr_assert_gt(res.verified, 100);
	cr_assert_eq(res.verify_bad, 0);
	cr_assert_eq(res.diags, 0, "%s", res.first_diag);
}

#define VERIFY_WL(faults)                                                                          \
	"{\"nvme\": {\"duration\": \"4ms\", \"queues\": 2, \"qd\": 16, \"read\": 50, "             \
	"\"span_mib\": 2, \"verify\": true, \"timeout\": \"1ms\", \"faults\": [" faults "]}}"

Test(nvsim, verify_without_faults)
{
	load(VERIFY_WL(""));
	run();
	no_loss();
	cr_assert_eq(res.failed, 0);
}

Test(nvsim, error_status_on_chosen_commands_is_reported)
{
	load(VERIFY_WL("{\"kind\": \"error\", \"cmd\": 10, \"status\": 640},"
	               "{\"kind\": \"error\", \"cmd\": 11}"));
	run();
	no_loss();
	cr_assert_eq(res.faults_fired, 2);
	cr_assert_eq(res.failed, 2, "each failed command is reported once");
	cr_assert_eq(res.drv.resets, 0);
}

Test(nvsim, a_lost_completion_is_aborted)
{
	load(VERIFY_WL("{\"kind\": \"lost\", \"cmd\": 40}"));
	run();
	no_loss();
	cr_assert_eq(res.faults_fired, 1);
	cr_assert_geq(res.drv.timeouts, 1);
	cr_assert_geq(res.drv.aborts, 1);
	cr_assert_eq(res.failed, 1, "the aborted command is reported (Command Abort Requested)");
}

Test(nvsim, controller_fatal_status_leads_to_a_reset_and_resubmission)
{
	load(VERIFY_WL("{\"kind\": \"cfs\", \"at\": \"3ms\"}"));
	run();
	no_loss();
	cr_assert_eq(res.faults_fired, 1);
	cr_assert_geq(res.drv.resets, 1);
	cr_assert_geq(res.drv.resubmitted, 1);
}

Test(nvsim, a_slow_command_within_the_timeout_just_takes_longer)
{
	load(VERIFY_WL("{\"kind\": \"slow\", \"cmd\": 30, \"delay\": \"500us\"}"));
	run();
	no_loss();
	cr_assert_eq(res.drv.timeouts, 0);
	uint64_t max = 0;
	for (unsigned q = 0; q < 2; q++)
		for (size_t i = 0; i < res.q[q].nlat; i++)
			max = res.q[q].lat[i] > max ? res.q[q].lat[i] : max;
	cr_assert_geq(max, 500 * (HZ / 1000000));
}

Test(nvsim, a_command_slower_than_the_timeout_is_resubmitted_after_a_reset)
{
	load(VERIFY_WL("{\"kind\": \"slow\", \"cmd\": 30, \"delay\": \"20ms\"}"));
	run();
	no_loss();
	cr_assert_geq(res.drv.resets, 1);
	cr_assert_geq(res.drv.resubmitted, 1);
	cr_assert_eq(res.failed, 0, "the resubmitted command succeeded");
}

/* A driver broken on purpose: it believes its queue is longer than the one it created, so it
 * rings the tail doorbell past the end; --strict stops at that first mistake. */
static void
lengthen_queue(struct nvme_ctrl *c)
{
	c->ioq[0].depth = 48;
}

Test(nvsim, strict_stops_at_the_first_mistake)
{
	load("{\"nvme\": {\"duration\": \"1ms\", \"qd\": 32}}");
	cfg.tamper = lengthen_queue;
	cfg.strict = true;
	run();
	cr_assert(res.strict_stop);
	cr_assert_eq(res.diags, 1);
	/* The doorbell write is nvme_sq_ring's, through DRV_WR32: the message names that line
	 * of the driver as built (found in its source, so any layout of the function holds). */
	unsigned long long cycle = 0;
	unsigned line = src_line("lib/drivers/nvme/io.c", "nvme_sq_ring(", "DRV_WR32(");
	char want[300];
	cr_assert_gt(line, 0, "nvme_sq_ring's DRV_WR32 in lib/drivers/nvme/io.c");
	const char *at = strstr(res.first_diag, " at cycle ");
	cr_assert(at && sscanf(at, " at cycle %llu", &cycle) == 1 && cycle > 0, "%s",
	          res.first_diag);
	snprintf(want, sizeof(want),
	         "nvme: SQ1 tail doorbell 34 >= queue size 33 (NVMe 1.4 §3.1.24) at cycle %llu, "
	         "driver pc lib/drivers/nvme/io.c:%u",
	         cycle, line);
	cr_assert_str_eq(res.first_diag, want);
}

Test(nvsim, without_strict_mistakes_are_counted)
{
	load("{\"nvme\": {\"duration\": \"1ms\", \"qd\": 32, \"timeout\": \"100us\"}}");
	cfg.tamper = lengthen_queue;
	char err[512];
	(void)nvsim_run(&cfg, &res, err, sizeof(err));
	cr_assert(!res.strict_stop);
	cr_assert_gt(res.diags, 1);
}

static void
bad(const char *json, const char *want)
{
	char err[512];

	cr_assert_eq(nvsim_load_buffer(json, strlen(json), "w.json", HZ, &cfg, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, want);
}

Test(nvsim_parse, bad_workloads_name_file_line_and_column)
{
	bad("{\"nvme\": {\"qd\": 64}}", "w.json:1:17: 64 is out of range [1, 63]");
	bad("{\"nvme\": {\n  \"qdepth\": 4}}", "w.json:2:3: unknown key in \"nvme\": \"qdepth\"");
	bad("{\"nvme\": {\"bs\": 6000}}", "w.json:1:17: 6000 is not a multiple of 4096");
	bad("{\"nvme\": {\"duration\": \"-5ms\"}}", "w.json:1:23: negative time \"-5ms\"");
	bad("{\"nvme\": {\"arrival\": \"open\"}}",
	    "w.json:1:22: expected \"closed\" or {\"poisson\": rate[, \"on\": t, \"off\": t]}");
	bad("{\"nvme\": {\"arrival\": {\"poisson\": 1000, \"on\": \"1ms\"}}}",
	    "w.json:1:22: a bursty arrival needs both \"on\" and \"off\"");
	bad("{\"nvme\": {\"faults\": [{\"kind\": \"boom\"}]}}",
	    "w.json:1:22: a fault needs \"kind\": error, lost, cfs or slow");
	bad("{\"nvme\": {\"faults\": [{\"kind\": \"cfs\"}]}}",
	    "w.json:1:22: a \"cfs\" fault needs \"at\"");
	bad("{\"nvme\": {\"faults\": [{\"kind\": \"slow\", \"cmd\": 3}]}}",
	    "w.json:1:22: a \"slow\" fault needs \"delay\"");
	bad("{\"nvme\": {\"verify\": 1}}", "w.json:1:21: expected true or false, found an integer");
	bad("{\"nvme\": {}, \"tasks\": {}}",
	    "w.json:1:14: unknown key in an NVMe workload: \"tasks\"");
	bad("{\"nvme\": {\"qd\": 4,}}", "w.json:1:19: string or '}' expected near '}'");
	bad("{\"nvme\": {\"qd\": 4, \"qd\": 5}}",
	    "w.json:1:23: duplicate object key near '\"qd\"'");
}
