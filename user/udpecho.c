/* udpecho: a UDP echo server on the LibOS network stack (lib/net) over the first NIC this env
 * holds (issue 12 item 7).  `udpecho PORT [N] [ip=A] [mask=M] [gw=G] [netcons=H:P]`: answers
 * every datagram to PORT with the same bytes (and every ICMP echo request to its address),
 * prints one line per datagram with its count, and after N datagrams (0 or none: never)
 * prints the stack's non-zero counters and exits.  With netcons=H:P every console line it
 * prints from "listening" to the counters also goes to H:P (the console tee), and a last
 * line, on the serial console only, says how many went.  Run as init, it takes its words
 * from the kernel's tests= option, commas for spaces (`init=udpecho tests=7,6,ip=10.0.0.2`).
 * Polls, waiting up to WAIT_NS in the driver's wait when nothing arrives. */
#include "console_tee.h"
#include "libos.h"
#include "net.h"
#include "net_cfg.h"
#include "net_libos.h"
#include "netcons.h"
#include "xstring.h"

#define NBUFS   256
#define WAIT_NS 100000000ull /* one wait: 100 ms, then poll again */
/* With a count, give up after this long without a frame (a NIC that receives nothing, e.g.
 * lab 5's stubbed e1000): the run ends on its own, its checks fail, nothing hangs. */
#define IDLE_NS      20000000000ull
#define NETCONS_PORT 6665 /* the netconsole's source port (Linux's netconsole's) */

static struct net_pool pool;
static struct net_dev dev;
static struct net_stack st;
static struct netcons nc;
static char buf[NET_UDP_MAX];

static long
parse_num(const char *s)
{
	long v = 0;

	if (*s == 0)
		return -1;
	for (; *s != 0; s++) {
		if (*s < '0' || *s > '9' || v > 65535 * 65536l)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Run as init (no words on the command line): the words of the kernel's tests= option. */
static int
init_words(int argc, char **argv, char **words, int max)
{
	static char list[sizeof(libos_envinfo->tests)];
	int n = 1;

	if (argc > 1 || libos_envinfo->tests[0] == 0)
		return 0;
	strlcpy(list, libos_envinfo->tests, sizeof(list));
	words[0] = argv[0];
	for (char *w = list; w != NULL && n < max; n++) {
		words[n] = w;
		w = strchr(w, ',');
		if (w != NULL)
			*w++ = 0;
	}
	return n;
}

static void
netcons_tee(void *arg, const char *s, size_t len)
{
	netcons_write(arg, s, len);
}

static void
print_counters(void)
{
	for (unsigned i = 0; i < NET_NCOUNTERS; i++)
		if (net_counter_value(&st, i) != 0)
			printf("udpecho: counter %s = %lu\n", net_counter_name(i),
			       (unsigned long)net_counter_value(&st, i));
}

/* Echoes what the socket holds: the number of datagrams. */
static unsigned
echo_all(int sock, unsigned long *count)
{
	uint32_t src;
	uint16_t sport;
	unsigned n = 0;
	int len;

	while ((len = net_udp_recvfrom(&st, sock, buf, sizeof(buf), &src, &sport)) >= 0) {
		int r = net_udp_sendto(&st, sock, src, sport, buf, (uint16_t)len);

		printf("udpecho: #%lu: %d bytes from %u.%u.%u.%u:%u, echo %s\n", ++*count, len,
		       src >> 24, (src >> 16) & 0xff, (src >> 8) & 0xff, src & 0xff, sport,
		       r == 0 ? "sent" : error_name(r));
		n++;
	}
	return n;
}

int
main(int argc, char **argv)
{
	static char *words[LIBOS_MAX_ARGS + 1];
	struct net_cfg cfg;
	long port, max = 0;
	unsigned long count = 0;
	int sock, r, n = init_words(argc, argv, words, LIBOS_MAX_ARGS);

	if (n > 0) {
		argc = n;
		argv = words;
	}
	port = argc > 1 ? parse_num(argv[1]) : -1;
	net_cfg_default(&cfg);
	for (int i = 2; i < argc; i++) {
		r = net_cfg_word(&cfg, argv[i]);
		if (r == 0 && i == 2 && (max = parse_num(argv[i])) >= 0)
			continue;
		if (r <= 0) {
			printf("udpecho: bad argument '%s'\n", argv[i]);
			return 1;
		}
	}
	if (port <= 0 || port > 65535) {
		printf("usage: udpecho PORT [N] [ip=A] [mask=M] [gw=G] [netcons=HOST:PORT]\n");
		return 1;
	}
	r = net_libos_open(&dev, &pool, NBUFS);
	if (r < 0) {
		printf("udpecho: no NIC: %s\n", error_name(r));
		return 1;
	}
	net_init(&st, &dev, cfg.addr, cfg.netmask, cfg.gateway);
	sock = net_udp_bind(&st, (uint16_t)port);
	if (sock < 0) {
		printf("udpecho: bind: %s\n", error_name(sock));
		return 1;
	}
	if (cfg.cons_ip != 0) {
		r = netcons_init(&nc, &st, NETCONS_PORT, cfg.cons_ip, cfg.cons_port);
		if (r < 0)
			printf("udpecho: no netconsole: %s\n", error_name(r));
		else
			console_tee(netcons_tee, &nc);
	}
	printf("udpecho: %s %02x:%02x:%02x:%02x:%02x:%02x listening on port %ld\n", dev.drv->name,
	       dev.mac[0], dev.mac[1], dev.mac[2], dev.mac[3], dev.mac[4], dev.mac[5], port);
	net_arp_announce(&st);
	printf("udpecho: ready\n");
	for (uint64_t idle_end = net_now(&st) + IDLE_NS; max == 0 || count < (unsigned long)max;) {
		if (net_poll(&st) != 0) {
			idle_end = net_now(&st) + IDLE_NS;
		} else if (max != 0 && net_now(&st) > idle_end) {
			printf("udpecho: nothing received for %llu s: giving up\n",
			       IDLE_NS / 1000000000ull);
			break;
		} else {
			net_wait(&st, net_now(&st) + WAIT_NS);
		}
		echo_all(sock, &count);
	}
	printf("udpecho: done\n");
	print_counters();
	if (nc.st != 0) {
		console_tee(NULL, NULL);
		netcons_fini(&nc);
		printf("udpecho: netconsole: %lu lines sent, %lu dropped\n",
		       (unsigned long)nc.lines, (unsigned long)nc.dropped);
	}
	net_fini(&st);
	net_libos_close(&dev, &pool);
	printf("udpecho: end\n");
	return 0;
}
