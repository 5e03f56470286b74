/* The workload loader on bad input: each kind of error gives exactly one message naming
 * the file, line and column of the offending text, and the right error code. */
#include <criterion/criterion.h>

#include "simio.h"

static void
expect_error(const char *text, int code, const char *msg)
{
	struct workload *w = (struct workload *)1;
	struct wl_error err;
	int rc = simio_load(text, &w, &err);

	cr_assert_eq(rc, code, "rc %d, message: %s", rc, err.msg);
	cr_assert_null(w);
	cr_assert_str_eq(err.msg, msg);
}

Test(loader_errors, malformed_json_reports_janssons_position)
{
	expect_error("{\"tasks\": {\n  \"t\": {\"run\": 10,}}}", WL_E_SYNTAX,
	             "w.json:2:19: string or '}' expected near '}'");
}

Test(loader_errors, duplicate_key_is_a_syntax_error)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 1, \"run\": 2}}}", WL_E_SYNTAX,
	             "w.json:1:32: duplicate object key near '\"run\"'");
}

Test(loader_errors, unknown_key_points_at_the_key)
{
	expect_error("{\"tasks\": {\n  \"t\": {\"run\": 10,\n         \"rnu\": 5}}}", WL_E_INVALID,
	             "w.json:3:10: unknown key \"rnu\" in task \"t\"");
}

Test(loader_errors, negative_period_points_at_the_value)
{
	expect_error(
	    "{\"tasks\": {\"t\": {\"run\": 10,\n  \"timer\": {\"ref\": \"x\", \"period\": -5}}}}",
	    WL_E_INVALID, "w.json:2:35: negative time -5");
}

Test(loader_errors, budget_larger_than_period)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"dl-period\": 100,\n"
	             "  \"dl-runtime\": 200}}}",
	             WL_E_INVALID, "w.json:2:17: budget exceeds the period (200 us > 100 us)");
}

Test(loader_errors, deadline_longer_than_period)
{
	expect_error(
	    "{\"tasks\": {\"t\": {\"run\": 10, \"period\": \"1ms\", \"deadline\": \"2ms\"}}}",
	    WL_E_INVALID,
	    "w.json:1:58: the deadline is longer than the period (2000 us > 1000 us)");
}

Test(loader_errors, cpu_that_does_not_exist)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"cpus\": [0, 7]}}}", WL_E_INVALID,
	             "w.json:1:41: CPU 7 does not exist (the machine has 4)");
}

Test(loader_errors, unsupported_rtapp_event)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"lock\": \"m\"}}}", WL_E_INVALID,
	             "w.json:1:29: rt-app event \"lock\" is not modelled by exosim");
}

Test(loader_errors, bad_time_string)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": \"10 parsecs\"}}}", WL_E_INVALID,
	             "w.json:1:25: bad time \"10 parsecs\": expected a number and a unit "
	             "(ns, us, ms, s, cyc)");
}

Test(loader_errors, wrong_type)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"loop\": \"many\"}}}", WL_E_INVALID,
	             "w.json:1:37: expected an integer, found a string");
}

Test(loader_errors, error_inside_an_array_points_at_the_element)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": {\"uniform\": [5, -1]}}}}", WL_E_INVALID,
	             "w.json:1:41: negative time -1");
}

Test(loader_errors, escaped_key_is_located)
{
	expect_error("{\"tasks\": {\"t\\u00e9\": {\"run\": 1, \"x\": 2}}}", WL_E_INVALID,
	             "w.json:1:34: unknown key \"x\" in task \"t\xc3\xa9\"");
}

Test(loader_errors, timer_in_open_loop_task)
{
	expect_error("{\"tasks\": {\"t\": {\"arrival\": {\"poisson\": 10}, \"run\": 1,\n"
	             "  \"timer\": {\"period\": 5}}}}",
	             WL_E_INVALID,
	             "w.json:1:18: a task with \"arrival\" cannot also have timer events");
}

Test(loader_errors, endless_loop_that_takes_no_time)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 0, \"yield\": \"\"}}}", WL_E_INVALID,
	             "w.json:1:17: task \"t\" loops but none of its events takes time");
}

Test(loader_errors, missing_tasks_and_unknown_top_level_key)
{
	expect_error("{\"global\": {}}", WL_E_INVALID, "w.json:1:1: no \"tasks\" object");
	expect_error("{\"tasks\": {\"t\": {\"run\": 1}}, \"task\": {}}", WL_E_INVALID,
	             "w.json:1:30: unknown top-level key \"task\" (expected \"tasks\", \"global\" "
	             "or \"resources\")");
}

Test(loader_errors, missing_file)
{
	struct workload *w;
	struct wl_error err;

	cr_assert_eq(wl_load_file("/nonexistent/w.json", &simio_env, &w, &err), WL_E_IO);
	cr_assert_null(w);
	cr_assert_str_eq(err.msg, "/nonexistent/w.json: cannot open: No such file or directory");
}

Test(loader_errors, bad_generator_spec_names_the_option)
{
	struct workload *w;
	struct wl_error err;

	cr_assert_eq(wl_open("gen:uunifast:n=3", &simio_env, 1, &w, &err), WL_E_SPEC);
	cr_assert_str_eq(err.msg, "--workload: unknown generator \"gen:uunifast\" (periodic, "
	                          "poisson, bursty)");
	cr_assert_eq(wl_open("gen:periodic:n=3,u=0.5,periods=10ms/xs", &simio_env, 1, &w, &err),
	             WL_E_SPEC);
	cr_assert_str_eq(err.msg, "--workload: gen:periodic: periods: bad time \"xs\" (a number "
	                          "and ns, us, ms, s or cyc)");
}

Test(loader_errors, instances_cannot_exhaust_memory)
{
	expect_error("{\"tasks\": {\"t\": {\"instance\": 4096, \"phases\": {\"a\": {\"loop\": 300, "
	             "\"run\": 1}}}}}",
	             WL_E_INVALID,
	             "w.json:1:12: the workload has more than 1048576 events and "
	             "distribution values in all");
}

Test(loader_errors, bursty_windows_that_almost_never_see_an_arrival)
{
	expect_error(
	    "{\"tasks\": {\"t\": {\"arrival\": {\"bursty\": {\"rate\": 19, \"on\": \"2ns\", "
	    "\"off\": \"8ms\"}}, \"run\": 1}}}",
	    WL_E_INVALID,
	    "w.json:1:40: \"bursty\" needs rate x mean on window >= 0.001 "
	    "arrivals");
}
