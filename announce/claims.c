/*
 * claims.c — the claim filter and parser. Offsets are written out from the start of the
 * Ethernet frame (the view both an AF_PACKET SOCK_RAW socket and its BPF filter have), so the
 * filter and the parser visibly read the same bytes.
 */
#include "claims.h"

#include <errno.h>
#include <string.h>

#define ETH_TYPE_AT 12
#define ETH_ARP	    0x0806
#define ETH_IPV6    0x86dd

/* ARP over Ethernet/IPv4 (RFC 826), from the Ethernet header's start. */
#define ARP_HTYPE_AT 14
#define ARP_PTYPE_AT 16
#define ARP_LENS_AT  18 /* hlen 6, plen 4: 0x0604 */
#define ARP_OP_AT    20
#define ARP_SHA_AT   22
#define ARP_SPA_AT   28
#define ARP_END	     42

/* IPv6 (RFC 8200) and the Neighbor Advertisement (RFC 4861 §4.4). */
#define IP6_NEXT_AT   20
#define IP6_HOPS_AT   21
#define ICMP6_AT      54
#define NA_TYPE	      136
#define NA_TARGET_AT  62
#define NA_OPTIONS_AT 78
#define ND_OPT_TLLA   2

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A program under construction: each test is "load, then jump-if-equal onwards, else drop";
 * the drop targets are filled in once the final "drop" instruction's place is known. */
struct prog {
	struct sock_filter *f;
	size_t n, max;
};

static void load(struct prog *p, uint16_t size, uint32_t at)
{
	if (p->n < p->max)
		p->f[p->n] = (struct sock_filter)BPF_STMT(BPF_LD | size | BPF_ABS, at);
	p->n++;
}

static void expect(struct prog *p, uint32_t value)
{
	if (p->n < p->max)
		p->f[p->n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, value, 0, 0);
	p->n++;
}

/* Appends "accept", "drop", and points every failed test at the drop. */
static int finish(struct prog *p)
{
	size_t drop = p->n + 1;
	if (drop + 1 > p->max)
		return -ENOSPC;
	p->f[p->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, CLAIMS_SNAP_LEN);
	p->f[p->n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	for (size_t i = 0; i < drop; i++)
		if (BPF_CLASS(p->f[i].code) == BPF_JMP)
			p->f[i].jf = (uint8_t)(drop - i - 1);
	return (int)p->n;
}

int claims_filter_build(const struct inet_prefix *vip, struct sock_filter *insns, size_t max)
{
	struct prog p = {.f = insns, .max = max};
	const uint8_t *a =
	    vip->family == AF_INET ? (const uint8_t *)&vip->addr.v4 : vip->addr.v6.s6_addr;
	load(&p, BPF_H, ETH_TYPE_AT);
	if (vip->family == AF_INET) {
		expect(&p, ETH_ARP);
		load(&p, BPF_W, ARP_HTYPE_AT); /* hardware Ethernet (1), protocol IPv4 */
		expect(&p, 0x00010800);
		load(&p, BPF_H, ARP_LENS_AT);
		expect(&p, 0x0604);
		load(&p, BPF_W, ARP_SPA_AT);
		expect(&p, get32(a));
	} else if (vip->family == AF_INET6) {
		expect(&p, ETH_IPV6);
		load(&p, BPF_B, IP6_NEXT_AT);
		expect(&p, 58); /* ICMPv6, no extension header (ND never carries one) */
		load(&p, BPF_B, ICMP6_AT);
		expect(&p, NA_TYPE);
		for (uint32_t w = 0; w < 4; w++) {
			load(&p, BPF_W, NA_TARGET_AT + 4 * w);
			expect(&p, get32(a + 4 * w));
		}
	} else {
		return -EAFNOSUPPORT;
	}
	return finish(&p);
}

static int parse_arp(const uint8_t *f, size_t len, const struct in_addr *vip, struct claim *c)
{
	if (len < ARP_END || get16(f + ARP_HTYPE_AT) != 1 || get16(f + ARP_PTYPE_AT) != 0x0800 ||
	    get16(f + ARP_LENS_AT) != 0x0604)
		return 0;
	uint16_t op = get16(f + ARP_OP_AT);
	if (op != 1 && op != 2)
		return 0;
	if (memcmp(f + ARP_SPA_AT, vip, 4) != 0)
		return 0;
	memcpy(c->mac, f + ARP_SHA_AT, 6);
	return 1;
}

/* RFC 4861 §7.1.2: hop limit 255, code 0, ICMP length >= 24, every option length > 0. The
 * checksum is the kernel's business on receive; a frame it would drop still names a MAC that
 * is out there sending. */
static int parse_na(const uint8_t *f, size_t len, const struct in6_addr *vip, struct claim *c)
{
	if (len < NA_OPTIONS_AT || (f[14] >> 4) != 6 || f[IP6_NEXT_AT] != 58 ||
	    f[IP6_HOPS_AT] != 255 || f[ICMP6_AT] != NA_TYPE || f[ICMP6_AT + 1] != 0)
		return 0;
	if (memcmp(f + NA_TARGET_AT, vip, 16) != 0)
		return 0;
	size_t end = ICMP6_AT + get16(f + 18); /* the IPv6 payload length bounds the options */
	if (end > len)
		end = len;
	if (end < NA_OPTIONS_AT)
		return 0;
	memcpy(c->mac, f + 6, 6);
	for (size_t at = NA_OPTIONS_AT; at + 2 <= end;) {
		size_t olen = (size_t)f[at + 1] * 8;
		if (olen == 0 || at + olen > end)
			return 0; /* malformed: receivers drop it */
		if (f[at] == ND_OPT_TLLA && olen >= 8)
			memcpy(c->mac, f + at + 2, 6);
		at += olen;
	}
	return 1;
}

int claim_parse(const uint8_t *frame, size_t len, const struct inet_prefix *vip, struct claim *c)
{
	if (len < 14)
		return 0;
	uint16_t type = get16(frame + ETH_TYPE_AT);
	if (vip->family == AF_INET && type == ETH_ARP)
		return parse_arp(frame, len, &vip->addr.v4, c);
	if (vip->family == AF_INET6 && type == ETH_IPV6)
		return parse_na(frame, len, &vip->addr.v6, c);
	return 0;
}
