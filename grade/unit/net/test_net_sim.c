/* exosim's network run (sim/net) with the real NIC drivers: the same forwarding tests on the
 * e1000, the RTL8139C+ and the RTL8168 (line rate, Poisson, bursty, interrupts), faults
 * declared in the workload and the driver's recovery after each, replay of a pcap capture, --strict
 * on a driver made to break a rule, the Chrome trace, and the workload parser's bad-input
 * messages. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netsim.h"
#include "netsim_int.h"

#define HZ 2592000000ull

static struct netsim_cfg cfg;
static struct netsim_result res;
static const char *const nics[] = { "e1000", "rtl8139", "rtl8168" };

/* Loads {"net": {"nic": NIC, "pools": "per_nic", BODY}} and hw/legion/nic.json. */
static void
load(const char *nic, const char *body)
{
	char err[512], json[2048], *prof = malloc(1 << 16);
	FILE *f = fopen("hw/legion/nic.json", "rb");
	size_t n;

	cr_assert(f && prof, "hw/legion/nic.json (run from the tree's root)");
	n = fread(prof, 1, 1 << 16, f);
	fclose(f);
	snprintf(json, sizeof(json), "{\"net\": {\"nic\": \"%s\", \"pools\": \"per_nic\"%s%s}}",
	         nic, body[0] ? ", " : "", body);
	cr_assert_eq(netsim_load_buffer(json, strlen(json), "w.json", HZ, &cfg, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(netsim_profile(prof, n, "nic.json", &cfg, err, sizeof(err)), 0, "%s", err);
	free(prof);
}

static void
run(void)
{
	char err[512] = "";

	cr_assert_eq(netsim_run(&cfg, &res, err, sizeof(err)), 0, "%s", err);
}

static void
fini(void)
{
	netsim_result_free(&res);
}

/* Every frame offered came out of B intact, and the model saw no mistake. */
static void
all_forwarded(const char *nic)
{
	cr_assert_eq(res.diags, 0, "%s: %s", nic, res.first_diag);
	cr_assert_eq(res.sunk, res.offered, "%s: %llu of %llu", nic, (unsigned long long)res.sunk,
	             (unsigned long long)res.offered);
	cr_assert_eq(res.sunk_bad, 0, "%s", nic);
	cr_assert_eq(res.nlat, res.sunk, "%s", nic);
}

TestSuite(netsim, .fini = fini);

Test(netsim, line_rate_64_byte_frames_on_every_nic)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i], "\"duration\": \"1ms\"");
		run();
		all_forwarded(nics[i]);
		/* 10 GbE, 84 bytes a frame on the wire: 14.88 Mpps, 14881 in 1 ms. */
		cr_assert(res.offered >= 14880 && res.offered <= 14882, "%s: %llu", nics[i],
		          (unsigned long long)res.offered);
		cr_assert_eq(res.drv_a.rx_packets, res.offered, "%s", nics[i]);
		netsim_result_free(&res);
	}
}

Test(netsim, poisson_arrivals_with_interrupts_on_every_nic)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i], "\"duration\": \"1ms\", \"rate_pps\": 2000000, \"arrival\": "
		              "\"poisson\", \"interrupts\": true");
		run();
		all_forwarded(nics[i]);
		cr_assert(res.offered > 1800 && res.offered < 2200, "%s: %llu", nics[i],
		          (unsigned long long)res.offered);
		cr_assert_gt(res.interrupts, 0, "%s", nics[i]);
		netsim_result_free(&res);
	}
}

Test(netsim, bursty_on_off_on_every_nic)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i],
		     "\"duration\": \"1ms\", \"arrival\": {\"bursty\": {\"on\": \"100us\", "
		     "\"off\": \"400us\"}}");
		run();
		all_forwarded(nics[i]);
		/* Two bursts of 100 us at 14.88 Mpps in 1 ms. */
		cr_assert(res.offered >= 2970 && res.offered <= 2980, "%s: %llu", nics[i],
		          (unsigned long long)res.offered);
		netsim_result_free(&res);
	}
}

/* --trace: a slice per driver call that took frames on the core's track, and one per frame
 * sunk on the queue track, from its arrival to its leaving, in the run's order. */
