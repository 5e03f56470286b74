/* The network drivers ExoLab has, by PCI vendor and device ID (netdev.h).  Each driver file
 * defines its struct net_driver; this table is the one place that lists them. */
#include "netdev.h"

extern const struct net_driver e1000_driver, rtl8139_driver, rtl8168_driver;

/* One driver a line, so that adding a driver touches one line. */
/* clang-format off */
static const struct net_driver *const drivers[] = {
	&e1000_driver,
	&rtl8139_driver,
	&rtl8168_driver,
	0, /* the drivers' entries go above this line */
};
/* clang-format on */

const struct net_driver *
net_driver_find(uint16_t vendor, uint16_t device)
{
	for (unsigned i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++)
		if (drivers[i] != 0 && drivers[i]->vendor == vendor && drivers[i]->device == device)
			return drivers[i];
	return 0;
}
