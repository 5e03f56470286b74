/* The workload loader on valid input: rt-app semantics, units, distributions, defaults. */
#include <criterion/criterion.h>

#include "simio.h"

static struct workload *
load_ok(const char *text)
{
	struct workload *w;
	struct wl_error err;
	int rc = simio_load(text, &w, &err);

	cr_assert_eq(rc, 0, "load failed: %s", err.msg);
	return w;
}

Test(loader, rtapp_periodic_task_gets_period_deadline_and_defaults)
{
	struct workload *w = load_ok("{\"global\": {\"duration\": 2, \"calibration\": \"CPU0\"},\n"
	                             " \"tasks\": {\"t\": {\"loop\": -1, \"run\": 1000,\n"
	                             "   \"timer\": {\"ref\": \"unique\", \"period\": 10000}}}}");
	struct wl_task *t = &w->tasks[0];

	cr_assert_eq(w->ntasks, 1);
	cr_assert_eq(w->duration, 2000000000ULL);
	cr_assert_str_eq(t->name, "t");
	cr_assert_eq(t->nphases, 2);
	cr_assert_eq(t->phases[0].kind, WL_PH_RUN);
	cr_assert_eq(t->phases[0].dist.kind, WL_DIST_FIXED);
	cr_assert_eq(t->phases[0].dist.a, 1000000);
	cr_assert_eq(t->phases[1].kind, WL_PH_TIMER);
	cr_assert_eq(t->phases[1].period, 10000000);
	cr_assert_eq(t->phases[1].deadline, 10000000);
	cr_assert_eq(t->phases[1].absolute, false);
	cr_assert_eq(t->ntimers, 1);
	cr_assert_eq(t->sp.period, 10000000);
	cr_assert_eq(t->sp.deadline, 10000000);
	cr_assert_eq(t->first_deadline, 10000000);
	cr_assert_eq(t->sp.priority, 0);
	cr_assert_eq(t->sp.tickets, WL_DEFAULT_TICKETS);
	cr_assert_eq(t->sp.budget, 0);
	cr_assert_eq(t->cpus, 0xf);
	cr_assert_eq(t->loop, WL_LOOP_FOREVER);
	cr_assert_eq(t->arrival.kind, WL_ARR_LOOP);
	cr_assert_eq(t->line, 2);
	wl_free(w);
}

Test(loader, instances_are_named_with_their_index)
{
	struct workload *w = load_ok("{\"tasks\": {\"t\": {\"instance\": 3, \"run\": 5, "
	                             "\"sleep\": 5}, \"u\": {\"run\": 1, \"loop\": 1}}}");

	cr_assert_eq(w->ntasks, 4);
	cr_assert_str_eq(w->tasks[0].name, "t-0");
	cr_assert_str_eq(w->tasks[2].name, "t-2");
	cr_assert_str_eq(w->tasks[3].name, "u");
	cr_assert_eq(w->tasks[3].loop, 1);
	wl_free(w);
}

Test(loader, phases_flatten_in_order_with_their_loops)
{
	struct workload *w = load_ok("{\"tasks\": {\"t\": {\"loop\": 2, \"phases\": {\n"
	                             "  \"a\": {\"loop\": 2, \"run0\": 10, \"sleep_x\": 5},\n"
	                             "  \"b\": {\"runtime\": 7, \"yield\": \"\"}}}}}");
	struct wl_task *t = &w->tasks[0];
	static const enum wl_phase_kind want[] = { WL_PH_RUN,   WL_PH_SLEEP, WL_PH_RUN,
		                                   WL_PH_SLEEP, WL_PH_RUN,   WL_PH_YIELD };

	cr_assert_eq(t->nphases, 6);
	for (int i = 0; i < 6; i++)
		cr_assert_eq(t->phases[i].kind, want[i], "phase %d", i);
	cr_assert_eq(t->phases[4].dist.a, 7000);
	cr_assert_eq(t->loop, 2);
	wl_free(w);
}

Test(loader, time_units_and_distributions)
{
	struct workload *w =
	    load_ok("{\"tasks\": {\"t\": {\"loop\": 1,\n"
	            "  \"run\": {\"uniform\": [\"1ms\", \"2ms\"]}, \"io\": {\"exp\": \"50us\"},\n"
	            "  \"sleep\": \"3cyc\", \"run1\": {\"lognormal\": [\"10us\", 0.5]},\n"
	            "  \"run2\": {\"bimodal\": [\"1us\", 1.5, 0.25]}, \"run3\": {\"empirical\": "
	            "[1, \"2s\"]},\n"
	            "  \"sleep1\": 2.5, \"run4\": {\"fixed\": \"7ns\"}}}}");
	struct wl_phase *p = w->tasks[0].phases;

	cr_assert_eq(w->tasks[0].nphases, 8);
	cr_assert(p[0].dist.kind == WL_DIST_UNIFORM && p[0].dist.a == 1000000 &&
	          p[0].dist.b == 2000000);
	cr_assert(p[1].kind == WL_PH_IO && p[1].dist.kind == WL_DIST_EXP &&
	          p[1].dist.mean == 50000);
	cr_assert(p[2].dist.kind == WL_DIST_FIXED && p[2].dist.a == 3);
	cr_assert(p[3].dist.kind == WL_DIST_LOGNORMAL && p[3].dist.mean == 10000 &&
	          p[3].dist.sigma == 0.5);
	cr_assert(p[4].dist.kind == WL_DIST_BIMODAL && p[4].dist.a == 1000 && p[4].dist.b == 1500 &&
	          p[4].dist.p == 0.25);
	cr_assert(p[5].dist.kind == WL_DIST_EMPIRICAL && p[5].dist.nvalues == 2 &&
	          p[5].dist.values[0] == 1000 && p[5].dist.values[1] == 2000000000ULL);
	cr_assert_eq(p[6].dist.a, 2500);
	cr_assert_eq(p[7].dist.a, 7);
	wl_free(w);
}