static void
check_trace(const char *nic)
{
	char *text = NULL;
	size_t len = 0, b = 0, e = 0, x = 0;
	uint64_t frames = 0;
	double last_b = -1, us = 1e6 / (double)HZ;
	FILE *f = open_memstream(&text, &len);
	json_error_t jerr;
	json_t *root, *ev, *v;

	cr_assert_eq(netsim_trace(&cfg, &res, f), 0);
	cr_assert_eq(fclose(f), 0);
	root = json_loads(text, 0, &jerr);
	cr_assert_not_null(root, "%s: line %d: %s", nic, jerr.line, jerr.text);
	ev = json_object_get(root, "traceEvents");
	json_array_foreach(ev, len, v)
	{
		const char *ph = json_string_value(json_object_get(v, "ph"));
		double ts = json_real_value(json_object_get(v, "ts"));
		if (!strcmp(ph, "X")) {
			cr_assert_float_eq(ts, (double)res.calls[x].t * us, 1e-3, "%s call %zu",
			                   nic, x);
			frames += (uint64_t)json_integer_value(
			    json_object_get(json_object_get(v, "args"), "frames"));
			x++;
		} else if (!strcmp(ph, "b")) {
			cr_assert_geq(ts, last_b, "%s: frame %zu arrives in order", nic, b);
			last_b = ts;
			b++;
		} else if (!strcmp(ph, "e")) {
			cr_assert_gt(ts, last_b, "%s: frame %zu leaves after it arrived", nic, e);
			e++;
		}
	}
	cr_assert_eq(x, res.ncalls, "%s", nic);
	cr_assert_eq(frames, res.received, "%s", nic);
	cr_assert(b == res.sunk && e == res.sunk, "%s: %zu %zu of %llu", nic, b, e,
	          (unsigned long long)res.sunk);
	json_decref(root);
	free(text);
}

Test(netsim, the_trace_has_the_core_and_a_queue_track_on_every_nic)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i], "\"duration\": \"50us\"");
		run();
		cr_assert(res.arrive == NULL && res.ncalls == 0, "nothing kept without trace");
		netsim_result_free(&res);
		cfg.trace = true;
		run();
		all_forwarded(nics[i]);
		cr_assert_gt(res.ncalls, 0);
		check_trace(nics[i]);
		netsim_result_free(&res);
	}
}

Test(netsim, a_run_is_a_function_of_its_seed)
{
	uint64_t a, b;

	load("e1000", "\"duration\": \"500us\", \"rate_pps\": 5000000, \"arrival\": \"poisson\"");
	run();
	a = res.offered;
	uint64_t lat = res.lat[res.nlat / 2];
	netsim_result_free(&res);
	run();
	cr_assert_eq(res.offered, a);
	cr_assert_eq(res.lat[res.nlat / 2], lat);
	netsim_result_free(&res);
	cfg.seed = 7;
	run();
	b = res.offered;
	cr_assert_neq(a, b, "another seed, other arrivals");
}

Test(netsim, link_down_loses_the_frames_of_its_window_and_forwarding_resumes)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i], "\"duration\": \"1ms\", \"faults\": [{\"kind\": \"link_down\", "
		              "\"at\": \"200us\", \"for\": \"100us\"}]");
		run();
		cr_assert_eq(res.diags, 0, "%s", res.first_diag);
		cr_assert(res.link_lost >= 1487 && res.link_lost <= 1489, "%s: %llu", nics[i],
		          (unsigned long long)res.link_lost);
		cr_assert_eq(res.sunk, res.offered - res.link_lost, "%s", nics[i]);
		netsim_result_free(&res);
	}
}

