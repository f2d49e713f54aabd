/*
 * topology.c — builds and tears down the test LAN (see topology.h).
 */
#include "topology.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int lan_create(struct lan *lan, int hosts)
{
	memset(lan, 0, sizeof(*lan));
	lan->sw.holder = -1;
	lan->sw.fd = -1;
	for (int i = 0; i < LAN_MAX_HOSTS; i++) {
		lan->host[i].holder = -1;
		lan->host[i].fd = -1;
	}
	if (hosts > LAN_MAX_HOSTS)
		return -EINVAL;
	int rc = testns_create(&lan->sw);
	if (rc < 0)
		return rc;
	if (testns_sh(&lan->sw, "ip link add br0 type bridge && ip link set br0 up") != 0)
		return -EIO;
	for (int i = 0; i < hosts; i++) {
		struct testns *h = &lan->host[i];
		char port[16];
		snprintf(port, sizeof(port), "p%d", i);
		if ((rc = testns_create(h)) < 0)
			return rc;
		lan->n = i + 1;
		if ((rc = testns_veth(h, "eth0", &lan->sw, port)) < 0)
			return rc;
		if (testns_sh(&lan->sw, "ip link set %s master br0", port) != 0)
			return -EIO;
		if (testns_sh(h,
			      "ip addr add 192.0.2.%d/24 dev eth0 && "
			      "ip addr add 2001:db8::%d/64 dev eth0 nodad",
			      i + 1, i + 1) != 0)
			return -EIO;
		if ((rc = testns_mac(h, "eth0", lan->mac[i])) < 0)
			return rc;
	}
	return 0;
}

void lan_destroy(struct lan *lan)
{
	for (int i = 0; i < LAN_MAX_HOSTS; i++)
		testns_destroy(&lan->host[i]);
	testns_destroy(&lan->sw);
	lan->n = 0;
}
