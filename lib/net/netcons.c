/* The netconsole (netcons.h): console text cut into lines, each sent as one UDP datagram to
 * the configured collector through the network stack (lib/net). */
#include "abi/error.h"
#include "netcons.h"
#include "xstring.h"

int
netcons_init(struct netcons *nc, struct net_stack *st, uint16_t sport, uint32_t dst, uint16_t dport)
{
	int sock;

	if (dport == 0)
		return E_INVAL;
	sock = net_udp_bind(st, sport);
	if (sock < 0)
		return sock;
	memset(nc, 0, sizeof(*nc));
	nc->st = st;
	nc->sock = sock;
	nc->dst = dst;
	nc->dport = dport;
	return 0;
}

void
netcons_flush(struct netcons *nc)
{
	if (nc->len == 0)
		return;
	if (net_udp_sendto(nc->st, nc->sock, nc->dst, nc->dport, nc->line, nc->len) == 0)
		nc->lines++;
	else
		nc->dropped++;
	nc->len = 0;
}

void
netcons_write(struct netcons *nc, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		nc->line[nc->len++] = s[i];
		if (s[i] == '\n' || nc->len == NETCONS_LINE)
			netcons_flush(nc);
	}
}

void
netcons_fini(struct netcons *nc)
{
	netcons_flush(nc);
	net_udp_close(nc->st, nc->sock);
}