Test(netsim, dropped_and_corrupted_frames_are_counted_and_the_rest_forwarded)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i],
		     "\"duration\": \"500us\", \"faults\": [{\"kind\": \"drop\", \"every\": "
		     "10}, {\"kind\": \"corrupt\", \"every\": 7}]");
		run();
		cr_assert_eq(res.diags, 0, "%s", res.first_diag);
		cr_assert_eq(res.wire_dropped, res.offered / 10, "%s", nics[i]);
		uint64_t bad = res.offered / 7 - res.offered / 70;
		cr_assert_eq(res.corrupted, bad, "%s", nics[i]);
		cr_assert_eq(res.sunk, res.offered - res.wire_dropped - res.corrupted, "%s",
		             nics[i]);
		cr_assert_eq(res.sunk_bad, 0, "%s: no corrupted frame forwarded", nics[i]);
		/* The Realtek hands a bad frame up with its error bits: the driver drops it. */
		if (i > 0)
			cr_assert_eq(res.drv_a.rx_errors, res.corrupted, "%s", nics[i]);
		netsim_result_free(&res);
	}
}

Test(netsim, a_stalled_core_overruns_the_ring_and_recovers)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i], "\"duration\": \"1ms\", \"faults\": [{\"kind\": \"stall\", \"at\": "
		              "\"300us\", \"for\": \"200us\"}]");
		run();
		cr_assert_eq(res.diags, 0, "%s", res.first_diag);
		cr_assert_gt(res.nic_missed_model, 1000, "%s: 2976 arrive, a ring holds <= 256",
		             nics[i]);
		cr_assert_eq(res.sunk, res.offered - res.nic_missed_model, "%s", nics[i]);
		netsim_result_free(&res);
	}
}

static void
tamper_e1000(struct net_dev *a, struct net_dev *b)
{
	a->ops.write32(a->ops.ctx, 0x3818, 300); /* TDT beyond the ring */
}

static void
tamper_rtl(struct net_dev *a, struct net_dev *b)
{
	a->ops.write8(a->ops.ctx, 0x38, 0x01); /* TxPoll without NPQ (RTL8168 offset) */
}

Test(netsim, strict_stops_at_the_first_mistake)
{
	load("e1000", "\"duration\": \"100us\"");
	cfg.strict = true;
	cfg.tamper = tamper_e1000;
	run();
	cr_assert(res.strict_stop);
	const char *want =
	    "e1000: TDT 300 beyond ring of 128 descriptors (8254x SDM §3.4) at cycle ";
	cr_assert(!strncmp(res.first_diag, want, strlen(want)), "%s", res.first_diag);
	netsim_result_free(&res);
	load("rtl8168", "\"duration\": \"100us\"");
	cfg.tamper = tamper_rtl;
	run();
	cr_assert_not(res.strict_stop, "counted, not stopped, without --strict");
	cr_assert_eq(res.diags, 1);
	cr_assert_eq(res.sunk, res.offered);
}

static void
put32(FILE *f, uint32_t v, bool big)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	if (big) {
		uint8_t t = b[0];
		b[0] = b[3], b[3] = t, t = b[1], b[1] = b[2], b[2] = t;
	}
	fwrite(b, 1, 4, f);
}

/* Frame `i` of the test captures (60..1459 bytes, to a broadcast address) and its time in
 * ns: 2 us apart.  Returns the length. */
static unsigned
cap_frame(unsigned i, uint8_t *fr, uint64_t *t)
{
	unsigned len = 60 + (i * 37) % 1400;

	memset(fr, 0xff, 6);
	for (unsigned j = 6; j < len; j++)
		fr[j] = (uint8_t)(i + j);
	*t = 5000 + 2000ull * i;
	return len;
}

/* A capture of `n` frames, timestamps in microseconds little-endian or nanoseconds
 * big-endian. */
static void
write_pcap(const char *path, unsigned n, bool big_ns)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	put32(f, big_ns ? 0xa1b23c4du : 0xa1b2c3d4u, big_ns);
	put32(f, big_ns ? 0x00020004u : 0x00040002u, big_ns); /* version 2.4 */
	put32(f, 0, big_ns);
	put32(f, 0, big_ns);
	put32(f, 65535, big_ns);
	put32(f, 1, big_ns); /* Ethernet */
	for (unsigned i = 0; i < n; i++) {
		uint8_t fr[1514];
		uint64_t t;
		unsigned len = cap_frame(i, fr, &t);
		put32(f, (uint32_t)(t / 1000000000u), big_ns);
		put32(f, (uint32_t)(big_ns ? t % 1000000000u : t % 1000000000u / 1000), big_ns);
		put32(f, len, big_ns);
		put32(f, len, big_ns);
		fwrite(fr, 1, len, f);
	}
	cr_assert_eq(fclose(f), 0);
}

