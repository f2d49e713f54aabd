/*
 * frames.c — the announcement frames. Written out field by field (rather than through kernel
 * structs with bit-fields) so the byte order of every field is visible in the code.
 */
#include "frames.h"

#include <errno.h>
#include <string.h>

static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
static const struct in6_addr all_nodes = {{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}};

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *put(uint8_t *p, const void *src, size_t n)
{
	memcpy(p, src, n);
	return p + n;
}

int frame_build_garp(uint8_t *buf, size_t len, const uint8_t mac[6], struct in_addr vip,
		     enum garp_op op)
{
	if (len < GARP_FRAME_LEN)
		return -ENOSPC;
	uint8_t *p = buf;
	p = put(p, broadcast_mac, 6);
	p = put(p, mac, 6);
	p = put16(p, 0x0806); /* ARP */
	p = put16(p, 1);      /* hardware: Ethernet */
	p = put16(p, 0x0800); /* protocol: IPv4 */
	*p++ = 6;
	*p++ = 4;
	p = put16(p, (uint16_t)op);
	p = put(p, mac, 6);
	p = put(p, &vip, 4);
	p = put(p, op == GARP_REPLY ? mac : broadcast_mac, 6);
	p = put(p, &vip, 4);
	return (int)(p - buf);
}

uint16_t frame_icmpv6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			       const uint8_t *icmp, size_t icmp_len)
{
	uint32_t sum = 0;
	const uint8_t *s = src->s6_addr, *d = dst->s6_addr;
	for (int i = 0; i < 16; i += 2) {
		sum += (uint32_t)(s[i] << 8 | s[i + 1]);
		sum += (uint32_t)(d[i] << 8 | d[i + 1]);
	}
	sum += (uint32_t)(icmp_len >> 16) + (uint32_t)(icmp_len & 0xffff);
	sum += 58; /* next header: ICMPv6 */
	for (size_t i = 0; i + 1 < icmp_len; i += 2)
		sum += (uint32_t)(icmp[i] << 8 | icmp[i + 1]);
	if (icmp_len & 1)
		sum += (uint32_t)(icmp[icmp_len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int frame_build_na(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in6_addr *vip)
{
	if (len < NA_FRAME_LEN)
		return -ENOSPC;
	memset(buf, 0, NA_FRAME_LEN);
	uint8_t *p = buf;
	p = put(p, all_nodes_mac, 6);
	p = put(p, mac, 6);
	p = put16(p, 0x86dd); /* IPv6 */

	*p++ = 0x60; /* version 6, traffic class 0, flow label 0 */
	p += 3;
	p = put16(p, 32); /* payload: NA 24 + option 8 */
	*p++ = 58;	  /* ICMPv6 */
	*p++ = 255;	  /* hop limit: receivers drop ND with any other */
	p = put(p, vip, 16);
	p = put(p, &all_nodes, 16);

	uint8_t *icmp = p;
	*p++ = 136;  /* Neighbor Advertisement */
	*p++ = 0;    /* code */
	p += 2;	     /* checksum, below */
	*p++ = 0x20; /* R=0 S=0 O=1 */
	p += 3;
	p = put(p, vip, 16);
	*p++ = 2; /* option: target link-layer address */
	*p++ = 1; /* length in units of 8 bytes */
	p = put(p, mac, 6);

	uint16_t csum = frame_icmpv6_checksum(vip, &all_nodes, icmp, (size_t)(p - icmp));
	put16(icmp + 2, csum);
	return (int)(p - buf);
}