Test(loader, sched_deadline_parameters_and_exolab_aliases)
{
	struct workload *w = load_ok(
	    "{\"global\": {\"default_policy\": \"SCHED_FIFO\"}, \"tasks\": {\n"
	    " \"d\": {\"policy\": \"SCHED_DEADLINE\", \"dl-runtime\": 2000, \"dl-period\": 10000,\n"
	    "       \"dl-deadline\": 8000, \"run\": 1500, \"cpus\": [1, 3]},\n"
	    " \"f\": {\"run\": 10, \"sleep\": 10, \"tickets\": 300, \"budget\": \"1ms\",\n"
	    "       \"period\": \"4ms\", \"deadline\": \"3ms\", \"delay\": 20}}}");
	struct wl_task *d = &w->tasks[0], *f = &w->tasks[1];

	cr_assert_eq(d->sp.policy, WL_POL_DEADLINE);
	cr_assert_eq(d->sp.budget, 2000000);
	cr_assert_eq(d->sp.period, 10000000);
	cr_assert_eq(d->sp.deadline, 8000000);
	cr_assert_eq(d->first_deadline, 8000000);
	cr_assert_eq(d->cpus, 0xa);
	cr_assert_eq(f->sp.policy, WL_POL_FIFO);
	cr_assert_eq(f->sp.priority, 10, "rt-app default priority for FIFO");
	cr_assert_eq(f->sp.tickets, 300);
	cr_assert_eq(f->sp.budget, 1000000);
	cr_assert_eq(f->sp.deadline, 3000000);
	cr_assert_eq(f->offset, 20000);
	wl_free(w);
}

Test(loader, open_loop_arrivals)
{
	struct workload *w = load_ok("{\"tasks\": {\"p\": {\"arrival\": {\"poisson\": 1000}, "
	                             "\"run\": 10, \"deadline\": 100},\n"
	                             " \"b\": {\"arrival\": {\"bursty\": {\"rate\": 2000, \"on\": "
	                             "\"1ms\", \"off\": {\"exp\": "
	                             "\"3ms\"}}}, \"run\": 10}}}");

	cr_assert_eq(w->tasks[0].arrival.kind, WL_ARR_POISSON);
	cr_assert_float_eq(w->tasks[0].arrival.rate, 1e-6, 1e-18);
	cr_assert_eq(w->tasks[0].sp.deadline, 100000);
	cr_assert_eq(w->tasks[0].first_deadline, 100000);
	cr_assert_eq(w->tasks[1].arrival.kind, WL_ARR_BURSTY);
	cr_assert_eq(w->tasks[1].arrival.on.a, 1000000);
	cr_assert_eq(w->tasks[1].arrival.off.kind, WL_DIST_EXP);
	wl_free(w);
}

Test(loader, timers_share_by_ref_and_give_per_release_deadlines)
{
	struct workload *w = load_ok(
	    "{\"tasks\": {\"t\": {\"phases\": {\n"
	    "  \"light\": {\"run\": 1, \"timer\": {\"ref\": \"a\", \"period\": 30, \"mode\": "
	    "\"absolute\"}},\n"
	    "  \"heavy\": {\"run\": 4, \"timer\": {\"ref\": \"b\", \"period\": 40}},\n"
	    "  \"again\": {\"run\": 1, \"timer\": {\"ref\": \"a\", \"period\": 30}}}}}}");
	struct wl_task *t = &w->tasks[0];

	cr_assert_eq(t->ntimers, 2);
	cr_assert_eq(t->phases[1].timer, 0);
	cr_assert_eq(t->phases[3].timer, 1);
	cr_assert_eq(t->phases[5].timer, 0);
	cr_assert(t->phases[1].absolute);
	cr_assert_eq(t->sp.period, 0, "timers disagree: no single period");
	cr_assert_eq(t->phases[3].deadline, 40000);
	cr_assert_eq(t->first_deadline, 30000);
	wl_free(w);
}

Test(loader, utilisation_and_hyperperiod)
{
	struct workload *w =
	    load_ok("{\"tasks\": {\"a\": {\"run\": 1, \"timer\": {\"period\": 4}},\n"
	            "  \"b\": {\"run\": 3, \"timer\": {\"period\": 6}}}}");

	cr_assert_float_eq(wl_utilisation(w), 0.25 + 0.5, 1e-12);
	cr_assert_eq(wl_hyperperiod(w), 12000);
	wl_free(w);
}

Test(loader, generator_spec_through_wl_open)
{
	struct workload *w;
	struct wl_error err;
	int rc = wl_open("gen:periodic:n=5,u=0.5,periods=10ms/20ms", &simio_env, 7, &w, &err);

	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(w->ntasks, 5);
	cr_assert_str_eq(w->name, "gen:periodic:n=5,u=0.5,periods=10ms/20ms");
	cr_assert_leq(wl_utilisation(w), 0.5);
	wl_free(w);
	rc = wl_open("gen:poisson:rate=1000,service=exp:20us,streams=2", &simio_env, 7, &w, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	cr_assert_eq(w->ntasks, 2);
	cr_assert_float_eq(wl_utilisation(w), 1000 * 20e-6, 1e-12);
	wl_free(w);
}