/* The same frames as a pcapng file (draft-ietf-opsawg-pcapng, little-endian): a Section
 * Header Block, an Interface Description Block (Ethernet, if_tsresol 9: nanoseconds), then
 * one Enhanced Packet Block per frame, its data padded to 32 bits. */
static void
write_pcapng(const char *path, unsigned n)
{
	static const uint8_t zero[4];
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	put32(f, 0x0a0d0d0au, false); /* SHB */
	put32(f, 28, false);
	put32(f, 0x1a2b3c4du, false); /* byte-order magic */
	put32(f, 0x00000001u, false); /* version 1.0 */
	put32(f, 0xffffffffu, false); /* section length unknown (-1) */
	put32(f, 0xffffffffu, false);
	put32(f, 28, false);
	put32(f, 1, false); /* IDB */
	put32(f, 32, false);
	put32(f, 1, false); /* link type Ethernet, reserved 0 */
	put32(f, 65535, false);
	put32(f, 9 | 1u << 16, false); /* option if_tsresol, 1 byte */
	put32(f, 9, false);            /* 10^-9 s, padded */
	put32(f, 0, false);            /* opt_endofopt */
	put32(f, 32, false);
	for (unsigned i = 0; i < n; i++) {
		uint8_t fr[1514];
		uint64_t t;
		unsigned len = cap_frame(i, fr, &t), pad = (4 - len % 4) % 4;
		put32(f, 6, false); /* EPB */
		put32(f, 32 + len + pad, false);
		put32(f, 0, false); /* interface 0 */
		put32(f, (uint32_t)(t >> 32), false);
		put32(f, (uint32_t)t, false);
		put32(f, len, false);
		put32(f, len, false);
		fwrite(fr, 1, len, f);
		fwrite(zero, 1, pad, f);
		put32(f, 32 + len + pad, false);
	}
	cr_assert_eq(fclose(f), 0);
}

/* Replays the capture at `path` on `nic`: every frame forwarded intact. */
static void
replay(const char *nic, const char *path, unsigned n)
{
	char body[256];

	snprintf(body, sizeof(body), "\"arrival\": {\"pcap\": \"%s\"}", path);
	load(nic, body);
	run();
	all_forwarded(nic);
	cr_assert_eq(res.offered, n, "%s", nic);
	cr_assert_eq(res.drv_a.rx_packets, n);
	netsim_result_free(&res);
}

