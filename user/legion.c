/* legion: the init of the Legion image (issue 16, docs/legion.md).  Each menu entry boots the
 * kernel with `init=legion legion=MODE`; legion reads MODE from the kernel command line
 * (kcmdline.h) and runs it:
 *   bench     the benchmarks (legion_bench.h), then its own packet path against the
 *             netconsole host's echo port (legion_pkt.h), their BENCH lines, a summary table;
 *   selftest  the tests safe on real hardware, a PASS/FAIL table;
 *   shell     the shell;
 *   safe      no driver at all (the device capabilities are dropped), the shell on one CPU
 *             (the entry also gives the kernel cpus=1);
 * anything else lists the modes and starts the shell.  Its first line is
 * `MACHINE <cpu brand> cpus=N tsc_hz=HZ`, which hw/legion/collect.py keys the CSV rows on.
 *
 * Except in safe mode it first brings up the first NIC a driver knows (e1000, RTL8139,
 * RTL8168) with the net_cfg words of the command line (ip=, mask=, gw=, netcons=HOST:PORT;
 * by default the link-local setup of a direct cable, LEGION_IP to LEGION_CONS) and tees the
 * console to the netconsole.  The programs it runs print into a pipe that legion reads and
 * prints again (legion_run.h), so all their lines go over the netconsole too without any
 * network code of their own.  Nothing here writes a disk. */
#include <stdbool.h>
#include <stdint.h>

#include "console_tee.h"
#include "kcmdline.h"
#include "legion_bench.h"
#include "legion_judge.h"
#include "legion_pkt.h"
#include "legion_run.h"
#include "legion_tests.h"
#include "net.h"
#include "net_cfg.h"
#include "net_libos.h"
#include "netcons.h"
#include "printfmt.h"

#define LEGION_IP            "169.254.77.2"
#define LEGION_MASK          "255.255.0.0"
#define LEGION_GW            "0.0.0.0"
#define LEGION_CONS          "169.254.77.1:6666"
#define NETCONS_SPORT        6665 /* the netconsole's source port, as user/udpecho.c's */
#define NBUFS                128
#define LINK_WAIT_NS         5000000000ull /* a link that is not up after this: console only */
#define ARP_WAIT_NS          3000000000ull /* the collector's MAC, before the first lines go */
#define POLL_NS              10000000ull
#define LEGION_MAX_BENCH     64
#define LEGION_BENCH_SECONDS 60 /* each benchmark's bound (legion_bench.h: seconds each) */

static struct net_pool pool;
static struct net_dev dev;
static struct net_stack st;
static struct netcons nc;
static bool net_on;
static uint32_t cons_ip; /* the netconsole's host: the packet bench's echo peer */
static char early[2048]; /* what legion printed before the netconsole was up */
static size_t early_len;

static const char *const modes = "bench selftest shell safe";

/* The processor brand string, CPUID 80000002h-80000004h (SDM Vol. 2A, CPUID), spaces trimmed. */
static void
cpu_brand(char *out, size_t size)
{
	uint32_t r[12], max;
	char *s = (char *)r, *e;

	__asm__ volatile("cpuid" : "=a"(max) : "a"(0x80000000u) : "ebx", "ecx", "edx");
	if (max < 0x80000004u) {
		strlcpy(out, "unknown-cpu", size);
		return;
	}
	for (uint32_t i = 0; i < 3; i++)
		__asm__ volatile("cpuid"
		                 : "=a"(r[4 * i]), "=b"(r[4 * i + 1]), "=c"(r[4 * i + 2]),
		                   "=d"(r[4 * i + 3])
		                 : "a"(0x80000002u + i));
	s[47] = 0;
	while (*s == ' ')
		s++;
	for (e = s + strlen(s); e > s && e[-1] == ' '; e--)
		e[-1] = 0;
	strlcpy(out, *s ? s : "unknown-cpu", size);
}

static void
netcons_tee(void *arg, const char *s, size_t len)
{
	netcons_write(arg, s, len);
}

