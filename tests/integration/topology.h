/*
 * topology.h — the small LAN the data-plane integration tests share: a switch namespace with a
 * bridge, and host namespaces each with an `eth0` on it. Addresses come from the documentation
 * ranges (192.0.2.0/24, 2001:db8::/64) and exist only inside these namespaces.
 */
#ifndef VIPD_TEST_TOPOLOGY_H
#define VIPD_TEST_TOPOLOGY_H

#include <stdint.h>

#include "testns.h"

#define LAN_MAX_HOSTS 4

struct lan {
	struct testns sw;
	struct testns host[LAN_MAX_HOSTS];
	uint8_t mac[LAN_MAX_HOSTS][6];
	int n;
};

/* Hosts get 192.0.2.<i+1>/24 and 2001:db8::<i+1>/64 (no DAD). Returns 0 or -errno. */
int lan_create(struct lan *lan, int hosts);
void lan_destroy(struct lan *lan);

#endif
