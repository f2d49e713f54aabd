/*
 * frames — gratuitous ARP and unsolicited Neighbor Advertisement frames, byte for byte.
 *
 * Pure functions into caller buffers: no sockets, no clock. Golden-byte unit tests pin them.
 * Formats follow kube-vip (shared/REFERENCE.md §1): broadcast destination, sender IP = target
 * IP = VIP, requests with target MAC ff:ff:ff:ff:ff:ff, replies with target MAC = our MAC; NA
 * to ff02::1 with hop limit 255, Solicited=0, Override=1 and a target link-layer option.
 */
#ifndef VIPD_FRAMES_H
#define VIPD_FRAMES_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define GARP_FRAME_LEN 42 /* Ethernet 14 + ARP 28 */
#define NA_FRAME_LEN   86 /* Ethernet 14 + IPv6 40 + NA 24 + option 8 */

enum garp_op {
	GARP_REQUEST = 1,
	GARP_REPLY = 2,
};

/* Writes a gratuitous ARP frame; returns its length (42) or -ENOSPC. */
int frame_build_garp(uint8_t *buf, size_t len, const uint8_t mac[6], struct in_addr vip,
		     enum garp_op op);

/* Writes an unsolicited NA for `vip` sent from `vip` to ff02::1; returns 86 or -ENOSPC. */
int frame_build_na(uint8_t *buf, size_t len, const uint8_t mac[6], const struct in6_addr *vip);

/* The ICMPv6 checksum over the IPv6 pseudo-header and `icmp` (its checksum field zero). */
uint16_t frame_icmpv6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			       const uint8_t *icmp, size_t icmp_len);

#endif
