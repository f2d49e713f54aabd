/*
 * inet_prefix — an IPv4 or IPv6 address with a prefix length, parsed and validated from text.
 * The one address parser of the project: the VIP (kube-vip's `address` + `vip_subnet`), IPVS
 * addresses, backends and test addresses all go through it.
 *
 * Owns: parsing, validation and formatting. Must not touch: sockets or the kernel.
 */
#ifndef VIPD_INET_PREFIX_H
#define VIPD_INET_PREFIX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

struct inet_prefix {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		unsigned char bytes[16];
	} addr;
	unsigned prefixlen;
};

#define INET_PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/* Parses "192.0.2.10", "192.0.2.10/32", "2001:db8::10/128". Without a prefix the host length
 * (32 or 128) is used. Rejects anything else with a one-line reason in `why`. Returns 0 or
 * -EINVAL. */
int inet_prefix_parse(const char *text, struct inet_prefix *out, char *why, size_t why_len);

/* Parses a prefix length alone ("32", "/128") for `family`; -EINVAL and `why` when out of range. */
int inet_prefix_parse_len(const char *text, int family, unsigned *len, char *why, size_t why_len);

/* Length of the address in bytes: 4 or 16. */
size_t inet_prefix_addr_len(const struct inet_prefix *p);

/* Same family and address (prefix length ignored). */
bool inet_prefix_same_addr(const struct inet_prefix *a, const struct inet_prefix *b);

/* "192.0.2.10/32"; `buf` needs INET_PREFIX_STRLEN bytes. Returns buf. */
const char *inet_prefix_format(const struct inet_prefix *p, char *buf, size_t len);

/* The address only, without the prefix length. */
const char *inet_prefix_format_addr(const struct inet_prefix *p, char *buf, size_t len);

#endif