/* The net_cfg word `key=<the command line's value>`, if the line has the key. */
static void
cfg_from_cmdline(struct net_cfg *cfg, const char *key)
{
	const char *v = kcmdline_get(key);
	char word[64];
	size_t n = strlen(key);

	if (v == NULL)
		return;
	if (n + 1 + strlen(v) >= sizeof(word)) {
		printf("legion: %s=%s is too long: the default stays\n", key, v);
		return;
	}
	memcpy(word, key, n);
	word[n] = '=';
	strlcpy(word + n + 1, v, sizeof(word) - n - 1);
	if (net_cfg_word(cfg, word) <= 0)
		printf("legion: bad %s: the default stays\n", word);
}

static void
net_idle(uint64_t ns)
{
	uint64_t end = net_now(&st) + ns;

	while (net_now(&st) < end) {
		if (net_poll(&st) == 0)
			net_wait(&st, net_now(&st) + POLL_NS);
	}
}

static bool
arp_resolved(void)
{
	for (unsigned i = 0; i < NET_ARP_ENTRIES; i++)
		if (st.arp[i].state == NET_ARP_RESOLVED)
			return true;
	return false;
}

/* Until the netconsole is up, the console's text is kept here (the tee). */
static void
early_tee(void *arg, const char *s, size_t len)
{
	(void)arg;
	if (len > sizeof(early) - early_len)
		len = sizeof(early) - early_len;
	memcpy(early + early_len, s, len);
	early_len += len;
}

/* Asks for the collector's MAC with the first line and waits for it (bounded): until it is
 * known the stack holds only NET_ARP_HOLD datagrams.  Then sends what was printed before. */
static void
netcons_start(void)
{
	size_t first = 0;
	uint64_t end;

	while (first < early_len && early[first++] != '\n')
		;
	netcons_write(&nc, early, first);
	net_flush(&st);
	for (end = net_now(&st) + ARP_WAIT_NS; !arp_resolved() && net_now(&st) < end;)
		net_idle(POLL_NS);
	if (!arp_resolved())
		printf(
		    "legion: the netconsole's collector does not answer ARP: lines may be lost\n");
	netcons_write(&nc, early + first, early_len - first);
	net_poll(&st);
}

/* The NIC, the stack and the netconsole; false (console only) when there is no NIC or link. */
static bool
net_up(void)
{
	struct net_cfg cfg;
	uint64_t end;
	int r;

	net_cfg_default(&cfg);
	net_cfg_word(&cfg, "ip=" LEGION_IP);
	net_cfg_word(&cfg, "mask=" LEGION_MASK);
	net_cfg_word(&cfg, "gw=" LEGION_GW);
	net_cfg_word(&cfg, "netcons=" LEGION_CONS);
	cfg_from_cmdline(&cfg, "ip");
	cfg_from_cmdline(&cfg, "mask");
	cfg_from_cmdline(&cfg, "gw");
	cfg_from_cmdline(&cfg, "netcons");
	if ((r = net_libos_open(&dev, &pool, NBUFS)) < 0) {
		printf("legion: NO NIC (%s): console only, no netconsole\n", error_name(r));
		return false;
	}
	printf("legion: NIC %s %02x:%02x:%02x:%02x:%02x:%02x\n", dev.drv->name, dev.mac[0],
	       dev.mac[1], dev.mac[2], dev.mac[3], dev.mac[4], dev.mac[5]);
	net_init(&st, &dev, cfg.addr, cfg.netmask, cfg.gateway);
	for (end = net_now(&st) + LINK_WAIT_NS; !dev.drv->link_up(&dev) && net_now(&st) < end;)
		net_idle(POLL_NS);
	if (!dev.drv->link_up(&dev)) {
		printf("legion: NO LINK on %s after %llu s: console only, no netconsole\n",
		       dev.drv->name, LINK_WAIT_NS / 1000000000ull);
		return false;
	}
	if ((r = netcons_init(&nc, &st, NETCONS_SPORT, cfg.cons_ip, cfg.cons_port)) < 0) {
		printf("legion: no netconsole: %s\n", error_name(r));
		return false;
	}
	cons_ip = cfg.cons_ip;
	net_arp_announce(&st);
	console_tee(NULL, NULL);
	netcons_start();
	console_tee(netcons_tee, &nc);
	printf("legion: link up, ip %u.%u.%u.%u, netconsole to %u.%u.%u.%u:%u\n", cfg.addr >> 24,
	       (cfg.addr >> 16) & 0xff, (cfg.addr >> 8) & 0xff, cfg.addr & 0xff, cfg.cons_ip >> 24,
	       (cfg.cons_ip >> 16) & 0xff, (cfg.cons_ip >> 8) & 0xff, cfg.cons_ip & 0xff,
	       cfg.cons_port);
	return true;
}

