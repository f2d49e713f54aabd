/*
 * ipvs_text.c — formatting and parsing of IPVS values (see ipvs_text.h). Pure: no I/O.
 */
#include "ipvs.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "inet_prefix.h"

const char *ipvs_fwd_name(uint32_t fwd)
{
	static const char *const names[] = {
	    [IP_VS_CONN_F_MASQ] = "Masq",
	    [IP_VS_CONN_F_LOCALNODE] = "Local",
	    [IP_VS_CONN_F_TUNNEL] = "Tunnel",
	    [IP_VS_CONN_F_DROUTE] = "Route",
	};
	if (fwd < sizeof(names) / sizeof(names[0]))
		return names[fwd];
	return "fwd-other";
}

static const char *proto_name(uint16_t protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_SCTP:
		return "SCTP";
	}
	return "proto-other";
}

static const char *addr_port_str(int af, const union ipvs_addr *addr, uint16_t port, char *buf,
				 size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	if (af == AF_INET || af == AF_INET6)
		inet_ntop(af, addr->bytes, a, sizeof(a));
	snprintf(buf, len, af == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

const char *ipvs_service_str(const struct ipvs_service *svc, char *buf, size_t len)
{
	if (svc->fwmark) {
		snprintf(buf, len, "FWM %u %s", svc->fwmark, svc->af == AF_INET6 ? "IPv6" : "IPv4");
		return buf;
	}
	char ap[IPVS_STRLEN];
	snprintf(buf, len, "%s %s", proto_name(svc->protocol),
		 addr_port_str(svc->af, &svc->addr, svc->port, ap, sizeof(ap)));
	return buf;
}

const char *ipvs_dest_str(const struct ipvs_dest *dest, int svc_af, char *buf, size_t len)
{
	return addr_port_str(dest->af ? dest->af : svc_af, &dest->addr, dest->port, buf, len);
}

int ipvs_addr_parse(const char *text, union ipvs_addr *addr)
{
	/* One address parser for the project (netlink/inet_prefix); IPVS takes no length. */
	struct inet_prefix p;
	memset(addr, 0, sizeof(*addr));
	if (strchr(text, '/') || inet_prefix_parse(text, &p, NULL, 0) < 0)
		return -EINVAL;
	memcpy(addr->bytes, p.addr.bytes, inet_prefix_addr_len(&p));
	return p.family;
}
