/* The netconsole (lib/net/netcons.c): log lines sent as UDP datagrams to a configured
 * host:port, for machines without a serial port (the Legion).  Text is gathered until a
 * newline (or NETCONS_LINE bytes) and each line goes out as one datagram, newline included;
 * `nc -u -l 127.0.0.1 PORT` prints them.  Lines written before the collector's MAC is known
 * wait in ARP's hold (NET_ARP_HOLD of them; later ones are dropped and counted there). */
#ifndef EXOLAB_NETCONS_H
#define EXOLAB_NETCONS_H

#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define NETCONS_LINE 256 /* a longer line is sent in pieces of this size */

struct netcons {
	struct net_stack *st;
	int sock;
	uint32_t dst;
	uint16_t dport;
	uint16_t len;            /* bytes gathered in line */
	uint64_t lines, dropped; /* datagrams sent, and those the stack refused */
	char line[NETCONS_LINE];
};

/* Binds local port `sport` on the stack and aims at dst:dport: 0 or E_*. */
int netcons_init(struct netcons *nc, struct net_stack *st, uint16_t sport, uint32_t dst,
                 uint16_t dport);
/* Appends text; sends each completed line. */
void netcons_write(struct netcons *nc, const char *s, size_t len);
/* Sends a partial line, if any. */
void netcons_flush(struct netcons *nc);
void netcons_fini(struct netcons *nc);

#endif