/* The runner, spawned with fds 1 and 2 on the pipe's write end: its id, or an E_* code.
 * legion prints nothing while its own fd 1 is the pipe (its printf would go there). */
static long
spawn_runner(const char *const argv[], unsigned seconds, uint64_t pages, int wfd)
{
	const char *args[LEGION_MAX_ARGS + 5] = { "legion", "-run", NULL };
	char secs[16], npages[24];
	long id;
	int err;

	fmt_snprintf(secs, sizeof(secs), "%u", seconds);
	fmt_snprintf(npages, sizeof(npages), "%lu", (unsigned long)pages);
	args[2] = secs;
	args[3] = npages;
	for (int i = 0; i < LEGION_MAX_ARGS && argv[i] != NULL; i++)
		args[4 + i] = argv[i];
	if ((err = dup2(1, LEGION_SAVE_FD)) < 0)
		return err;
	if ((err = dup2(wfd, 1)) < 0 || (err = dup2(wfd, 2)) < 0)
		id = err;
	else
		id = spawn("legion", args, pages + LEGION_RUN_OWN);
	dup2(LEGION_SAVE_FD, 1);
	dup2(LEGION_SAVE_FD, 2);
	close(LEGION_SAVE_FD);
	return id;
}

/* Runs argv[0] through a runner (legion_run.h), forwarding its output: its status. */
static int
legion_exec(const char *const argv[], unsigned seconds, uint64_t pages, struct legion_run *r)
{
	char buf[256];
	int fds[2], err;
	long w, n;

	r->ended = false;
	r->len = 0;
	r->status = WAIT_KILLED;
	if ((err = pipe(fds)) < 0) {
		printf("legion: pipe: %s\n", error_name(err));
		return LEGION_ST_NOSPAWN;
	}
	w = spawn_runner(argv, seconds, pages, fds[1]);
	close(fds[1]);
	if (w < 0) {
		close(fds[0]);
		printf("legion: cannot start the runner for %s: %s\n", argv[0], error_name((int)w));
		return LEGION_ST_NOSPAWN;
	}
	while (!r->ended && (n = read(fds[0], buf, sizeof(buf))) > 0) {
		legion_forward(r, buf, n);
		if (net_on)
			net_poll(&st);
	}
	close(fds[0]);
	wait(w, NULL);
	return r->status;
}

/* ---- bench ---- */

struct bench_result {
	char name[48], value[24], unit[24];
};

static struct bench_result results[LEGION_MAX_BENCH];
static unsigned nresults;

/* Copies the next space-separated word of *s into w: false if there is none. */
static bool
next_word(const char **s, char *w, size_t size)
{
	size_t n = 0;

	while (**s == ' ')
		(*s)++;
	while (**s != 0 && **s != ' ') {
		if (n + 1 < size)
			w[n++] = **s;
		(*s)++;
	}
	w[n] = 0;
	return n > 0;
}

