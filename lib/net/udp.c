/* UDP (RFC 768) in the network stack (lib/net): a table of NET_SOCKS sockets, each bound to a
 * local port with a queue of NET_SOCK_QLEN received datagrams.  A received datagram stays in
 * its receive buffer (no copy) until recvfrom copies it to the caller; a datagram for a full
 * queue or an unbound port is dropped and counted (no ICMP port unreachable is sent).  The
 * checksum is verified when the sender set one (non-zero) and always set on send. */
#include "abi/error.h"
#include "net_priv.h"
#include "xstring.h"

static struct net_sock *
sock_get(struct net_stack *st, int sock)
{
	if (sock < 0 || sock >= NET_SOCKS || st->socks[sock].port == 0)
		return 0;
	return &st->socks[sock];
}

int
net_udp_bind(struct net_stack *st, uint16_t port)
{
	int free = -1;

	if (port == 0)
		return E_INVAL;
	for (int i = 0; i < NET_SOCKS; i++) {
		if (st->socks[i].port == port)
			return E_EXIST;
		if (st->socks[i].port == 0 && free < 0)
			free = i;
	}
	if (free < 0)
		return E_NOMEM;
	memset(&st->socks[free], 0, sizeof(st->socks[free]));
	st->socks[free].port = port;
	return free;
}

void
net_udp_close(struct net_stack *st, int sock)
{
	struct net_sock *s = sock_get(st, sock);

	if (s == 0)
		return;
	for (unsigned i = 0; i < s->count; i++)
		net_buf_free(s->q[(s->head + i) % NET_SOCK_QLEN].buf);
	s->count = 0;
	s->port = 0;
}

void
net_udp_fini(struct net_stack *st)
{
	for (int i = 0; i < NET_SOCKS; i++)
		net_udp_close(st, i);
}

void
net_udp_input(struct net_stack *st, struct net_buf *b, const uint8_t *ip, uint16_t off,
              uint16_t len)
{
	const uint8_t *u = b->data + off;
	uint32_t src = get32(ip + IP_OFF_SRC), dst = get32(ip + IP_OFF_DST);
	uint16_t ulen, port;
	struct net_sock *s = 0;
	uint64_t *drop = 0;

	if (len < UDP_HDR) {
		drop = &st->cnt.udp_short;
	} else if ((ulen = get16(u + 4)) < UDP_HDR || ulen > len) {
		drop = &st->cnt.udp_bad_len;
	} else if (get16(u + 6) != 0 &&
	           net_cksum(u, ulen, net_pseudo_sum(src, dst, IP_PROTO_UDP, ulen)) != 0) {
		drop = &st->cnt.udp_bad_checksum;
	} else {
		port = get16(u + 2);
		for (int i = 0; i < NET_SOCKS && s == 0; i++)
			if (st->socks[i].port == port)
				s = &st->socks[i];
		if (s == 0)
			drop = &st->cnt.udp_no_port;
		else if (s->count == NET_SOCK_QLEN)
			drop = &st->cnt.udp_queue_full;
	}
	if (drop != 0) {
		(*drop)++;
		net_buf_free(b);
		return;
	}
	s->q[(s->head + s->count++) % NET_SOCK_QLEN] = (struct net_dgram){
		.buf = b,
		.off = (uint16_t)(off + UDP_HDR),
		.len = (uint16_t)(ulen - UDP_HDR),
		.src = src,
		.sport = get16(u),
	};
	st->cnt.udp_in++;
}

int
net_udp_recvfrom(struct net_stack *st, int sock, void *data, uint16_t cap, uint32_t *src,
                 uint16_t *sport)
{
	struct net_sock *s = sock_get(st, sock);
	struct net_dgram d;

	if (s == 0)
		return E_INVAL;
	if (s->count == 0)
		return E_AGAIN;
	d = s->q[s->head];
	s->head = (s->head + 1) % NET_SOCK_QLEN;
	s->count--;
	memcpy(data, d.buf->data + d.off, d.len < cap ? d.len : cap);
	net_buf_free(d.buf);
	if (src != 0)
		*src = d.src;
	if (sport != 0)
		*sport = d.sport;
	return d.len;
}

int
net_udp_sendto(struct net_stack *st, int sock, uint32_t dst, uint16_t dport, const void *data,
               uint16_t len)
{
	struct net_sock *s = sock_get(st, sock);
	struct net_buf *b;
	uint8_t *u;
	uint16_t ulen = (uint16_t)(UDP_HDR + len), sum;
	int r;

	if (s == 0 || dport == 0)
		return E_INVAL;
	if (len > NET_UDP_MAX)
		return E_RANGE;
	b = net_buf_alloc(st->dev->pool);
	if (b == 0) {
		st->cnt.tx_no_buf++;
		return E_NOMEM;
	}
	u = b->data + NET_PAYLOAD_AT;
	put16(u, s->port);
	put16(u + 2, dport);
	put16(u + 4, ulen);
	put16(u + 6, 0);
	memcpy(u + UDP_HDR, data, len);
	/* RFC 768: a computed checksum of zero is sent as all ones (zero means "none"). */
	sum = net_cksum(u, ulen, net_pseudo_sum(st->addr, dst, IP_PROTO_UDP, ulen));
	put16(u + 6, sum == 0 ? 0xffff : sum);
	st->cnt.udp_out++;
	r = net_ip_output(st, b, dst, IP_PROTO_UDP, ulen);
	net_flush(st);
	return r;
}