/* The file as exosim reads it equals the frames and times written. */
static void
same_frames(const char *path, unsigned n, bool classic)
{
	char err[256] = "";
	struct ns_pcap pc;

	cr_assert_eq(classic ? ns_pcap_load_classic(path, HZ, &pc, err, sizeof(err))
	                     : ns_pcap_load(path, HZ, &pc, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(pc.n, n);
	for (unsigned i = 0; i < n; i++) {
		uint8_t fr[1514];
		uint64_t t;
		unsigned len = cap_frame(i, fr, &t);
		cr_assert_eq(pc.pkt[i].t, (t - 5000) * HZ / 1000000000u, "%s record %u", path, i);
		cr_assert_eq(pc.pkt[i].len, len, "%s record %u", path, i);
		cr_assert_arr_eq(pc.pkt[i].data, fr, len, "%s record %u", path, i);
	}
	ns_pcap_free(&pc);
}

Test(netsim, a_pcap_capture_is_replayed_on_every_nic)
{
	char us[64], ns[64];

	snprintf(us, sizeof(us), "/tmp/exosim-%d-us.pcap", (int)getpid());
	snprintf(ns, sizeof(ns), "/tmp/exosim-%d-ns.pcap", (int)getpid());
	write_pcap(us, 200, false);
	write_pcap(ns, 200, true);
	for (unsigned i = 0; i < 4; i++)
		replay(nics[i % 3], i == 3 ? ns : us, 200);
	/* Through libpcap or not, and by the built-in reader in every build: the same frames. */
	same_frames(us, 200, false);
	same_frames(ns, 200, false);
	same_frames(us, 200, true);
	same_frames(ns, 200, true);
	remove(us);
	remove(ns);
}

/* pcapng is replayed through libpcap; the built-in reader refuses it by name. */
Test(netsim, a_pcapng_capture_is_replayed_through_libpcap)
{
	char ng[64], err[256] = "", want[160];
	struct ns_pcap pc;

	snprintf(ng, sizeof(ng), "/tmp/exosim-%d.pcapng", (int)getpid());
	write_pcapng(ng, 200);
	snprintf(want, sizeof(want), "%s: not a pcap file (pcapng is read only through libpcap)",
	         ng);
	cr_assert_eq(ns_pcap_load_classic(ng, HZ, &pc, err, sizeof(err)), -1);
	cr_assert_str_eq(err, want);
	if (!strcmp(ns_pcap_reader(), "libpcap")) {
		same_frames(ng, 200, false);
		replay("rtl8168", ng, 200);
		replay("e1000", ng, 200);
	} else {
		cr_assert_str_eq(ns_pcap_reader(), "built-in");
		cr_assert_eq(ns_pcap_load(ng, HZ, &pc, err, sizeof(err)), -1);
		cr_assert_str_eq(err, want);
	}
	remove(ng);
}

Test(netsim, a_file_that_is_no_capture_is_refused_by_name)
{
	char bad[64], err[256] = "", want[160];
	FILE *f;

	snprintf(bad, sizeof(bad), "/tmp/exosim-%d-bad.pcap", (int)getpid());
	f = fopen(bad, "wb");
	cr_assert_not_null(f);
	fputs("not a capture at all", f);
	fclose(f);
	snprintf(want, sizeof(want), "\"arrival\": {\"pcap\": \"%s\"}", bad);
	load("e1000", want);
	cr_assert_eq(netsim_run(&cfg, &res, err, sizeof(err)), -1);
	if (!strcmp(ns_pcap_reader(), "libpcap"))
		snprintf(want, sizeof(want), "%s: not a pcap or pcapng file (libpcap: ", bad);
	else
		snprintf(want, sizeof(want),
		         "%s: not a pcap file (pcapng is read only through libpcap)", bad);
	cr_assert(!strncmp(err, want, strlen(want)), "%s", err);
	remove(bad);
}

static void
tamper_mask(struct net_dev *a, struct net_dev *b)
{
	a->drv->irq_enable(a, false);
}

/* Interrupts are the model's line: a driver that masks them sleeps while the ring overruns. */
Test(netsim, a_driver_with_its_interrupts_masked_is_never_woken)
{
	for (unsigned i = 0; i < 3; i++) {
		load(nics[i],
		     "\"duration\": \"200us\", \"rate_pps\": 2000000, \"interrupts\": true");
		cfg.tamper = tamper_mask;
		run();
		cr_assert_eq(res.interrupts, 0, "%s", nics[i]);
		cr_assert_gt(res.nic_missed_model, 0, "%s", nics[i]);
		cr_assert_eq(res.sunk, res.offered - res.nic_missed_model,
		             "%s: the ring's frames, "
		             "once the core polls after the traffic",
		             nics[i]);
		netsim_result_free(&res);
	}
}

static void
bad(const char *json, const char *want)
{
	char err[512];

	cr_assert_eq(netsim_load_buffer(json, strlen(json), "w.json", HZ, &cfg, err, sizeof(err)),
	             -1);
	cr_assert_str_eq(err, want);
}

Test(netsim, bad_workloads_name_file_line_and_column)
{
	bad("{\"net\": {\"nic\": \"e100\"}}",
	    "w.json:1:17: expected one of e1000, rtl8139, rtl8168");
	bad("{\"net\": {\"rate_pps\": 20000000}}",
	    "w.json:1:22: 20000000 frames/s is over the line rate 14880952 of 64-byte frames");
	bad("{\"net\": {\"bogus\": 1}}", "w.json:1:10: unknown key in \"net\": \"bogus\"");
	bad("{\"net\": {\"faults\": [{\"kind\": \"stall\"}]}}",
	    "w.json:1:21: a \"stall\" fault needs \"at\" and \"for\"");
}