static void
bench_line(struct legion_run *run, const char *line)
{
	struct bench_result *b = &results[nresults];

	(void)run;
	if (strncmp(line, "BENCH ", 6) != 0 || nresults == LEGION_MAX_BENCH)
		return;
	line += 6;
	if (next_word(&line, b->name, sizeof(b->name)) &&
	    next_word(&line, b->value, sizeof(b->value)) &&
	    next_word(&line, b->unit, sizeof(b->unit)))
		nresults++;
}

/* A line of legion's own packet bench (legion_pkt.h): printed, and a result if it is one. */
static void
pkt_out(const char *line)
{
	printf("%s\n", line);
	bench_line(NULL, line);
}

/* The packet path against the echo peer: the netconsole's host, port netecho=PORT. */
static void
bench_packet(unsigned i, unsigned n)
{
	const char *w = kcmdline_get("netecho"), *c = w;
	unsigned long port = 0;

	printf("legion: bench %u/%u: packet: UDP to the echo peer, driver and stack cycles, round "
	       "trip (BENCH packet_*)\n",
	       i, n);
	for (; c != NULL && *c >= '0' && *c <= '9' && port <= 65535; c++)
		port = port * 10 + (unsigned long)(*c - '0');
	if (w == NULL) {
		port = LEGION_ECHO_PORT;
	} else if (*w == 0 || *c != 0 || port == 0 || port > 65535) {
		printf("legion: bad netecho=%s: the default %u stays\n", w, LEGION_ECHO_PORT);
		port = LEGION_ECHO_PORT;
	}
	if (!net_on) {
		pkt_out("BENCH-NA packet_rtt no NIC or no link");
		return;
	}
	net_flush(&st);
	legion_pkt_bench(&st, cons_ip, (uint16_t)port, pkt_out);
}

static void
mode_bench(void)
{
	const unsigned n = LEGION_NBENCH + 1;
	struct legion_run run = { .line = bench_line };

	for (unsigned i = 0; i < LEGION_NBENCH; i++) {
		const struct legion_bench *b = &legion_benches[i];
		int s;

		printf("legion: bench %u/%u: %s: %s\n", i + 1, n, b->program, b->description);
		s = legion_exec(b->args, LEGION_BENCH_SECONDS, b->pages, &run);
		if (s != 0)
			printf("legion: %s ended with status %d\n", b->program, s);
	}
	bench_packet(n, n);
	printf("legion: ---- bench summary ----\n");
	printf("legion: %-32s %14s %s\n", "name", "value", "unit");
	for (unsigned i = 0; i < nresults; i++)
		printf("legion: %-32s %14s %s\n", results[i].name, results[i].value,
		       results[i].unit);
	printf("legion: bench done, %u results\n", nresults);
}

/* ---- selftest ---- */

static void
selftest_line(struct legion_run *run, const char *line)
{
	struct verdict *v = run->arg;
	long f;

	if (says_fail(line))
		v->fail_says++;
	if (v->t->done != NULL && strcmp(line, v->t->done) == 0)
		v->done = true;
	if (strncmp(line, v->t->argv[0], strlen(v->t->argv[0])) == 0 &&
	    (f = summary_failed(line)) >= 0)
		v->failed = (int)f;
}

static void
mode_selftest(void)
{
	const unsigned n = sizeof(legion_selftests) / sizeof(legion_selftests[0]);
	const char *why[sizeof(legion_selftests) / sizeof(legion_selftests[0])];
	unsigned passed = 0;

	for (unsigned i = 0; i < n; i++) {
		struct verdict v = { .t = &legion_selftests[i], .failed = -1 };
		struct legion_run run = { .line = selftest_line, .arg = &v };
		int s;

		printf("legion: selftest %u/%u: %s\n", i + 1, n, v.t->argv[0]);
		s = legion_exec(v.t->argv, v.t->seconds, LEGION_PAGES, &run);
		why[i] = judge(&v, s);
		passed += why[i] == NULL;
		printf("legion: %s %s%s%s (status %d)\n", v.t->argv[0], why[i] ? "FAIL" : "PASS",
		       why[i] ? ": " : "", why[i] ? why[i] : "", s);
	}
	printf("legion: ---- selftest summary ----\n");
	for (unsigned i = 0; i < n; i++)
		printf("legion: %-14s %s%s%s\n", legion_selftests[i].argv[0],
		       why[i] ? "FAIL" : "PASS", why[i] ? "  " : "", why[i] ? why[i] : "");
	printf("legion: selftest %u passed, %u failed\n", passed, n - passed);
}

