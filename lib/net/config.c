/* Network configuration words (net_cfg.h): `key=value` parsing for the network programs. */
#include "abi/error.h"
#include "net.h"
#include "net_cfg.h"
#include "xstring.h"

void
net_cfg_default(struct net_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->addr = NET_IP(10, 0, 2, 15);
	cfg->netmask = NET_IP(255, 255, 255, 0);
	cfg->gateway = NET_IP(10, 0, 2, 2);
}

/* "A.B.C.D:PORT" with PORT in 1..65535. */
static int
parse_host_port(const char *s, uint32_t *ip, uint16_t *port)
{
	char host[16];
	const char *colon = strchr(s, ':');
	unsigned long p = 0;

	if (colon == 0 || colon - s >= (long)sizeof(host) || colon[1] == 0)
		return E_INVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	for (const char *d = colon + 1; *d != 0; d++) {
		if (*d < '0' || *d > '9' || p > 65535)
			return E_INVAL;
		p = p * 10 + (unsigned long)(*d - '0');
	}
	if (p == 0 || p > 65535 || net_parse_ip(host, ip) < 0)
		return E_INVAL;
	*port = (uint16_t)p;
	return 0;
}

int
net_cfg_word(struct net_cfg *cfg, const char *word)
{
	static const char *const keys[] = { "ip=", "mask=", "gw=" };
	uint32_t *fields[] = { &cfg->addr, &cfg->netmask, &cfg->gateway };
	uint32_t ip;
	uint16_t port;

	for (unsigned i = 0; i < 3; i++) {
		size_t n = strlen(keys[i]);

		if (strncmp(word, keys[i], n) != 0)
			continue;
		if (net_parse_ip(word + n, &ip) < 0)
			return E_INVAL;
		*fields[i] = ip;
		return 1;
	}
	if (strncmp(word, "netcons=", 8) != 0)
		return 0;
	if (parse_host_port(word + 8, &ip, &port) < 0)
		return E_INVAL;
	cfg->cons_ip = ip;
	cfg->cons_port = port;
	return 1;
}
