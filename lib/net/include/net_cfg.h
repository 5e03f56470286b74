/* A network configuration from command-line words (lib/net/config.c), for the programs that
 * bring the stack up: `ip=A.B.C.D`, `mask=A.B.C.D`, `gw=A.B.C.D` (gw=0.0.0.0: none) and
 * `netcons=A.B.C.D:PORT` (the netconsole's collector).  The defaults are QEMU user-mode
 * networking's: 10.0.2.15/24, gateway 10.0.2.2, no netconsole. */
#ifndef EXOLAB_NET_CFG_H
#define EXOLAB_NET_CFG_H

#include <stdint.h>

struct net_cfg {
	uint32_t addr, netmask, gateway;
	uint32_t cons_ip; /* 0: no netconsole */
	uint16_t cons_port;
};

void net_cfg_default(struct net_cfg *cfg);
/* 1 if `word` was a configuration word (and was applied), 0 if it is not one, E_INVAL if it
 * is one but its value is malformed (cfg unchanged then). */
int net_cfg_word(struct net_cfg *cfg, const char *word);

#endif