/* ---- shell, safe ---- */

static void
mode_shell(void)
{
	static const char *const argv[] = { "sh", NULL };
	struct legion_run run = { .line = NULL, .raw = true };

	printf("legion: starting the shell%s\n",
	       net_on ? " (its output goes to the netconsole too)" : "");
	printf("legion: the shell ended with status %d\n",
	       legion_exec(argv, 0, LEGION_PAGES, &run));
}

/* No driver: the device capabilities go before anything runs, so nothing spawned from here
 * (the shell hands its own to its children) can reach a device. */
static void
mode_safe(void)
{
	static const char *const argv[] = { "sh", NULL };
	uint64_t first, n = libos_devices(&first);
	int status = 0;
	long id;

	for (uint64_t i = 0; i < n; i++)
		sys_cap_delete(first + i);
	libos_devices_received(0, 0);
	printf("legion: safe mode: no drivers (%lu device capabilities dropped), %lu CPU%s\n",
	       (unsigned long)n, (unsigned long)libos_envinfo->core_count,
	       libos_envinfo->core_count == 1 ? "" : "s");
	if (libos_envinfo->core_count > 1)
		printf("legion: safe mode wants cpus=1 on the kernel command line\n");
	id = spawn("sh", argv, LEGION_PAGES);
	if (id < 0) {
		printf("legion: cannot start the shell: %s\n", error_name((int)id));
		return;
	}
	wait(id, &status);
	printf("legion: the shell ended with status %d\n", status);
}

/* A console-input binding: while legion waits and nothing runs, the kernel waits for input
 * instead of entering its monitor (docs/syscalls.md, cons_notify).  The shell reads the
 * input; legion never does. */
static void
cons_bind(void)
{
	long slot = slot_alloc();

	if (slot < 0 ||
	    sys_notify_alloc(ABI_SLOT_UNTYPED, (uint64_t)slot, CAP_R_READ | CAP_R_WRITE) < 0 ||
	    sys_cons_notify((uint64_t)slot, 1) < 0)
		printf("legion: no console binding: the kernel monitor may start when all wait\n");
}

int
main(int argc, char **argv)
{
	const char *mode = kcmdline_get("legion");
	char brand[49];

	if (argc > 1 && strcmp(argv[1], "-run") == 0)
		return legion_runner(argc, argv);
	cons_bind();
	cpu_brand(brand, sizeof(brand));
	if (mode == NULL || strcmp(mode, "safe") != 0)
		console_tee(early_tee, NULL);
	printf("MACHINE %s cpus=%lu tsc_hz=%lu\n", brand, (unsigned long)libos_envinfo->core_count,
	       (unsigned long)libos_envinfo->tsc_hz);
	printf("legion: mode %s\n", mode != NULL && *mode ? mode : "(none)");
	if (mode != NULL && strcmp(mode, "safe") == 0) {
		mode_safe();
		return 0;
	}
	net_on = net_up();
	if (!net_on)
		console_tee(NULL, NULL);
	if (mode != NULL && strcmp(mode, "bench") == 0) {
		mode_bench();
	} else if (mode != NULL && strcmp(mode, "selftest") == 0) {
		mode_selftest();
	} else if (mode == NULL || strcmp(mode, "shell") != 0) {
		printf("legion: unknown mode '%s': the modes are %s (legion=MODE on the kernel "
		       "command line); starting the shell\n",
		       mode != NULL ? mode : "", modes);
	}
	if (net_on)
		net_idle(POLL_NS * 20); /* the last lines out before the shell takes over */
	mode_shell();
	return 0;
}
